// The /map page's base map: the raster tiles the setting PARKGRID_MAP_BASEMAP_URL names (from
// /map/config.json), drawn under the park with their attribution; none by default (offline).
// Tiles in GCJ-02 are not drawn: they are offset from the park's WGS 84 data by up to
// hundreds of metres, so the page says so instead. Plain script, no build step.
"use strict";

window.parkgridBasemap = (() => {
  const P = window.parkgridPage;

  async function config() {
    const response = await fetch(P.here("map/config.json"));
    if (!response.ok) throw new Error(`map/config.json: HTTP ${response.status}`);
    return response.json();
  }

  function apply(map, settings) {
    const basemap = settings && settings.basemap;
    const notice = P.$("basemap-notice");
    if (!basemap) return;
    if (basemap.datum === "GCJ02") {
      notice.textContent = "底图为 GCJ-02 坐标，与 WGS 84 数据不对齐，未显示 · the base map is in GCJ-02 and does not align with the park's WGS 84 data, so it is not drawn";
      notice.hidden = false;
      notice.dataset.datum = basemap.datum;
      return;
    }
    map.addSource("basemap", { type: "raster", tiles: [basemap.tiles], tileSize: 256,
      attribution: basemap.attribution });
    map.addLayer({ id: "basemap", type: "raster", source: "basemap" }, "grid-fill");
    map.setPaintProperty("grid-fill", "fill-opacity", 0.6);
  }

  return { config, apply };
})();
