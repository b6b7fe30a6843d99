"""`/map`: the park on a map, `/static`: the pages' files and the vendored MapLibre GL JS and
GraphiQL, and the GraphiQL page `/graphql` shows to browsers.

The page is plain HTML, CSS and one script under `web/static/map/`; it draws the vector
tiles of `/tiles` and asks `/graphql` for details, so it needs nothing outside this service.
The GraphiQL page (`web/static/graphiql/`) likewise loads only files served here."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from parkgrid.settings import MapSettings

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
MAP_PAGE = STATIC_DIR / "map" / "index.html"
GRAPHIQL_PAGE = STATIC_DIR / "graphiql" / "index.html"


async def map_page(_: Request) -> FileResponse:
    return FileResponse(MAP_PAGE, media_type="text/html; charset=utf-8")


def graphiql_page() -> FileResponse:
    """Our GraphiQL page: strawberry's loads GraphiQL and React from a public CDN, so on a park
    network without internet it stays blank. Its asset paths are relative to `/graphql`."""
    return FileResponse(GRAPHIQL_PAGE, media_type="text/html; charset=utf-8")


async def to_map_page(_: Request) -> RedirectResponse:
    """The page's asset paths are relative to `/map`."""
    return RedirectResponse("/map", status_code=308)


def map_config(settings: MapSettings) -> dict[str, object]:
    """What the page needs of the settings: the base map, if any, and its datum."""
    if settings.basemap_url is None:
        return {"basemap": None}
    return {
        "basemap": {
            "tiles": settings.basemap_url,
            "attribution": settings.basemap_attribution,
            "datum": settings.basemap_datum,
        }
    }


def map_routes(settings: MapSettings) -> list[BaseRoute]:
    config = map_config(settings)

    async def map_settings(_: Request) -> JSONResponse:
        return JSONResponse(config)

    return [
        Route("/map", map_page, methods=["GET"]),
        Route("/map/config.json", map_settings, methods=["GET"]),
        Route("/map/", to_map_page, methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
