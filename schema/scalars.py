"""Custom scalars."""

from __future__ import annotations

from typing import Any, NewType

import strawberry


def passthrough(value: Any) -> Any:
    return value


GeoJSON = strawberry.scalar(
    NewType("GeoJSON", object),
    name="GeoJSON",
    description="An RFC 7946 GeoJSON geometry object: longitude, latitude in WGS 84.",
    specified_by_url="https://www.rfc-editor.org/rfc/rfc7946",
    serialize=passthrough,
    parse_value=passthrough,
)
