"""`/examples/map-app/`: the example map frontend (examples/map-app), served from its build
when `make example` has built it; absent otherwise, since the service does not need it."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from parkgrid.settings import PROJECT_ROOT

MAP_APP = PROJECT_ROOT / "examples" / "map-app" / "dist"


def example_routes(built: Path = MAP_APP) -> list[BaseRoute]:
    """The app's files at /examples/map-app/, if its build is there when the app starts."""
    if not (built / "index.html").is_file():
        return []
    return [Mount("/examples/map-app", StaticFiles(directory=built, html=True), name="map-app")]
