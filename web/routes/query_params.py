"""Typed query-string parameters: a bad value is INVALID_INPUT naming the parameter."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from starlette.datastructures import QueryParams

from parkgrid.errors import InvalidInput

T = TypeVar("T")


def typed(params: QueryParams, name: str, convert: Callable[[str], T], default: T) -> T:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return convert(raw)
    except ValueError:
        raise InvalidInput(f"{raw!r} is not a valid {convert.__name__}", field=name) from None
