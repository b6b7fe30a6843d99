// The map app: a park's grids, a grid's enterprises paged by cursor, enterprises near a
// click, a token to sign in with, and grid counts updated live.
import type { Map as MapLibre } from "maplibre-gl";
import { connect, type Connection } from "./client";
import { createMap, show, type Areas, type Points } from "./map";
import { AreaCounts, GridEnterprises, NearEnterprises, ParkGrids } from "./queries";
import type { GridEnterprisesQuery, ParkGridsQuery } from "./gql/graphql";

const PAGE = 10;
const NEAR_METERS = 300;
const TOKEN_KEY = "parkgrid-map-app-token";

type Grid = NonNullable<ParkGridsQuery["park"]>["zones"]["nodes"][number]["grids"]["nodes"][number];
type EnterpriseEdge = NonNullable<GridEnterprisesQuery["grid"]>["enterprises"]["edges"][number];

const element = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const status = (text: string, error = false): void => {
  const node = element("status");
  node.textContent = text;
  node.className = error ? "error" : "";
};

const state = {
  park: new URLSearchParams(window.location.search).get("park"),
  grids: new Map<string, Grid>(),
  grid: null as string | null,
  after: null as string | null,
  listed: [] as EnterpriseEdge[],
  token: sessionStorage.getItem(TOKEN_KEY),
  connection: null as Connection | null,
  live: null as { unsubscribe(): void } | null,
};

function item(text: string, detail: string, onClick?: () => void): HTMLLIElement {
  const li = document.createElement("li");
  const body = document.createElement(onClick ? "button" : "div");
  body.textContent = text;
  const small = document.createElement("div");
  small.className = "muted";
  small.textContent = detail;
  body.append(small);
  if (onClick) body.addEventListener("click", onClick);
  li.append(body);
  return li;
}

function client(): Connection {
  state.connection ??= connect(state.token);
  return state.connection;
}

function renderGrids(map: MapLibre): void {
  const list = element<HTMLUListElement>("grids");
  list.replaceChildren();
  const features: Areas["features"] = [];
  for (const grid of state.grids.values()) {
    const li = item(`${grid.code} ${grid.name}`,
                    `${grid.enterpriseCount} enterprises, ${grid.openIssueCount} open issues`,
                    () => void selectGrid(map, grid.code));
    li.dataset.grid = grid.code;
    li.classList.toggle("selected", grid.code === state.grid);
    list.append(li);
    features.push({ type: "Feature", geometry: grid.boundary,
                    properties: { code: grid.code, open: grid.openIssueCount } });
  }
  show(map, "grids", { type: "FeatureCollection", features });
}

async function loadPark(map: MapLibre): Promise<void> {
  if (!state.park) {
    status("add ?park=<code> to the address", true);
    return;
  }
  const result = await client().client.query(ParkGrids, { park: state.park }).toPromise();
  if (result.error || !result.data?.park) {
    status(result.error?.message ?? `no park ${state.park}`, true);
    return;
  }
  const park = result.data.park;
  element("park-name").textContent = park.name;
  state.grids = new Map(park.zones.nodes.flatMap((z) => z.grids.nodes).map((g) => [g.code, g]));
  renderGrids(map);
  const [west, south, east, north] = park.bbox;
  map.fitBounds([[west, south], [east, north]], { padding: 20, duration: 0 });
  status(`${state.grids.size} grids${state.token ? ", signed in" : ""}`);
}

async function selectGrid(map: MapLibre, code: string): Promise<void> {
  state.grid = code;
  state.after = null;
  state.listed = [];
  renderGrids(map);
  await morePage(map);
}

async function morePage(map: MapLibre): Promise<void> {
  if (!state.grid) return;
  const variables = { grid: state.grid, first: PAGE, after: state.after };
  const result = await client().client.query(GridEnterprises, variables).toPromise();
  const grid = result.data?.grid;
  if (result.error || !grid) {
    status(result.error?.message ?? "no such grid", true);
    return;
  }
  const page = grid.enterprises;
  state.listed = [...state.listed, ...page.edges];
  state.after = page.pageInfo.endCursor ?? null;
  element("enterprises-title").textContent =
    `Enterprises of ${grid.code} (${state.listed.length} of ${page.totalCount})`;
  const list = element<HTMLUListElement>("enterprises");
  list.replaceChildren(...state.listed.map(({ node }) =>
    item(node.name, [node.uscc, node.industry, node.liaison ? `liaison ${node.liaison.name}` : ""]
      .filter(Boolean).join(" · "))));
  element("more").hidden = !page.pageInfo.hasNextPage;
  const features: Points["features"] = state.listed.map(({ node }) => ({
    type: "Feature", geometry: node.location as GeoJSON.Point, properties: { name: node.name },
  }));
  show(map, "enterprises", { type: "FeatureCollection", features });
}

async function near(map: MapLibre, lon: number, lat: number): Promise<void> {
  const variables = { lon, lat, meters: NEAR_METERS, first: PAGE };
  const result = await client().client.query(NearEnterprises, variables).toPromise();
  if (result.error || !result.data) {
    status(result.error?.message ?? "no answer", true);
    return;
  }
  const found = result.data.enterprises;
  element("near-title").textContent = `Near ${lon.toFixed(5)}, ${lat.toFixed(5)} (${found.totalCount})`;
  element<HTMLUListElement>("near").replaceChildren(...found.nodes.map((e) =>
    item(e.name, `${Math.round(e.distanceMeters ?? 0)} m · ${e.grid?.code ?? "no grid"}`)));
  show(map, "near", { type: "FeatureCollection", features: [{
    type: "Feature", geometry: { type: "Point", coordinates: [lon, lat] }, properties: {} }] });
}

function goLive(map: MapLibre): void {
  state.live?.unsubscribe();
  if (!state.park) return;
  state.live = client().client.subscription(AreaCounts, { park: state.park }).subscribe((result) => {
    const changed = result.data?.areaCountsChanged.grid;
    const known = changed && state.grids.get(changed.code);
    if (changed && known) {
      state.grids.set(changed.code, { ...known, ...changed });
      renderGrids(map);
    }
  });
}

function signIn(map: MapLibre, token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
  state.token = token;
  state.live?.unsubscribe();
  void state.connection?.socket.dispose();
  state.connection = null;
  element("sign-in").hidden = Boolean(token);
  element("sign-out").hidden = !token;
  element<HTMLInputElement>("token").value = "";
  void loadPark(map).then(async () => {
    if (state.grid) await selectGrid(map, state.grid);
  });
  goLive(map);
}

async function start(): Promise<void> {
  const map = await createMap("map");
  (window as unknown as { mapApp: unknown }).mapApp = { map };
  map.on("click", (event) => {
    const [grid] = map.queryRenderedFeatures(event.point, { layers: ["grids"] });
    if (grid?.properties?.code) void selectGrid(map, String(grid.properties.code));
    void near(map, event.lngLat.lng, event.lngLat.lat);
  });
  element("more").addEventListener("click", () => void morePage(map));
  element("sign-in").addEventListener("click", () =>
    signIn(map, element<HTMLInputElement>("token").value.trim() || null));
  element("sign-out").addEventListener("click", () => signIn(map, null));
  signIn(map, state.token);
}

void start();
