// The coverage layers of the /map page: each list of the coverage report (the `coverage`
// query's own data, served as GeoJSON by /coverage/{park}/{layer}.geojson) as a switch with
// its count, drawn on the map when switched on, for the park or zone the switcher shows and
// the thresholds the page sets (N days, the liaison workload limits). The report needs a
// token (viewer, cadre or admin); live changes reload it. Plain script, no build step.
"use strict";

window.parkgridCoverage = (() => {
  const P = window.parkgridPage;
  const V = window.parkgridView;
  // [layer, label, how it is drawn, colour]
  const LAYERS = [
    ["zones-without-lead", "无片区长的片区 · zones without a zone lead", "area", "#7c3aed"],
    ["grids-without-lead", "无网格长的网格 · grids without a grid lead", "area", "#a855f7"],
    ["enterprises-without-liaison", "无联点干部的企业 · enterprises without a liaison", "point", "#db2777"],
    ["enterprises-outside-grids", "网格外的企业 · enterprises outside every grid", "point", "#111827"],
    ["enterprises-on-boundary", "网格共边上的企业 · enterprises on a shared edge", "point", "#0891b2"],
    ["overlaps", "网格重叠 · overlapping grids", "area", "#dc2626"],
    ["gaps", "片区空隙 · gaps in a zone", "area", "#2563eb"],
    ["grids-outside-zone", "网格超出片区 · grids leaking out of their zone", "area", "#ea580c"],
    ["not-visited", "{days} 天未走访 · not visited in {days} days", "point", "#ca8a04"],
    ["overdue-hazards", "逾期安全隐患 · overdue safety hazards", "point", "#991b1b"],
    ["liaisons-over", "超负荷联点干部（>{max}）的企业 · liaisons over {max} enterprises", "point", "#4d7c0f"],
    ["liaisons-under", "低负荷联点干部（<{min}）的企业 · liaisons under {min} enterprises", "point", "#65a30d"],
  ];
  // The workload lists name cadres, not places: their liaison enterprises are drawn, and the
  // switch counts the cadres, as `coverage { workload }` lists them.
  const WORKLOAD = { "liaisons-over": "overloaded", "liaisons-under": "underloaded" };
  const WORKLOAD_QUERY = `query($park: String!, $zone: String, $days: Int!, $max: Int!, $min: Int!) {
    coverage(park: $park, zone: $zone, serviceDays: $days, maxPerLiaison: $max, minPerLiaison: $min) {
      workload { overloaded { id name enterprises } underloaded { id name enterprises } } } }`;
  const RELOAD_DELAY_MS = 1500; // live changes come in bursts: one reload per burst
  const $ = P.$;
  let generation = 0; // a later load (another token, scope or thresholds) makes earlier answers stale
  let page = null;
  let reloadTimer = null;
  const loaded = {}; // layer: its FeatureCollection as last loaded

  function label(text, limits) {
    return text.replace(/\{(\w+)\}/g, (_, key) => String(limits[key]));
  }

  function ids(layer) {
    return [`coverage-${layer}-fill`, `coverage-${layer}-line`, `coverage-${layer}-point`];
  }

  function draw(map, layer, kind, colour, data) {
    const source = `coverage-${layer}`;
    if (map.getSource(source)) return map.getSource(source).setData(data);
    map.addSource(source, { type: "geojson", data });
    const hidden = { visibility: "none" };
    const [fill, line, point] = ids(layer);
    if (kind === "area") {
      map.addLayer({ id: fill, type: "fill", source, layout: hidden,
        paint: { "fill-color": colour, "fill-opacity": 0.45 } });
      map.addLayer({ id: line, type: "line", source, layout: hidden,
        paint: { "line-color": colour, "line-width": 2.5 } });
    } else {
      map.addLayer({ id: point, type: "circle", source, layout: hidden,
        paint: { "circle-radius": 7, "circle-color": colour, "circle-opacity": 0.8,
          "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.5 } });
    }
    return null;
  }

  function show(map, layer, on) {
    for (const id of ids(layer)) {
      if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", on ? "visible" : "none");
    }
  }

  function shownLayers() {
    return new Set([...document.querySelectorAll("#coverage-layers input:checked")]
      .map((input) => input.dataset.layer));
  }

  function changedSwitches() {
    const on = shownLayers();
    for (const [layer] of LAYERS) show(page.map, layer, on.has(layer));
    V.write({ layers: on });
    window.parkgridCoverageList.render(page, on, loaded);
  }

  function switchFor(layer, text, colour, count, on) {
    const input = P.el("input", { type: "checkbox", "data-layer": layer });
    input.checked = on;
    input.addEventListener("change", changedSwitches);
    return P.el("li", { "data-layer": layer, "data-count": String(count) },
      P.el("label", {}, input, P.el("i", { style: `background:${colour}` }),
        ` ${text} `, P.el("b", { "data-field": "count" }, String(count))));
  }

  /** The liaison enterprises of the workload list's cadres, as points (count: cadres). */
  async function workloadData(scope, limits, layer) {
    const variables = { park: scope.park, zone: scope.zone, ...limits };
    const cadres = (await P.graphql(WORKLOAD_QUERY, variables)).coverage.workload[WORKLOAD[layer]];
    const held = await P.aliased(cadres, (cadre) => `cadre(id: ${JSON.stringify(cadre.id)}) {
      assignments { role enterprise { uscc name location } } }`);
    const features = cadres.flatMap((cadre, index) => (held[index] || { assignments: [] }).assignments
      .filter((item) => item.role === "LIAISON" && item.enterprise)
      .map((item) => ({ type: "Feature", id: `${cadre.id}|${item.enterprise.uscc}`,
        geometry: item.enterprise.location,
        properties: { cadre: cadre.name, load: cadre.enterprises, name: item.enterprise.name,
          uscc: item.enterprise.uscc } })));
    return { type: "FeatureCollection", features, count: cadres.length };
  }

  async function layerData(scope, limits, layer) {
    if (WORKLOAD[layer]) return workloadData(scope, limits, layer);
    const params = new URLSearchParams({
      serviceDays: limits.days, maxPerLiaison: limits.max, minPerLiaison: limits.min,
    });
    if (scope.zone) params.set("zone", scope.zone);
    const url = P.here(`coverage/${encodeURIComponent(scope.park)}/${layer}.geojson?${params}`);
    const response = await fetch(url, { headers: P.authHeaders() });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error(`${layer}: ${body.message || body.error || `HTTP ${response.status}`}`);
    }
    return response.json();
  }

  function limitsFromInputs() {
    const value = (id) => Number.parseInt($(id).value, 10);
    return { days: value("coverage-days"), max: value("coverage-max"), min: value("coverage-min") };
  }

  /** (Re)load every layer for the page's token, scope and thresholds; counts and drawings
   * are replaced together once all layers have arrived. */
  async function load() {
    const mine = ++generation;
    const box = $("coverage-layers");
    const status = $("coverage-status");
    if (!P.token()) {
      box.replaceChildren();
      for (const [layer] of LAYERS) show(page.map, layer, false);
      window.parkgridCoverageList.render(page, new Set(), {});
      status.textContent = "登录后可见 · sign in to see the coverage report";
      return;
    }
    status.textContent = "载入中 · loading …";
    try {
      const { park, zone } = await V.scope();
      if (!park) throw new Error("no park");
      const scope = { park: park.code, zone: zone ? zone.code : null };
      const limits = limitsFromInputs();
      const found = await Promise.all(LAYERS.map(([layer]) => layerData(scope, limits, layer)));
      if (mine !== generation) return;
      const on = box.children.length ? shownLayers() : V.read().layers;
      box.replaceChildren();
      LAYERS.forEach(([layer, text, kind, colour], index) => {
        loaded[layer] = found[index];
        draw(page.map, layer, kind, colour, found[index]);
        const { count = found[index].features.length } = found[index];
        box.append(switchFor(layer, label(text, limits), colour, count, on.has(layer)));
      });
      changedSwitches();
      status.textContent = `${park.name} (${park.code})${zone ? ` · ${zone.name} (${zone.code})` : ""}`;
      status.dataset.loaded = String(mine);
    } catch (error) {
      if (mine !== generation) return;
      status.textContent = "";
      P.showError(`coverage: ${error.message}`);
    }
  }

  function changedLimits() {
    const limits = limitsFromInputs();
    if (!Object.values(limits).every((value) => Number.isInteger(value) && value >= 0)) return;
    V.write(limits);
    load();
  }

  /** Reload after live changes, once per burst. */
  function changed() {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(load, RELOAD_DELAY_MS);
  }

  function start(hooks) {
    const first = page === null;
    page = hooks;
    if (first) {
      const state = V.read();
      for (const key of ["days", "max", "min"]) {
        $(`coverage-${key}`).value = String(state[key]);
        $(`coverage-${key}`).addEventListener("change", changedLimits);
      }
      V.switcher(hooks.map, load).catch((error) => P.showError(`parks: ${error.message}`));
    }
    return load();
  }

  return { start, changed, LAYERS, WORKLOAD, label };
})();
