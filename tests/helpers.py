"""Small helpers shared by tests that compute expected answers independently."""

from __future__ import annotations

import subprocess
from typing import Any

from geographiclib.geodesic import Geodesic
from sqlalchemy import create_engine, text

from parkgrid import cluster


def read_rows(url: str, query: str) -> list[Any]:
    """Plain rows of a plain query (no service code involved)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(query)).all())
    finally:
        engine.dispose()


def geodesic_m(lon: float, lat: float, other_lon: float, other_lat: float) -> float:
    """Distance on the WGS 84 ellipsoid (Karney's algorithm), in metres."""
    distance: float = Geodesic.WGS84.Inverse(lat, lon, other_lat, other_lon)["s12"]
    return distance


def tolerance(meters: float) -> float:
    """PostGIS and geographiclib both measure on the WGS 84 spheroid."""
    return max(0.5, 1e-3 * meters)


def apt_install(*packages: str) -> str:
    """Install Debian packages when we are root (refreshing the package lists once if the
    first try fails); the reason when they could not be installed, else ''."""
    if not cluster.can_apt():
        return "not root, or no apt-get"
    try:
        cluster.apt_install(*packages)
    except subprocess.CalledProcessError as failed:
        return f"apt-get install {' '.join(packages)} failed ({failed.returncode})"
    return ""
