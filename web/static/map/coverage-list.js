// Beside the /map page's map: a legend of the coverage layers switched on (drawn over the map,
// so a printed view carries it) and a list of their features; a row's click flies to it.
// Plain script, no build step; coverage.js renders it whenever its layers or switches change.
"use strict";

window.parkgridCoverageList = (() => {
  const P = window.parkgridPage;
  const MAX_ROWS = 200; // per layer: the count still says how many there are

  function area(value) {
    return value === undefined || value === null ? "" : ` · ${Math.round(value).toLocaleString()} m²`;
  }

  /** What a row says about a feature, by the layer's kind of item. */
  function describe(feature) {
    const p = feature.properties || {};
    if (p.first) return `${p.first} ∩ ${p.second}${area(p.area_m2)}`;
    if (p.cadre) return `${p.cadre} (${p.load}) · ${p.name}`;
    if (p.title) return `${p.title} · ${p.name} · 逾期 ${p.days_overdue} 天 overdue`;
    if (p.uscc) {
      const last = p.last_visit === undefined ? "" : ` · ${p.last_visit ? p.last_visit.slice(0, 10) : "从未 never"}`;
      const grids = p.covering_grids ? ` · ${p.covering_grids.join(" / ")}` : "";
      return `${p.name} (${p.uscc})${grids}${last}`;
    }
    return `${p.code}${p.name ? ` ${p.name}` : ""}${p.within ? ` ⊄ ${p.within}` : ""}${area(p.area_m2)}`;
  }

  function bounds(geometry) {
    const box = [Infinity, Infinity, -Infinity, -Infinity];
    const walk = (coords) => {
      if (typeof coords[0] === "number") {
        box[0] = Math.min(box[0], coords[0]); box[1] = Math.min(box[1], coords[1]);
        box[2] = Math.max(box[2], coords[0]); box[3] = Math.max(box[3], coords[1]);
      } else coords.forEach(walk);
    };
    walk(geometry.coordinates);
    return box;
  }

  function flyTo(map, feature) {
    const [west, south, east, north] = bounds(feature.geometry);
    if (west === east && south === north) {
      map.flyTo({ center: [west, south], zoom: Math.max(map.getZoom(), 16), essential: true });
    } else {
      map.fitBounds([[west, south], [east, north]], { padding: 60, maxZoom: 17, essential: true });
    }
  }

  function legend(layers, on, loaded) {
    const rows = layers.filter(([layer]) => on.has(layer)).map(([layer, text, kind, colour]) =>
      P.el("li", { "data-layer": layer },
        P.el("i", { class: kind === "area" ? "" : "dot", style: `background:${colour}` }),
        `${text} `, P.el("b", {}, String(loaded[layer].count ?? loaded[layer].features.length))));
    const box = P.$("map-legend");
    box.replaceChildren(...(rows.length ? [P.el("ul", {}, rows)] : []));
    box.hidden = !rows.length;
  }

  function render(page, on, loaded) {
    const coverage = window.parkgridCoverage;
    const limits = window.parkgridView.read();
    const layers = coverage.LAYERS.filter(([layer]) => loaded[layer])
      .map(([layer, text, kind, colour]) => [layer, coverage.label(text, limits), kind, colour]);
    legend(layers, on, loaded);
    const groups = layers.filter(([layer]) => on.has(layer)).map(([layer, text, , colour]) => {
      const rows = loaded[layer].features.slice(0, MAX_ROWS).map((feature) => {
        const button = P.el("button", { type: "button", "data-id": String(feature.id ?? "") },
          describe(feature));
        button.addEventListener("click", () => flyTo(page.map, feature));
        return P.el("li", {}, button);
      });
      return P.el("li", { "data-layer": layer },
        P.el("h4", {}, P.el("i", { style: `background:${colour}` }), ` ${text}`),
        P.el("ol", {}, rows));
    });
    P.$("coverage-list").replaceChildren(...groups);
  }

  return { render, flyTo, bounds };
})();
