// Redraw a grid on the /map page: the grid's boundary becomes editable with terra-draw (its
// MapLibre adapter draws on the page's map); every edit asks `previewGridChange` what saving
// would do (enterprises moving in and out, highlighted; overlaps and gaps created or removed;
// the part outside the zone; each cadre's workload change); Save sends `upsertGrid` and shows
// its typed errors, Discard drops the drawing. Nothing is written before Save. The server
// decides who may save (zone leads of the grid's zone and admins). Plain script, no build step.
"use strict";

window.parkgridRedraw = (() => {
  const P = window.parkgridPage;
  const GRID_QUERY = `query($code: String!) { grid(code: $code) { code name zone { code } boundary } }`;
  const AREA = "code within areaSqM geometry";
  const PREVIEW_QUERY = `query($code: String!, $boundary: GeoJSON!) {
    previewGridChange(code: $code, boundary: $boundary) {
      enterprisesChangedGrid
      movingIn { uscc name fromGrid toGrid } movingOut { uscc name fromGrid toGrid }
      overlapsCreated { first second areaSqM geometry } overlapsRemoved { first second areaSqM geometry }
      gapsCreated { ${AREA} } gapsRemoved { ${AREA} }
      outsideZoneBefore { ${AREA} } outsideZoneAfter { ${AREA} }
      workload { zone role cadreId name before after } } }`;
  const SAVE_MUTATION = `mutation($code: String!, $name: String!, $zone: String!, $boundary: GeoJSON!) {
    upsertGrid(code: $code, name: $name, zone: $zone, boundary: $boundary) {
      __typename ... on GridPayload { enterprisesChangedGrid }
      ... on UserError { code field message } } }`;
  const SOURCE = "redraw-preview";
  const COLOURS = { in: "#16a34a", out: "#dc2626", overlap: "#dc2626", gap: "#2563eb", outside: "#ea580c" };
  const PREVIEW_DELAY_MS = 250;
  const $ = P.$;
  let session = null; // { map, grid, draw, original, timer, asked, preview }

  const active = () => session !== null;

  function boundary() {
    const polygons = session.draw.getSnapshot()
      .filter((feature) => feature.geometry.type === "Polygon")
      .map((feature) => feature.geometry.coordinates);
    return polygons.length === 1
      ? { type: "Polygon", coordinates: polygons[0] }
      : { type: "MultiPolygon", coordinates: polygons };
  }

  function status(text, kind) {
    P.setStatus("redraw-status", text, kind);
  }

  function sqm(value) {
    return `${Math.round(value).toLocaleString()} m²`;
  }

  function list(id, items, line) {
    $(id).replaceChildren(...items.map((item) => {
      const row = P.el("li", {}, line(item));
      if (item.uscc) row.dataset.uscc = item.uscc;
      return row;
    }));
  }

  function renderPreview(found) {
    const remainder = (item) => `${item.code} ⊂ ${item.within}: ${sqm(item.areaSqM)}`;
    const overlap = (item) => `${item.first} ∩ ${item.second}: ${sqm(item.areaSqM)}`;
    list("redraw-in", found.movingIn, (m) => `${m.name} (${m.uscc}) ← ${m.fromGrid || "无网格 no grid"}`);
    list("redraw-out", found.movingOut, (m) => `${m.name} (${m.uscc}) → ${m.toGrid || "无网格 no grid"}`);
    list("redraw-overlaps", [
      ...found.overlapsCreated.map((o) => ({ text: `+ ${overlap(o)}` })),
      ...found.overlapsRemoved.map((o) => ({ text: `− ${overlap(o)}` })),
    ], (item) => item.text);
    list("redraw-gaps", [
      ...found.gapsCreated.map((g) => ({ text: `+ ${remainder(g)}` })),
      ...found.gapsRemoved.map((g) => ({ text: `− ${remainder(g)}` })),
    ], (item) => item.text);
    const before = found.outsideZoneBefore ? sqm(found.outsideZoneBefore.areaSqM) : "0 m²";
    const after = found.outsideZoneAfter ? sqm(found.outsideZoneAfter.areaSqM) : "0 m²";
    $("redraw-outside").textContent = `${before} → ${after}`;
    list("redraw-workload", found.workload, (w) =>
      `${w.name} · ${w.role.toLowerCase()} · ${w.zone}: ${w.before} → ${w.after}`);
    $("redraw-result").hidden = false;
  }

  /** Where the movers are, by credit code. */
  async function located(usccs) {
    const found = await P.aliased(usccs, (uscc) => `enterprise(uscc: ${JSON.stringify(uscc)}) { location }`);
    return new Map(usccs.map((uscc, index) => [uscc, found[index] && found[index].location]));
  }

  /** The preview on the map: movers as rings (green in, red out), created overlaps and gaps
   * and the part outside the zone as areas. */
  async function drawPreview(found) {
    const where = await located([...found.movingIn, ...found.movingOut].map((move) => move.uscc));
    const point = (move, kind) => where.get(move.uscc)
      ? [{ type: "Feature", geometry: where.get(move.uscc), properties: { kind, uscc: move.uscc } }] : [];
    const area = (item, kind) => ({ type: "Feature", geometry: item.geometry, properties: { kind } });
    const features = [
      ...found.overlapsCreated.map((o) => area(o, "overlap")),
      ...found.gapsCreated.map((g) => area(g, "gap")),
      ...(found.outsideZoneAfter ? [area(found.outsideZoneAfter, "outside")] : []),
      ...found.movingIn.flatMap((m) => point(m, "in")),
      ...found.movingOut.flatMap((m) => point(m, "out")),
    ];
    if (session) session.map.getSource(SOURCE).setData({ type: "FeatureCollection", features });
  }

  async function preview() {
    const mine = session;
    const asked = JSON.stringify(boundary());
    mine.asked = asked;
    status("预览中 · previewing …", "");
    try {
      const body = await P.post(PREVIEW_QUERY, { code: mine.grid.code, boundary: JSON.parse(asked) });
      if (session !== mine || mine.asked !== asked) return;
      if (body.errors && body.errors.length) {
        const [error] = body.errors;
        const code = (error.extensions || {}).code || "ERROR";
        status(`${code}: ${error.message}`, "bad");
        $("redraw-status").dataset.code = code;
        return;
      }
      mine.preview = body.data.previewGridChange;
      renderPreview(mine.preview);
      await drawPreview(mine.preview);
      status(`预览 · preview: ${mine.preview.enterprisesChangedGrid} 家企业换网格 · enterprises change grid`, "good");
      $("redraw-status").dataset.code = "PREVIEW";
      $("redraw-status").dataset.previewed = asked;
    } catch (error) {
      if (session === mine) status(error.message, "bad");
    }
  }

  function edited() {
    clearTimeout(session.timer);
    session.timer = setTimeout(preview, PREVIEW_DELAY_MS);
  }

  function addLayers(map) {
    map.addSource(SOURCE, { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    const colour = ["match", ["get", "kind"], ...Object.entries(COLOURS).flat(), "#111827"];
    map.addLayer({ id: `${SOURCE}-fill`, type: "fill", source: SOURCE, filter: ["==", ["geometry-type"], "Polygon"],
      paint: { "fill-color": colour, "fill-opacity": 0.5 } });
    map.addLayer({ id: `${SOURCE}-point`, type: "circle", source: SOURCE, filter: ["==", ["geometry-type"], "Point"],
      paint: { "circle-radius": 11, "circle-color": "rgba(0,0,0,0)", "circle-stroke-color": colour,
        "circle-stroke-width": 4 } });
  }

  function startDrawing(map, grid) {
    const td = window.terraDraw;
    const draw = new td.TerraDraw({
      adapter: new window.terraDrawMaplibreGlAdapter.TerraDrawMapLibreGLAdapter({ map }),
      modes: [
        new td.TerraDrawPolygonMode(),
        new td.TerraDrawSelectMode({ flags: { polygon: { feature: { draggable: false,
          coordinates: { draggable: true, midpoints: true, deletable: true } } } } }),
      ],
    });
    draw.start();
    const polygons = grid.boundary.type === "Polygon" ? [grid.boundary.coordinates] : grid.boundary.coordinates;
    const added = draw.addFeatures(polygons.map((coordinates) => ({ type: "Feature",
      geometry: { type: "Polygon", coordinates }, properties: { mode: "polygon" } })));
    const refused = added.filter((result) => !result.valid);
    if (refused.length) throw new Error(`the drawing library refused the boundary: ${refused[0].reason}`);
    draw.setMode("select");
    draw.selectFeature(added[0].id);
    draw.on("change", (_ids, type) => { if (type !== "styling") edited(); });
    return draw;
  }

  async function begin(map, code) {
    if (session) discard();
    if (!window.terraDraw || !window.terraDrawMaplibreGlAdapter) {
      return P.showError("terra-draw did not load (static/vendor/terra-draw/)");
    }
    const { grid } = await P.graphql(GRID_QUERY, { code });
    if (!grid) return P.showError(`no grid ${code}`);
    $("redraw").hidden = false;
    $("redraw-result").hidden = true;
    $("redraw-title").textContent = `${grid.name} (${grid.code})`;
    status("拖动顶点重绘边界 · drag a vertex to redraw the boundary", "");
    delete $("redraw-status").dataset.code;
    addLayers(map);
    session = { map, grid, original: JSON.stringify(grid.boundary), draw: null, timer: null };
    session.draw = startDrawing(map, grid);
    window.parkgridRedrawSession = session;
    return session;
  }

  function discard() {
    if (!session) return;
    clearTimeout(session.timer);
    session.draw.stop();
    const map = session.map;
    for (const id of [`${SOURCE}-fill`, `${SOURCE}-point`]) if (map.getLayer(id)) map.removeLayer(id);
    if (map.getSource(SOURCE)) map.removeSource(SOURCE);
    session = null;
    window.parkgridRedrawSession = null;
    $("redraw").hidden = true;
  }

  /** Save with upsertGrid: its typed errors are shown; a grid changed by someone else since
   * the redraw began is a CONFLICT (the boundary is read again just before saving). */
  async function save(done) {
    const mine = session;
    $("redraw-status").dataset.code = "SAVING"; // what follows is the save's answer, not the preview's
    status("保存中 · saving …", "");
    const now = (await P.graphql(GRID_QUERY, { code: mine.grid.code })).grid;
    if (!now || JSON.stringify(now.boundary) !== mine.original) {
      $("redraw-status").dataset.code = "CONFLICT";
      return status("CONFLICT: 网格已被他人修改，请重新载入 · the grid changed since the redraw began; discard and redraw", "bad");
    }
    const body = await P.post(SAVE_MUTATION, { code: mine.grid.code, name: mine.grid.name,
      zone: mine.grid.zone.code, boundary: boundary() });
    const answer = body.data && body.data.upsertGrid;
    if (!answer) {
      const [error] = body.errors || [{ message: "no answer" }];
      $("redraw-status").dataset.code = (error.extensions || {}).code || "ERROR";
      return status(`${$("redraw-status").dataset.code}: ${error.message}`, "bad");
    }
    if (answer.__typename !== "GridPayload") {
      $("redraw-status").dataset.code = answer.code;
      return status(`${answer.code}${answer.field ? ` (${answer.field})` : ""}: ${answer.message}`, "bad");
    }
    discard();
    P.setStatus("redraw-saved", `已保存 · saved: ${answer.enterprisesChangedGrid} 家企业换网格 · enterprises changed grid`, "good");
    done();
    return answer;
  }

  function wire(map, done) {
    $("redraw-save").addEventListener("click", () => save(done).catch((error) => status(error.message, "bad")));
    $("redraw-discard").addEventListener("click", discard);
  }

  return { begin, discard, save, wire, active, boundary };
})();
