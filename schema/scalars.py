"""Custom scalars, registered with the schema through `SCALARS`."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any, NewType

import strawberry
from strawberry.schema.types.base_scalars import DateDefinition, DateTimeDefinition
from strawberry.types.scalar import ScalarDefinition

EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2999, 12, 31)
"""Dates a park's records can hold: far-off ones are typing slips (or sentinels such as
9999-12-31) that would overflow date arithmetic in SQL, so they are refused as input."""

GeoJSON = NewType("GeoJSON", object)


def passthrough(value: Any) -> Any:
    return value


def within_years(parse: Callable[[object], object]) -> Callable[[object], object]:
    """`parse`, refusing a date (or a moment) outside EARLIEST..LATEST."""

    def parsed(value: object) -> object:
        found = parse(value)
        day = found.date() if isinstance(found, dt.datetime) else found
        if isinstance(day, dt.date) and not EARLIEST <= day <= LATEST:
            raise ValueError(f"{value} is outside the dates a record may hold"
                             f" ({EARLIEST.isoformat()} to {LATEST.isoformat()})")  # fmt: skip
        return found

    return parsed


def bounded(definition: ScalarDefinition) -> ScalarDefinition:
    assert definition.parse_value is not None
    return dataclasses.replace(definition, parse_value=within_years(definition.parse_value))


SCALARS: dict[object, ScalarDefinition] = {
    dt.date: bounded(DateDefinition),
    dt.datetime: bounded(DateTimeDefinition),
    GeoJSON: strawberry.scalar(
        name="GeoJSON",
        description="An RFC 7946 GeoJSON geometry object: longitude, latitude in WGS 84.",
        specified_by_url="https://www.rfc-editor.org/rfc/rfc7946",
        serialize=passthrough,
        parse_value=passthrough,
    ),
}
