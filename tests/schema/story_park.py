"""A small hand-made park for the park-story tests: park P, zone Z, grids G-A and G-B (the
0.01-degree cells of tests.resolvers.conftest) and firms at the points given."""

from __future__ import annotations

from sqlalchemy import create_engine

from tests.resolvers.conftest import add_area, add_enterprise, cell


def small_park(url: str, firms: dict[int, tuple[float, float]]) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        park = add_area(conn, "park", "P", cell(0))
        zone = add_area(conn, "zone", "Z", cell(0), park)
        add_area(conn, "grid", "G-A", cell(0), zone)
        add_area(conn, "grid", "G-B", cell(1), zone)
        for n, (lon, lat) in firms.items():
            add_enterprise(conn, n, lon, lat)
    engine.dispose()
