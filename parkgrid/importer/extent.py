"""Every shape checked against the area of use of the CRS it is declared in, before anything
is transformed (the area of use comes from PROJ's database, see geo.crs).

Why here and for the whole file at once: degrees declared as Gauss-Kruger metres transform
without error and land near the projection's false origin, and metres read as degrees only
fail one feature at a time. A file in the wrong CRS is refused with one line that counts the
features, names the first few and says what their coordinates look like; a file read a chunk
at a time is counted across its chunks (Strays), and refused with that one line at its end."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import shapely

from parkgrid.importer.kinds import Kind, Parsed, label
from parkgrid.importer.outcomes import FEW, Problem, listed, plural, verb

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


@dataclass
class Strays:
    """The shapes outside the CRS's area of use, over the whole file: how many, of how many
    shapes, the first few named, and what each chunk's look like (see geo.crs.reading)."""

    kind: Kind
    extent: Extent | None
    count: int = 0
    located: int = 0
    labels: list[str] = field(default_factory=list)
    readings: set[Reading | None] = field(default_factory=set)

    def take(self, parsed: list[Parsed]) -> list[Parsed]:
        """The chunk's features outside, which lose their shape (so no later stage speaks of
        them again); none for a CRS PROJ gives no area of use."""
        from geo.crs import reading

        located = [item for item in parsed if "geometry" in item.values]
        self.located += len(located)
        if self.extent is None or not located:
            return []
        rows = shapely.bounds([item.values["geometry"] for item in located]).tolist()
        boxes: list[Bounds] = [(west, south, east, north) for west, south, east, north in rows]
        strays = [
            (item, box) for item, box in zip(located, boxes, strict=True)
            if not self.extent.holds(box)
        ]  # fmt: skip
        if not strays:
            return []
        self.count += len(strays)
        self.labels += [label(self.kind, item) for item, _ in strays[: FEW - len(self.labels)]]
        self.readings.add(reading(self.extent, [box for _, box in strays]))
        for item, _ in strays:
            del item.values["geometry"]
        return [item for item, _ in strays]

    def problem(self) -> Problem | None:
        """One line for them all: how many, the first few named, what they look like."""
        if not self.count or self.extent is None:
            return None
        count, located = self.count, self.located
        names = listed(self.labels, count)
        hint = HINTS[agreed(self.readings)]
        reason = (
            f"{count} of {located} {plural(located, 'feature')} {verb(count)} outside the area"
            f" of use of {self.extent.describe()}: {names}; {hint}"
        )
        return Problem(None, "crs", reason)


def strays_for(kind: Kind, srid: int) -> Strays:
    from geo.crs import extent_of

    return Strays(kind, extent_of(srid))


def agreed(readings: set[Reading | None]) -> Reading | None:
    """What all the chunks' strays look like: metres wherever some are metres (the reading
    says so of all when any is), else what every chunk agrees on, else nothing."""
    if "metres" in readings:
        return "metres"
    return next(iter(readings)) if len(readings) == 1 else None
