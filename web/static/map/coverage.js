// The coverage layers of the /map page: each list of the coverage report (the `coverage`
// query's own data, served as GeoJSON by /coverage/{park}/{layer}.geojson) as a switch with
// its count, drawn on the map when switched on. The report needs a token (viewer, cadre or
// admin). Plain script, no build step; map.js starts it with the page's hooks.
"use strict";

window.parkgridCoverage = (() => {
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
    ["not-visited", "30 天未走访 · not visited in 30 days", "point", "#ca8a04"],
    ["overdue-hazards", "逾期安全隐患 · overdue safety hazards", "point", "#991b1b"],
    ["liaisons-over", "超负荷联点干部的企业 · liaisons over the workload limit", "point", "#4d7c0f"],
    ["liaisons-under", "低负荷联点干部的企业 · liaisons under the workload limit", "point", "#65a30d"],
  ];
  // The workload lists name cadres, not places: their liaison enterprises are drawn, and the
  // switch counts the cadres, as `coverage { workload }` lists them.
  const WORKLOAD = { "liaisons-over": "overloaded", "liaisons-under": "underloaded" };
  const WORKLOAD_QUERY = `query($park: String!) { coverage(park: $park) { workload {
    overloaded { id name enterprises } underloaded { id name enterprises } } } }`;
  const ALIASES = 25; // cadres asked for in one request (the service allows 30 aliases)
  const PARKS_QUERY = "{ parks(first: 1) { nodes { code name } } }";
  const $ = (id) => document.getElementById(id);
  let generation = 0; // a later start (another token) makes an earlier one's answers stale

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    node.append(...children.filter((child) => child !== null && child !== undefined));
    return node;
  }

  function ids(layer) {
    return [`coverage-${layer}-fill`, `coverage-${layer}-line`, `coverage-${layer}-point`];
  }

  function draw(map, layer, kind, colour, data) {
    const source = `coverage-${layer}`;
    for (const id of ids(layer)) if (map.getLayer(id)) map.removeLayer(id);
    if (map.getSource(source)) map.removeSource(source);
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
  }

  function show(map, layer, on) {
    for (const id of ids(layer)) {
      if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", on ? "visible" : "none");
    }
  }

  function switchFor(map, layer, label, colour, count) {
    const input = el("input", { type: "checkbox", "data-layer": layer });
    input.addEventListener("change", () => show(map, layer, input.checked));
    return el("li", { "data-layer": layer, "data-count": String(count) },
      el("label", {}, input, el("i", { style: `background:${colour}` }),
        ` ${label} `, el("b", { "data-field": "count" }, String(count))));
  }

  /** The liaison enterprises of the workload list's cadres, as points (count: cadres). */
  async function workloadData(page, park, layer) {
    const cadres = (await page.graphql(WORKLOAD_QUERY, { park })).coverage.workload[WORKLOAD[layer]];
    const features = [];
    for (let start = 0; start < cadres.length; start += ALIASES) {
      const batch = cadres.slice(start, start + ALIASES);
      const fields = batch.map((cadre, index) => `c${index}: cadre(id: ${JSON.stringify(cadre.id)}) {
        assignments { role enterprise { uscc name location } } }`);
      const found = await page.graphql(`{ ${fields.join(" ")} }`, {});
      batch.forEach((cadre, index) => {
        for (const held of (found[`c${index}`] || { assignments: [] }).assignments) {
          if (held.role !== "LIAISON" || !held.enterprise) continue;
          features.push({ type: "Feature", geometry: held.enterprise.location,
            properties: { cadre: cadre.name, load: cadre.enterprises, name: held.enterprise.name } });
        }
      });
    }
    return { type: "FeatureCollection", features, count: cadres.length };
  }

  async function layerData(page, park, layer) {
    if (WORKLOAD[layer]) return workloadData(page, park, layer);
    const headers = page.token() ? { Authorization: `Bearer ${page.token()}` } : {};
    const url = page.here(`coverage/${encodeURIComponent(park)}/${layer}.geojson`);
    const response = await fetch(url, { headers });
    if (!response.ok) throw new Error(`${layer}: HTTP ${response.status}`);
    return response.json();
  }

  /** Load the report's layers for the page's token (none without one). */
  async function start(page) {
    const mine = ++generation;
    const box = $("coverage-layers");
    const status = $("coverage-status");
    box.replaceChildren();
    for (const [layer] of LAYERS) show(page.map, layer, false);
    if (!page.token()) {
      status.textContent = "登录后可见 · sign in to see the coverage report";
      return;
    }
    status.textContent = "载入中 · loading …";
    try {
      const [park] = (await page.graphql(PARKS_QUERY, {})).parks.nodes;
      if (!park) throw new Error("no park");
      const found = await Promise.all(LAYERS.map(([layer]) => layerData(page, park.code, layer)));
      if (mine !== generation) return;
      LAYERS.forEach(([layer, label, kind, colour], index) => {
        draw(page.map, layer, kind, colour, found[index]);
        const { count = found[index].features.length } = found[index];
        box.append(switchFor(page.map, layer, label, colour, count));
      });
      status.textContent = `${park.name} (${park.code})`;
    } catch (error) {
      if (mine !== generation) return;
      status.textContent = "";
      page.showError(`coverage: ${error.message}`);
    }
  }

  return { start, LAYERS };
})();
