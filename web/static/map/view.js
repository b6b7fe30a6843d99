// The /map page's view as a link: the URL's fragment keeps the centre and zoom, the park and
// zone shown, the coverage layers switched on and the report's thresholds, so a copied link
// opens the same view. Also the park and zone switcher, which fits the map to the choice.
// Plain script, no build step.
"use strict";

window.parkgridView = (() => {
  const P = window.parkgridPage;
  const PARKS_QUERY = `{ parks(first: 100) { nodes { code name bbox
    zones(first: 200) { nodes { code name bbox } } } } }`;
  const DEFAULTS = { days: 30, max: 30, min: 1 };
  let parks = null; // the promise of the parks and their zones, loaded once

  /** The state the fragment names (numbers checked; anything else ignored). */
  function read() {
    const params = new URLSearchParams(window.location.hash.slice(1));
    const state = { park: params.get("park") || "", zone: params.get("zone") || "" };
    const view = (params.get("map") || "").split("/").map(Number);
    if (view.length === 3 && view.every(Number.isFinite)) {
      state.zoom = view[0];
      state.center = [view[2], view[1]];
    }
    state.layers = new Set((params.get("layers") || "").split(",").filter(Boolean));
    for (const [key, fallback] of Object.entries(DEFAULTS)) {
      const value = Number.parseInt(params.get(key) || "", 10);
      state[key] = Number.isFinite(value) ? value : fallback;
    }
    return state;
  }

  /** Merge `patch` into the fragment (replacing the history entry, not adding one). */
  function write(patch) {
    const params = new URLSearchParams(window.location.hash.slice(1));
    for (const [key, value] of Object.entries(patch)) {
      const text = value instanceof Set ? [...value].join(",") : String(value ?? "");
      if (text === "" || text === String(DEFAULTS[key])) params.delete(key);
      else params.set(key, text);
    }
    const hash = params.toString().replaceAll("%2F", "/").replaceAll("%2C", ",");
    window.history.replaceState(null, "", `${window.location.pathname}${hash ? `#${hash}` : ""}`);
  }

  function follow(map) {
    map.on("moveend", () => {
      const { lng, lat } = map.getCenter();
      write({ map: `${map.getZoom().toFixed(2)}/${lat.toFixed(6)}/${lng.toFixed(6)}` });
    });
  }

  function loadParks() {
    if (!parks) parks = P.graphql(PARKS_QUERY, {}).then((data) => data.parks.nodes);
    return parks;
  }

  /** The park and zone the page shows: the fragment's when they exist, else the first park. */
  async function scope() {
    const all = await loadParks();
    const state = read();
    const park = all.find((item) => item.code === state.park) || all[0];
    if (!park) return { park: null, zone: null };
    const zone = park.zones.nodes.find((item) => item.code === state.zone) || null;
    return { park, zone };
  }

  function fit(map, area) {
    const [west, south, east, north] = area.bbox;
    map.fitBounds([[west, south], [east, north]], { padding: 40, duration: 0 });
  }

  function options(select, items, blank) {
    select.replaceChildren(
      ...(blank ? [P.el("option", { value: "" }, blank)] : []),
      ...items.map((item) => P.el("option", { value: item.code }, `${item.name} (${item.code})`)),
    );
  }

  /** Fill the switcher; a choice fits the view to it and calls `changed` (coverage). */
  async function switcher(map, changed) {
    const all = await loadParks();
    const parkSelect = P.$("park");
    const zoneSelect = P.$("zone");
    const { park, zone } = await scope();
    options(parkSelect, all, null);
    if (!park) return;
    parkSelect.value = park.code;
    options(zoneSelect, park.zones.nodes, "全园区 · whole park");
    zoneSelect.value = zone ? zone.code : "";
    parkSelect.onchange = () => {
      const chosen = all.find((item) => item.code === parkSelect.value);
      write({ park: chosen.code, zone: "" });
      options(zoneSelect, chosen.zones.nodes, "全园区 · whole park");
      fit(map, chosen);
      changed();
    };
    zoneSelect.onchange = () => {
      const chosen = all.find((item) => item.code === parkSelect.value);
      const inZone = chosen.zones.nodes.find((item) => item.code === zoneSelect.value);
      write({ zone: zoneSelect.value });
      fit(map, inZone || chosen);
      changed();
    };
  }

  return { read, write, follow, scope, switcher, DEFAULTS };
})();
