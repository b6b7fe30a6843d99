"""`/tiles/{layer}/{z}/{x}/{y}.mvt` and `/tiles/{layer}.json` (TileJSON 3.0.0).

A tile's ETag is a digest of its bytes: a conditional request for a tile that has not changed
gets 304, and any change to the data shows in the next request (the process keeps tiles only
while the database's change stamp of their layer and area holds: resolvers/gis/tile_cache.py). A
tile depends on who asks, so responses vary on Authorization; anonymous tiles are public.
TileJSON's tile URL starts with the configured public URL (web/routes/links.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from parkgrid.errors import NotFound
from parkgrid.settings import ApiSettings
from resolvers.gis import tiles
from resolvers.gis.tile_cache import Place, Tile, TileCache
from schema.context import park_today
from web.middleware import database_for, principal_of
from web.routes.errors import answering
from web.routes.links import PublicLinks

MVT = "application/vnd.mapbox-vector-tile"


def layer_named(name: str) -> tiles.TileLayer:
    layer = tiles.LAYERS.get(name)
    if layer is None:
        raise NotFound(f"no layer {name!r}; layers: {', '.join(tiles.LAYERS)}", field="layer")
    return layer


def checked_address(layer: tiles.TileLayer, z: int, x: int, y: int) -> None:
    if not layer.minzoom <= z <= tiles.MAX_ZOOM:
        raise NotFound(f"{layer.name} tiles span zoom {layer.minzoom} to {tiles.MAX_ZOOM}", "z")
    if not (0 <= x < 2**z and 0 <= y < 2**z):
        raise NotFound(f"no tile {z}/{x}/{y}", field="x" if not 0 <= x < 2**z else "y")


def cache_headers(request: Request, tag: str) -> dict[str, str]:
    scope = "private" if principal_of(request).is_staff else "public"
    return {"ETag": tag, "Cache-Control": f"{scope}, no-cache", "Vary": "Authorization"}


def unchanged(request: Request, tag: str) -> bool:
    wanted = request.headers.get("if-none-match", "")
    return tag in {value.strip() for value in wanted.split(",")} or wanted.strip() == "*"


def cache_key(
    request: Request, address: tuple[str, int, int, int], today: date
) -> tuple[object, ...]:
    """What a tile shows depends on the caller's role and grids only, not on who they are."""
    who = principal_of(request)
    return (*address, today, who.kind, who.read_grids)


async def read_tile(request: Request, api: ApiSettings, cache: TileCache) -> tuple[Tile, bool]:
    layer = layer_named(request.path_params["layer"])
    z, x, y = (request.path_params[key] for key in ("z", "x", "y"))
    checked_address(layer, z, x, y)
    today = park_today(api, datetime.now(UTC))
    build = partial(tiles.tile, layer=layer, z=z, x=x, y=y, today=today)
    key = cache_key(request, (layer.name, z, x, y), today)
    place = Place(layer.name, z, x, y)
    return await database_for(request).read(cache.fetch, key, place, build, layer.kept)


async def tile_response(request: Request, api: ApiSettings, cache: TileCache) -> Response:
    found, kept = await read_tile(request, api, cache)
    headers = cache_headers(request, found.etag) | {"X-Tile-Cache": "hit" if kept else "miss"}
    if unchanged(request, found.etag):
        return Response(status_code=304, headers=headers)
    return Response(found.body, media_type=MVT, headers=headers)


def tilejson(base: str, layer: tiles.TileLayer, box: Any) -> dict[str, Any]:
    """`buffer` and `extent` (beside TileJSON's own fields) say how far beyond its edge a tile
    carries features, in tile units: a client that clips or de-duplicates labels needs it."""
    west, south, east, north = box or (-180.0, -85.0511, 180.0, 85.0511)
    return {
        "tilejson": "3.0.0",
        "name": layer.name,
        "description": layer.description,
        "tiles": [f"{base}/tiles/{layer.name}/{{z}}/{{x}}/{{y}}.mvt"],
        "extent": tiles.EXTENT,
        "buffer": tiles.BUFFER,
        "minzoom": layer.minzoom,
        "maxzoom": layer.maxzoom,
        "bounds": [west, south, east, north],
        "center": [(west + east) / 2, (south + north) / 2, max(layer.minzoom, 12)],
        "vector_layers": [
            {"id": layer.name, "description": layer.description, "fields": layer.fields,
             "minzoom": layer.minzoom, "maxzoom": layer.maxzoom}
        ],
    }  # fmt: skip


def tile_routes(api: ApiSettings) -> list[Route]:
    cache = TileCache(int(api.tile_cache_mb * 1024 * 1024))
    links = PublicLinks.of()

    async def one_tile(request: Request) -> Response:
        return await tile_response(request, api, cache)

    async def tile_json(request: Request) -> Response:
        layer = layer_named(request.path_params["layer"])
        box = await database_for(request).read(tiles.bounds, layer)
        return JSONResponse(tilejson(links.base(request), layer, box))

    return [
        Route("/tiles/{layer}/{z:int}/{x:int}/{y:int}.mvt", answering(one_tile), methods=["GET"]),
        Route("/tiles/{layer}.json", answering(tile_json), methods=["GET"]),
    ]
