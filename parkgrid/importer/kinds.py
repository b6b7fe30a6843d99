"""The kinds of feature a file may hold, how each maps onto its table, and its properties."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import Table

from geo import validate
from parkgrid import uscc
from parkgrid.models import Base

Reader = Callable[[Any], Any]
GeometryReader = Callable[[Any], BaseGeometry]

CODE_LENGTH = 32
TABLES = Base.metadata.tables
LABEL_LENGTH = 40

MAX_POSITIONS = 100_000
"""Most positions one imported shape may have, ten times the API's default: a surveyed park
boundary traced along a river is legitimately detailed, and the file comes from an operator,
not the open network. A shape past it is almost certainly a mistake (an unsimplified trace)."""

READ_AREA: GeometryReader = partial(validate.area, srid=None, max_positions=MAX_POSITIONS)
READ_POINT: GeometryReader = partial(validate.point, srid=None)
"""Shapes are read without a coordinate range: the file's coordinates are checked against its
CRS all at once (importer.extent), so a wrong CRS is said once, not once per feature."""


@dataclass(frozen=True)
class Kind:
    """How one kind of feature maps onto its table. The parent is named by its table
    ("zone": property `zone`, column `zone_id`). Features of a kind `placed_in_parks` must lie
    in the parks (importer.placement) unless the import allows them outside."""

    name: str
    table: Table
    key: str
    read_key: Reader
    geometry_column: str
    read_geometry: GeometryReader
    parent: str | None = None
    optional: tuple[str, ...] = ()
    placed_in_parks: bool = False


@dataclass
class Parsed:
    """One feature's values read so far, by property (`geometry` for its shape)."""

    index: int
    values: dict[str, Any] = field(default_factory=dict)


def required_text(value: Any) -> str:
    if value is None:
        raise ValueError("is missing")
    if not isinstance(value, str):
        raise ValueError(f"must be a string, got {type(value).__name__}")
    if not value.strip():
        raise ValueError("is blank")
    return value.strip()


def optional_text(value: Any) -> str | None:
    blank = isinstance(value, str) and not value.strip()
    return None if value is None or blank else required_text(value)


def area_code(value: Any) -> str:
    code = required_text(value)
    if len(code) > CODE_LENGTH:
        raise ValueError(f"is longer than {CODE_LENGTH} characters")
    return code


def enterprise_code(value: Any) -> str:
    return uscc.validate(required_text(value))


def area_kind(name: str, table: str, parent: str | None = None) -> Kind:
    return Kind(name, TABLES[table], "code", area_code, "boundary", READ_AREA, parent,
                placed_in_parks=parent is not None)  # fmt: skip


KINDS = {
    "parks": area_kind("parks", "park"),
    "zones": area_kind("zones", "zone", "park"),
    "grids": area_kind("grids", "grid", "zone"),
    "enterprises": Kind(
        "enterprises", TABLES["enterprise"], "uscc", enterprise_code, "location", READ_POINT,
        optional=("industry", "address"), placed_in_parks=True,
    ),
}  # fmt: skip


def label(kind: Kind, item: Parsed) -> str:
    """A feature as messages name it: its index in the file, then its key and name if read."""
    key, name = item.values.get(kind.key), item.values.get("name")
    text = f"features[{item.index}]" + (f" {key}" if key else "")
    if name:
        cut = name if len(name) <= LABEL_LENGTH else f"{name[: LABEL_LENGTH - 3]}..."
        text += f' "{cut}"'
    return text
