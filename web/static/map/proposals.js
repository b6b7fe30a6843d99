// Proposed liaisons on the /map page: `proposeAssignments` for the park or zone shown (with the
// page's liaison maximum), drawn as lines from each enterprise without a liaison to the
// enterprises its proposed cadre serves now (a lead serving none: its grids and zones), and listed; each can be accepted, or all at once,
// through `assignCadre` (the server's access rules decide; its typed errors are shown per row).
// Plain script, no build step.
"use strict";

window.parkgridProposals = (() => {
  const P = window.parkgridPage;
  const V = window.parkgridView;
  const QUERY = `query($park: String!, $zone: String, $max: Int!) {
    proposeAssignments(park: $park, zone: $zone, maxPerLiaison: $max) {
      proposals { uscc name gridCode cadreId cadreName basis loadBefore loadAfter aboveLimit }
      unplaced { uscc name reason } } }`;
  const ACCEPT = `mutation($cadre: ID!, $target: String!) {
    assignCadre(cadre: $cadre, level: ENTERPRISE, target: $target) {
      __typename ... on UserError { code field message } } }`;
  const SOURCE = "proposals";
  const $ = P.$;
  let map = null;
  let shown = []; // the proposals listed

  function clear() {
    shown = [];
    $("proposal-list").replaceChildren();
    $("proposal-all").hidden = true;
    if (map && map.getSource(SOURCE)) map.getSource(SOURCE).setData({ type: "FeatureCollection", features: [] });
  }

  function addLayers() {
    if (map.getSource(SOURCE)) return;
    map.addSource(SOURCE, { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    map.addLayer({ id: `${SOURCE}-line`, type: "line", source: SOURCE, filter: ["==", ["geometry-type"], "LineString"],
      paint: { "line-color": "#7c3aed", "line-width": 2, "line-dasharray": [2, 1] } });
    map.addLayer({ id: `${SOURCE}-point`, type: "circle", source: SOURCE, filter: ["==", ["geometry-type"], "Point"],
      paint: { "circle-radius": 8, "circle-color": "#7c3aed", "circle-stroke-color": "#fff", "circle-stroke-width": 2 } });
  }

  /** Where a cadre serves now: the enterprises it is liaison of or, for a lead without
   * any, the centres of the grids and zones it leads (`to`: a credit code or an area code). */
  function servedBy(assignments) {
    const firms = assignments.filter((item) => item.role === "LIAISON" && item.enterprise)
      .map((item) => ({ to: item.enterprise.uscc, at: item.enterprise.location }));
    if (firms.length) return firms;
    return assignments.map((item) => item.grid || item.zone).filter(Boolean)
      .map((area) => ({ to: area.code, at: area.centroid }));
  }

  /** Lines from each proposal's enterprise to where its cadre serves now. */
  async function features(proposals) {
    const cadres = [...new Set(proposals.map((item) => item.cadreId))];
    const held = await P.aliased(cadres, (id) => `cadre(id: ${JSON.stringify(id)}) { assignments {
      role enterprise { uscc location } grid { code centroid } zone { code centroid } } }`);
    const served = new Map(cadres.map((id, index) => [id, servedBy((held[index] || {}).assignments || [])]));
    const places = await P.aliased(proposals, (item) => `enterprise(uscc: ${JSON.stringify(item.uscc)}) { location }`);
    return proposals.flatMap((item, index) => {
      const from = places[index] && places[index].location;
      if (!from) return [];
      const props = { uscc: item.uscc, cadre: item.cadreName };
      return [{ type: "Feature", geometry: from, properties: props },
        ...served.get(item.cadreId).map((place) => ({ type: "Feature", properties: { ...props, to: place.to },
          geometry: { type: "LineString", coordinates: [from.coordinates, place.at.coordinates] } }))];
    });
  }

  async function accept(item, row) {
    const body = await P.post(ACCEPT, { cadre: item.cadreId, target: item.uscc });
    const answer = body.data && body.data.assignCadre;
    const code = answer ? (answer.__typename === "AssignmentPayload" ? "ACCEPTED" : answer.code)
      : ((body.errors || [{}])[0].extensions || {}).code || "ERROR";
    const message = answer ? answer.message : (body.errors || [{ message: "no answer" }])[0].message;
    row.dataset.code = code;
    row.querySelector(".status").textContent = code === "ACCEPTED" ? "已采纳 · accepted" : `${code}: ${message}`;
    row.querySelector("button").disabled = code === "ACCEPTED";
    return code === "ACCEPTED";
  }

  function rowFor(item) {
    const button = P.el("button", { type: "button" }, "采纳 · Accept");
    const row = P.el("li", { "data-uscc": item.uscc, "data-cadre": item.cadreId },
      `${item.name} (${item.uscc}) → ${item.cadreName} · ${item.basis.toLowerCase()} · ${item.loadBefore} → ${item.loadAfter}`,
      item.aboveLimit ? " ⚠" : "", " ", button, P.el("span", { class: "status" }));
    button.addEventListener("click", async () => {
      if (await accept(item, row).catch((error) => P.showError(error.message))) window.parkgridCoverage.changed();
    });
    return row;
  }

  async function propose() {
    clear();
    P.setStatus("proposal-status", "计算中 · proposing …", "");
    const { park, zone } = await V.scope();
    const found = (await P.graphql(QUERY, { park: park.code, zone: zone ? zone.code : null,
      max: V.read().max })).proposeAssignments;
    shown = found.proposals;
    addLayers();
    map.getSource(SOURCE).setData({ type: "FeatureCollection", features: await features(shown) });
    $("proposal-list").replaceChildren(...shown.map(rowFor));
    $("proposal-all").hidden = !shown.length;
    P.setStatus("proposal-status", `${shown.length} 条建议 · proposals` +
      (found.unplaced.length ? `，${found.unplaced.length} 家无合适干部 · without a candidate` : ""), "");
    $("proposal-status").dataset.count = String(shown.length);
  }

  async function acceptAll() {
    let accepted = 0;
    for (const row of $("proposal-list").children) {
      const item = shown.find((p) => p.uscc === row.dataset.uscc);
      if (row.dataset.code !== "ACCEPTED" && (await accept(item, row))) accepted += 1;
    }
    if (accepted) window.parkgridCoverage.changed();
  }

  function wire(theMap) {
    map = theMap;
    $("proposal-run").addEventListener("click", () => propose()
      .catch((error) => P.setStatus("proposal-status", error.message, "bad")));
    $("proposal-all").addEventListener("click", () => acceptAll().catch((error) => P.showError(error.message)));
  }

  return { wire, clear };
})();
