// Bundles the app into dist/ (served by the service at /examples/map-app/ once built):
// one script, MapLibre's stylesheet and the page; nothing is fetched from elsewhere.
import { build } from "esbuild";
import { copyFile, mkdir, rm } from "node:fs/promises";

await rm("dist", { recursive: true, force: true });
await mkdir("dist");
await build({
  entryPoints: ["src/main.ts"],
  bundle: true,
  minify: true,
  sourcemap: true,
  format: "esm",
  target: "es2022",
  outfile: "dist/main.js",
  logLevel: "warning",
});
await copyFile("index.html", "dist/index.html");
await copyFile("node_modules/maplibre-gl/dist/maplibre-gl.css", "dist/maplibre-gl.css");
