"""Custom scalars, registered with the schema through `SCALARS`."""

from __future__ import annotations

from typing import Any, NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

GeoJSON = NewType("GeoJSON", object)


def passthrough(value: Any) -> Any:
    return value


SCALARS: dict[object, ScalarDefinition] = {
    GeoJSON: strawberry.scalar(
        name="GeoJSON",
        description="An RFC 7946 GeoJSON geometry object: longitude, latitude in WGS 84.",
        specified_by_url="https://www.rfc-editor.org/rfc/rfc7946",
        serialize=passthrough,
        parse_value=passthrough,
    )
}
