// The map: MapLibre with no base map (nothing to fetch from the internet), the park's grids
// shaded by open issues, and the enterprises being listed as points.
import maplibregl, { type GeoJSONSource, type Map as MapLibre } from "maplibre-gl";

export type Points = GeoJSON.FeatureCollection<GeoJSON.Point, { name: string }>;
export type Areas = GeoJSON.FeatureCollection<GeoJSON.Geometry, { code: string; open: number }>;

const EMPTY: GeoJSON.FeatureCollection = { type: "FeatureCollection", features: [] };

export function createMap(container: string): Promise<MapLibre> {
  const map = new maplibregl.Map({
    container,
    style: {
      version: 8,
      sources: {},
      layers: [{ id: "background", type: "background", paint: { "background-color": "#eef2ea" } }],
    },
    center: [112.9, 28.7],
    zoom: 12,
    attributionControl: false,
  });
  return new Promise((resolve) => {
    map.on("load", () => {
      map.addSource("grids", { type: "geojson", data: EMPTY });
      map.addSource("enterprises", { type: "geojson", data: EMPTY });
      map.addSource("near", { type: "geojson", data: EMPTY });
      map.addLayer({
        id: "grids",
        type: "fill",
        source: "grids",
        paint: {
          "fill-color": ["interpolate", ["linear"], ["get", "open"], 0, "#cfe8c4", 5, "#f4a259"],
          "fill-opacity": 0.6,
        },
      });
      map.addLayer({ id: "grid-lines", type: "line", source: "grids",
                     paint: { "line-color": "#3d5a40", "line-width": 1 } });
      map.addLayer({ id: "enterprises", type: "circle", source: "enterprises",
                     paint: { "circle-radius": 4, "circle-color": "#1f3b57" } });
      map.addLayer({ id: "near", type: "circle", source: "near",
                     paint: { "circle-radius": 5, "circle-color": "#c0392b" } });
      resolve(map);
    });
  });
}

export function show(map: MapLibre, source: string, data: GeoJSON.FeatureCollection): void {
  (map.getSource(source) as GeoJSONSource).setData(data);
}
