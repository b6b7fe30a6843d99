// Print the /map page's current view for the office's reports: a PNG, or an A4 or A3 PDF
// (landscape), each with a title (park and zone), the legend of the layers shown, the scale
// bar and the date. Made in the browser: the map is already drawn there (WebGL), the page's
// Chinese text is drawn with the browser's fonts onto one image, and jsPDF (vendored) wraps
// that image in a PDF page, so the service needs no headless renderer. Plain script.
"use strict";

window.parkgridPrint = (() => {
  const P = window.parkgridPage;
  const PAGES = { A4: [297, 210], A3: [420, 297] }; // mm, landscape
  const MARGIN = 16; // px around the parts of the sheet
  const HEADER = 56;
  const FONT = "system-ui, 'Noto Sans CJK SC', 'WenQuanYi Micro Hei', sans-serif";

  /** The map canvas as drawn in the next frame (WebGL keeps its buffer only within a frame). */
  function mapImage(map) {
    return new Promise((resolve) => {
      map.once("render", () => resolve(map.getCanvas().toDataURL("image/png")));
      map.triggerRepaint();
    });
  }

  function loaded(src) {
    return new Promise((resolve, reject) => {
      const image = new Image();
      image.onload = () => resolve(image);
      image.onerror = () => reject(new Error("the map image could not be read"));
      image.src = src;
    });
  }

  function legendRows() {
    const rows = [...document.querySelectorAll("#map-legend li")].map((item) => ({
      colour: item.querySelector("i").style.background, text: item.textContent.trim() }));
    const shade = document.querySelector("input[name=shade]:checked");
    const label = shade ? shade.parentElement.textContent.trim() : "";
    const swatches = [...document.querySelectorAll("#legend div:first-child .swatch")].map((item) => ({
      colour: item.querySelector("i").style.background, text: `${label} ${item.textContent.trim()}` }));
    return [...swatches, ...rows];
  }

  function drawScale(context, map, x, y) {
    const bar = document.querySelector(".maplibregl-ctrl-scale");
    if (!bar) return;
    const width = bar.getBoundingClientRect().width * (context.canvas.width / map.getCanvas().clientWidth) / (window.devicePixelRatio || 1);
    context.fillStyle = "#111827";
    context.fillRect(x, y, width, 4);
    context.fillRect(x, y - 6, 2, 10);
    context.fillRect(x + width - 2, y - 6, 2, 10);
    context.font = `14px ${FONT}`;
    context.fillText(bar.textContent.trim(), x, y - 10);
  }

  /** The sheet: title and date on top, the map, the legend on its right, the scale below it. */
  async function sheet(map) {
    const image = await loaded(await mapImage(map));
    const rows = legendRows();
    const legendWidth = 360;
    const canvas = document.createElement("canvas");
    canvas.width = image.width + legendWidth + 3 * MARGIN;
    canvas.height = Math.max(image.height, rows.length * 22) + HEADER + 2 * MARGIN + 30;
    const context = canvas.getContext("2d");
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.fillStyle = "#111827";
    context.font = `bold 26px ${FONT}`;
    const scope = P.$("coverage-status").textContent || P.$("park").selectedOptions[0]?.textContent || "";
    context.fillText(`园区网格地图 · parkgrid map — ${scope}`, MARGIN, MARGIN + 26);
    context.font = `16px ${FONT}`;
    context.fillText(`${new Date().toISOString().slice(0, 10)} · ${window.location.href}`.slice(0, 160), MARGIN, MARGIN + 48);
    context.drawImage(image, MARGIN, HEADER + MARGIN);
    context.strokeStyle = "#6b7280";
    context.strokeRect(MARGIN, HEADER + MARGIN, image.width, image.height);
    context.font = `14px ${FONT}`;
    rows.forEach((row, index) => {
      const y = HEADER + MARGIN + index * 22;
      context.fillStyle = row.colour || "#000";
      context.fillRect(image.width + 2 * MARGIN, y + 3, 14, 14);
      context.fillStyle = "#111827";
      context.fillText(row.text, image.width + 2 * MARGIN + 20, y + 15, legendWidth - 24);
    });
    drawScale(context, map, MARGIN, HEADER + MARGIN + image.height + 26);
    return canvas;
  }

  function save(href, name) {
    const link = P.el("a", { href, download: name });
    document.body.append(link);
    link.click();
    link.remove();
  }

  async function png(map) {
    save((await sheet(map)).toDataURL("image/png"), `parkgrid-map-${new Date().toISOString().slice(0, 10)}.png`);
  }

  async function pdf(map, size) {
    const canvas = await sheet(map);
    const [width, height] = PAGES[size];
    const doc = new window.jspdf.jsPDF({ orientation: "landscape", unit: "mm", format: size.toLowerCase() });
    const scale = Math.min((width - 20) / canvas.width, (height - 20) / canvas.height);
    doc.addImage(canvas.toDataURL("image/png"), "PNG", 10, 10, canvas.width * scale, canvas.height * scale);
    save(doc.output("bloburl"), `parkgrid-map-${size}-${new Date().toISOString().slice(0, 10)}.pdf`);
  }

  function wire(map) {
    const failed = (error) => P.showError(`print: ${error.message}`);
    P.$("print-png").addEventListener("click", () => png(map).catch(failed));
    P.$("print-pdf").addEventListener("click", () => pdf(map, P.$("print-size").value).catch(failed));
  }

  return { wire, sheet };
})();
