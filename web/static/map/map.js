// The park on a map: parkgrid's vector tiles drawn by MapLibre GL JS, details from /graphql.
// Plain script, no build step; everything it loads comes from this service.
"use strict";

(() => {
  const LAYERS = ["zones", "grids", "enterprises"];
  const BREAKS = [1, 3, 5, 10];
  const COLOURS = {
    open_issues: ["#e5f5e0", "#fee391", "#fec44f", "#ec7014", "#993404"],
    overdue_issues: ["#e5f5e0", "#fcbba1", "#fb6a4a", "#cb181d", "#67000d"],
  };
  const ROLES = { ZONE_LEAD: "片区长 zone lead", GRID_LEAD: "网格长 grid lead", LIAISON: "联点干部 liaison" };
  const GRID_QUERY = `query Grid($code: String!) {
    grid(code: $code) {
      code name zone { code name }
      enterpriseCount openIssueCount overdueIssueCount
      cadres { name role targets }
      openIssues(first: 5) { totalCount nodes { id title status dueDate overdue enterprise { name } } }
    }
  }`;
  const SEARCH_QUERY = `query Search($search: String!) {
    enterprises(filter: { search: $search }, first: 8) {
      totalCount nodes { uscc name industry location grid { code name } }
    }
  }`;

  const P = window.parkgridPage;
  const { $, el, here, graphql, showError, clearErrors, setStatus, TokenRefused } = P;
  let selectedGrid = null;
  let marker = null;

  // ---- the style --------------------------------------------------------------------------------

  function fillColour(field) {
    const colours = COLOURS[field];
    const steps = BREAKS.flatMap((limit, index) => [limit, colours[index + 1]]);
    return ["step", ["coalesce", ["get", field], 0], colours[0], ...steps];
  }

  function style() {
    const sources = Object.fromEntries(
      LAYERS.map((name) => [name, { type: "vector", url: here(`tiles/${name}.json`) }]),
    );
    const on = (source) => ({ source, "source-layer": source });
    return {
      version: 8,
      sources,
      layers: [
        { id: "background", type: "background", paint: { "background-color": "#f4f1ea" } },
        {
          id: "grid-fill", type: "fill", ...on("grids"),
          paint: { "fill-color": fillColour("open_issues"), "fill-opacity": 0.85 },
        },
        { id: "grid-line", type: "line", ...on("grids"), paint: { "line-color": "#6b7280", "line-width": 1 } },
        {
          id: "grid-selected", type: "line", ...on("grids"), filter: ["==", ["get", "code"], ""],
          paint: { "line-color": "#1d4ed8", "line-width": 3.5 },
        },
        {
          id: "zone-line", type: "line", ...on("zones"),
          paint: { "line-color": "#1f2937", "line-width": 2.5, "line-dasharray": [4, 2] },
        },
        {
          id: "enterprise-point", type: "circle", ...on("enterprises"),
          paint: {
            "circle-radius": ["interpolate", ["linear"], ["zoom"], 12, 2.5, 16, 6],
            "circle-color": ["case", [">", ["get", "open_issues"], 0], "#b91c1c", "#1e3a8a"],
            "circle-stroke-color": "#ffffff",
            "circle-stroke-width": 1,
          },
        },
      ],
    };
  }

  function renderLegend(field) {
    const colours = COLOURS[field];
    const labels = ["0", "1–2", "3–4", "5–9", "≥ 10"];
    const swatch = (colour, label, dot) =>
      el("span", { class: "swatch" }, el("i", { class: dot ? "dot" : "", style: `background:${colour}` }), label);
    $("legend").replaceChildren(
      el("div", {}, colours.map((colour, index) => swatch(colour, labels[index], false))),
      el("div", {}, swatch("#b91c1c", "企业（有未办结问题）with open issues", true),
        swatch("#1e3a8a", "企业 enterprise", true)),
    );
  }

  // ---- grid details -------------------------------------------------------------------------

  function row(label, field, value) {
    return [el("dt", {}, label), el("dd", { "data-field": field }, value)];
  }

  function cadreList(cadres) {
    if (!cadres.length) {
      const text = P.token() ? "无 · none" : "登录后可见 · sign in to see the cadres";
      return el("p", { class: "hint" }, text);
    }
    const order = { ZONE_LEAD: 0, GRID_LEAD: 1, LIAISON: 2 };
    const sorted = [...cadres].sort((a, b) => order[a.role] - order[b.role]);
    return el("ul", { "data-field": "cadres" },
      sorted.map((c) => el("li", {}, el("b", {}, c.name), ` ${ROLES[c.role] || c.role}`,
        c.role === "LIAISON" ? ` · ${c.targets} 家 enterprises` : "")));
  }

  function issueList(issues) {
    if (!issues.totalCount) return el("p", { class: "hint" }, "无未办结问题 · no open issues");
    const items = issues.nodes.map((issue) =>
      el("li", { class: issue.overdue ? "overdue" : "" },
        el("b", {}, issue.title ?? "（标题需登录 · title needs sign-in）"),
        el("br"),
        `${issue.enterprise ? issue.enterprise.name : ""} · ${issue.status.toLowerCase()}`,
        ` · 期限 due ${issue.dueDate || "—"}${issue.overdue ? " · 逾期 overdue" : ""}`));
    const more = issues.totalCount - issues.nodes.length;
    return [el("ol", { "data-field": "open-issues" }, items),
      more > 0 ? el("p", { class: "hint" }, `另有 ${more} 条 · ${more} more`) : null];
  }

  /** Redraw the grid's boundary (redraw.js): shown to any signed-in caller; the server
   * refuses the save to those who may not change the grid. */
  function redrawButton(code) {
    const button = el("button", { type: "button", id: "redraw-start" }, "重绘边界 · Redraw boundary");
    button.addEventListener("click", () => window.parkgridRedraw.begin(window.parkgridMap, code)
      .catch((error) => showError(`redraw ${code}: ${error.message}`)));
    return button;
  }

  function renderGrid(grid) {
    const parts = [
      el("h2", {}, grid.name),
      el("dl", {},
        row("网格编码 code", "code", grid.code),
        row("片区 zone", "zone", `${grid.zone.name} (${grid.zone.code})`),
        row("企业 enterprises", "enterprise-count", grid.enterpriseCount),
        row("未办结问题 open issues", "open-issue-count", grid.openIssueCount),
        row("逾期问题 overdue issues", "overdue-issue-count", grid.overdueIssueCount)),
      P.token() ? redrawButton(grid.code) : null,
      el("h3", {}, "服务干部 · cadres serving it"),
      cadreList(grid.cadres),
      el("h3", {}, "未办结问题 · open issues (oldest first)"),
      issueList(grid.openIssues),
    ];
    $("details").replaceChildren(...parts.flat().filter(Boolean));
  }

  /** Show grid `code` in the panel; `quietly` (a live refresh) keeps what is shown until
   * the new details arrive. */
  async function showGrid(map, code, quietly) {
    selectedGrid = code;
    map.setFilter("grid-selected", ["==", ["get", "code"], code]);
    if (!quietly) $("details").replaceChildren(el("p", { class: "hint" }, `载入 ${code} …`));
    try {
      const data = await graphql(GRID_QUERY, { code });
      if (selectedGrid !== code) return;
      if (!data.grid) throw new Error(`no grid ${code}`);
      renderGrid(data.grid);
    } catch (error) {
      $("details").replaceChildren(el("p", { class: "error" }, `网格详情失败 · ${error.message}`));
      if (!(error instanceof TokenRefused)) showError(`grid ${code}: ${error.message}`);
    }
  }

  function enterprisePopup(map, feature, lngLat) {
    const p = feature.properties;
    new maplibregl.Popup({ offset: 8 })
      .setLngLat(lngLat)
      .setDOMContent(el("div", {}, el("b", {}, p.name), el("br"), p.uscc, el("br"),
        `${p.industry || ""} · 网格 grid ${p.grid_code || "—"} · 未办结问题 open issues ${p.open_issues}`))
      .addTo(map);
  }

  function onClick(map, event) {
    if (window.parkgridRedraw && window.parkgridRedraw.active()) return;
    const [enterprise] = map.queryRenderedFeatures(event.point, { layers: ["enterprise-point"] });
    if (enterprise) enterprisePopup(map, enterprise, event.lngLat);
    const [grid] = map.queryRenderedFeatures(event.point, { layers: ["grid-fill"] });
    if (grid) showGrid(map, grid.properties.code);
  }

  // ---- search ---------------------------------------------------------------------------------

  function flyTo(map, enterprise) {
    const [lon, lat] = enterprise.location.coordinates;
    if (marker) marker.remove();
    const popup = new maplibregl.Popup({ offset: 30 })
      .setDOMContent(el("div", {}, el("b", {}, enterprise.name), el("br"), enterprise.uscc));
    marker = new maplibregl.Marker({ color: "#1d4ed8" }).setLngLat([lon, lat]).setPopup(popup).addTo(map);
    map.flyTo({ center: [lon, lat], zoom: Math.max(map.getZoom(), 15), essential: true });
    marker.togglePopup();
  }

  function renderResults(map, found) {
    const items = found.nodes.map((enterprise) => {
      const button = el("button", { type: "button", "data-uscc": enterprise.uscc },
        el("b", {}, enterprise.name), el("br"),
        `${enterprise.uscc} · ${enterprise.grid ? enterprise.grid.name : "无网格 no grid"}`);
      button.addEventListener("click", () => flyTo(map, enterprise));
      return el("li", {}, button);
    });
    $("search-results").replaceChildren(...items);
  }

  async function search(map, text) {
    $("search-results").replaceChildren();
    if (!text) return;
    setStatus("search-status", "查找中 · searching …", "");
    try {
      const found = (await graphql(SEARCH_QUERY, { search: text })).enterprises;
      const shown = found.nodes.length;
      setStatus("search-status", found.totalCount
        ? `找到 ${found.totalCount} 家${found.totalCount > shown ? `，显示前 ${shown} 家` : ""} · ${found.totalCount} found`
        : "未找到 · nothing found", found.totalCount ? "" : "bad");
      renderResults(map, found);
      if (shown) flyTo(map, found.nodes[0]);
    } catch (error) {
      setStatus("search-status", `查找失败 · search failed: ${error.message}`, "bad");
    }
  }

  // ---- wiring ---------------------------------------------------------------------------------

  function reloadData(map) {
    for (const name of LAYERS) map.getSource(name).setUrl(here(`tiles/${name}.json`));
    if (selectedGrid) showGrid(map, selectedGrid);
    startLive(map);
  }

  /** The live updates (live.js) and the coverage layers (coverage.js), as the current
   * token may read them. */
  function startLive(map) {
    if (!window.parkgridLive) return showError("static/map/live.js did not load");
    const hooks = {
      map, here, graphql, showError,
      token: P.token,
      selectedGrid: () => selectedGrid,
      refreshDetails: () => selectedGrid && showGrid(map, selectedGrid, true),
      changed: () => window.parkgridCoverage && window.parkgridCoverage.changed(),
      tokenRefused: () => {
        P.refused();
        P.setToken("");
        reloadData(map);
      },
    };
    window.parkgridLive.start(hooks);
    if (window.parkgridCoverage) window.parkgridCoverage.start(hooks);
  }

  async function signIn(map, value) {
    clearErrors();
    const given = value.trim();
    if (!given) return signOut(map);
    P.setToken(given);
    await P.checkToken();
    reloadData(map);
  }

  async function signOut(map) {
    P.setToken("");
    $("token").value = "";
    await P.checkToken();
    reloadData(map);
  }

  function onMapError(event) {
    const error = event.error || {};
    if (error.status === 401) P.refused();
    else showError(`地图 map: ${error.message || "error"}${error.url ? ` (${error.url})` : ""}`);
  }

  function wire(map) {
    map.on("error", onMapError);
    map.on("click", (event) => onClick(map, event));
    map.on("mouseenter", "grid-fill", () => { map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", "grid-fill", () => { map.getCanvas().style.cursor = ""; });
    $("search-form").addEventListener("submit", (event) => {
      event.preventDefault();
      search(map, $("search").value.trim());
    });
    $("token-form").addEventListener("submit", (event) => {
      event.preventDefault();
      signIn(map, $("token").value);
    });
    $("token-clear").addEventListener("click", () => signOut(map));
    for (const input of document.querySelectorAll("input[name=shade]")) {
      input.addEventListener("change", () => {
        map.setPaintProperty("grid-fill", "fill-color", fillColour(input.value));
        renderLegend(input.value);
      });
    }
  }

  async function gridBounds() {
    const response = await fetch(here("tiles/grids.json"), { headers: P.authHeaders() });
    if (response.status === 401) P.refused();
    if (!response.ok) throw new Error(`tiles/grids.json: HTTP ${response.status}`);
    return (await response.json()).bounds;
  }

  async function start() {
    renderLegend("open_issues");
    if (typeof maplibregl === "undefined") {
      showError("MapLibre GL JS did not load (static/vendor/maplibre-gl/maplibre-gl.js)");
      return;
    }
    $("token").value = P.token();
    await P.checkToken();
    const view = window.parkgridView.read();
    const bounds = view.center ? null : await gridBounds().catch((error) => showError(error.message));
    const camera = view.center ? { center: view.center, zoom: view.zoom } : null;
    const map = new maplibregl.Map({
      container: "map",
      style: style(),
      transformRequest: P.transformRequest,
      ...(camera || (bounds ? { bounds, fitBoundsOptions: { padding: 40 } } : { center: [0, 0], zoom: 1 })),
      attributionControl: { compact: true, customAttribution: "parkgrid" },
    });
    window.parkgridMap = map;
    map.addControl(new maplibregl.NavigationControl(), "top-right");
    map.addControl(new maplibregl.ScaleControl(), "bottom-left");
    wire(map);
    window.parkgridView.follow(map);
    window.parkgridRedraw.wire(map, () => reloadData(map));
    window.parkgridProposals.wire(map);
    window.parkgridPrint.wire(map);
    const basemap = window.parkgridBasemap.config().catch((error) => showError(error.message));
    map.once("load", async () => {
      window.parkgridBasemap.apply(map, await basemap);
      startLive(map);
    });
  }

  start().catch((error) => showError(`地图无法启动 · the map could not start: ${error.message}`));
})();
