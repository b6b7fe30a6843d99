"""Every shape checked against the area of use of the CRS it is declared in, before anything
is transformed (the area of use comes from PROJ's database, see geo.crs).

Why here and all at once: degrees declared as Gauss-Kruger metres transform without error and
land near the projection's false origin, and metres read as degrees only fail one feature at a
time. A file in the wrong CRS is refused with one line that counts the features, names the
first few and says what their coordinates look like."""

from __future__ import annotations

from typing import TYPE_CHECKING

import shapely

from parkgrid.importer.kinds import Kind, Parsed, label
from parkgrid.importer.outcomes import Problem, listed, plural, verb

if TYPE_CHECKING:  # pyproj takes half a second to load: only an import needs it, not the API
    from geo.crs import Bounds, Extent, Reading

HINTS: dict[Reading | None, str] = {
    "degrees": "the coordinates look like degrees (longitude, latitude), not metres: is the"
    " file in EPSG:4326 (give no --crs) or EPSG:4490?",
    "metres": "the coordinates look like metres of a projected CRS, not degrees: give the CRS"
    " they are in with --crs (EPSG:4547 for CGCS2000 / 3-degree Gauss-Kruger CM 114E, say)",
    "swapped": "they fit once swapped: GeoJSON positions are [longitude, latitude]",
    None: "is the CRS right, and are the coordinates?",
}


def outside_extent(kind: Kind, parsed: list[Parsed], srid: int) -> list[Problem]:
    """The problem of the shapes outside the CRS's area of use (which lose their shape, so no
    later stage speaks of them again); none for a CRS PROJ gives no area of use."""
    from geo.crs import extent_of

    extent = extent_of(srid)
    located = [item for item in parsed if "geometry" in item.values]
    if extent is None or not located:
        return []
    rows = shapely.bounds([item.values["geometry"] for item in located]).tolist()
    boxes: list[Bounds] = [(west, south, east, north) for west, south, east, north in rows]
    strays = [
        (item, box) for item, box in zip(located, boxes, strict=True) if not extent.holds(box)
    ]
    if not strays:
        return []
    for item, _ in strays:
        del item.values["geometry"]
    return [Problem(None, "crs", stray_reason(kind, extent, strays, len(located)))]


def stray_reason(
    kind: Kind, extent: Extent, strays: list[tuple[Parsed, Bounds]], located: int
) -> str:
    from geo.crs import reading

    count = len(strays)
    names = listed([label(kind, item) for item, _ in strays])
    hint = HINTS[reading(extent, [box for _, box in strays])]
    return (
        f"{count} of {located} {plural(located, 'feature')} {verb(count)} outside the area of"
        f" use of {extent.describe()}: {names}; {hint}"
    )
