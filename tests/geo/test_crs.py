"""geo.crs: a CRS's area of use as bounds in its own coordinates, checked against positions
projected here with pyproj's own transformer (not the module's), and what strays look like."""

from __future__ import annotations

import pytest
from pyproj import Transformer

from geo.crs import Bounds, extent_of, reading

XIANGYIN = (112.9, 28.7)  # lon, lat of the Xiangyin High-tech Zone
GK_114 = 4547  # CGCS2000 / 3-degree Gauss-Kruger CM 114E: 112.5°E to 115.5°E
UTM_49N = 32649  # WGS 84 / UTM zone 49N: 108°E to 114°E


def projected(srid: int, lon: float, lat: float) -> Bounds:
    """The point in the CRS (easting first), as a degenerate box."""
    x, y = Transformer.from_crs("EPSG:4326", f"EPSG:{srid}", always_xy=True).transform(lon, lat)
    return x, y, x, y


def at(lon: float, lat: float) -> Bounds:
    return lon, lat, lon, lat


@pytest.mark.parametrize("srid", [GK_114, UTM_49N])
def test_the_park_projected_is_inside_and_its_degrees_taken_for_metres_are_not(srid: int) -> None:
    extent = extent_of(srid)
    assert extent is not None and not extent.geographic
    assert extent.holds(projected(srid, *XIANGYIN))
    assert not extent.holds(at(*XIANGYIN))
    assert reading(extent, [at(*XIANGYIN)]) == "degrees"


def test_degrees_taken_for_gauss_kruger_metres_land_near_the_equator_3000_km_away() -> None:
    """What the check prevents: the transformation itself succeeds without a word."""
    lon, lat = Transformer.from_crs(f"EPSG:{GK_114}", "EPSG:4326", always_xy=True).transform(
        *XIANGYIN
    )
    assert lon == pytest.approx(109.5, abs=0.05)
    assert lat == pytest.approx(0.0, abs=0.01)


@pytest.mark.parametrize(
    ("lon", "held"),
    [(112.55, True), (112.1, True), (111.7, False), (115.9, True), (116.3, False)],
)
def test_the_area_of_use_is_widened_by_half_a_degree(lon: float, held: bool) -> None:
    """112.5°E to 115.5°E, and half a degree either side (zones are used a little beyond).
    The box is drawn in the projection, so it is widest where the zone is (21.5°N): at the
    park's latitude it reaches some 2.1° either side of 114°E, not 2°."""
    extent = extent_of(GK_114)
    assert extent is not None
    assert extent.holds(projected(GK_114, lon, 28.7)) is held


def test_metres_in_a_geographic_crs_are_read_as_metres() -> None:
    extent = extent_of(4326)
    assert extent is not None and extent.geographic
    gk = projected(GK_114, *XIANGYIN)
    assert not extent.holds(gk)
    assert reading(extent, [gk]) == "metres"


def test_latitude_and_longitude_swapped_are_read_as_swapped() -> None:
    extent = extent_of(4490)
    assert extent is not None
    assert not extent.holds(at(28.7, 112.9))
    assert reading(extent, [at(28.7, 112.9)]) == "swapped"
    europe = at(10.0, 50.0)  # outside China either way round: no guess
    assert not extent.holds(europe)
    assert reading(extent, [europe]) is None


def test_a_world_wide_projection_cannot_tell_degrees_from_metres() -> None:
    """Degrees read as Web Mercator metres stay inside its area of use: the park check of the
    importer is what catches them."""
    extent = extent_of(3857)
    assert extent is not None
    assert extent.holds(at(*XIANGYIN))


@pytest.mark.parametrize("srid", [999_999, 4978])
def test_a_crs_without_a_flat_area_of_use_is_not_checked(srid: int) -> None:
    """Unknown to PROJ, or geocentric (x, y, z from the earth's centre)."""
    assert extent_of(srid) is None


def test_the_description_names_the_crs_and_the_first_sentence_of_its_area() -> None:
    extent = extent_of(UTM_49N)
    assert extent is not None
    assert extent.describe() == (
        "EPSG:32649 (WGS 84 / UTM zone 49N; Between 108°E and 114°E, northern hemisphere"
        " between equator and 84°N, onshore and offshore)"
    )
