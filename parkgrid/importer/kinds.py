"""The kinds of feature a file may hold, how each maps onto its table, and its properties."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import Table

from geo import validate
from parkgrid import uscc
from parkgrid.models import Base

Reader = Callable[[Any], Any]
GeometryReader = Callable[[Any, int], BaseGeometry]

CODE_LENGTH = 32
TABLES = Base.metadata.tables


@dataclass(frozen=True)
class Kind:
    """How one kind of feature maps onto its table. The parent is named by its table
    ("zone": property `zone`, column `zone_id`). The report of a kind `placed_in_parks`
    says how many of its features lie outside every park."""

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
    return Kind(name, TABLES[table], "code", area_code, "boundary", validate.area, parent)


KINDS = {
    "parks": area_kind("parks", "park"),
    "zones": area_kind("zones", "zone", "park"),
    "grids": area_kind("grids", "grid", "zone"),
    "enterprises": Kind(
        "enterprises", TABLES["enterprise"], "uscc", enterprise_code, "location", validate.point,
        optional=("industry", "address"), placed_in_parks=True,
    ),
}  # fmt: skip
