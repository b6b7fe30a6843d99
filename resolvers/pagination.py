"""Keyset pagination: opaque cursors over the sort key of each row, page sizes capped."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import orjson

from parkgrid.errors import InvalidCursor, PageSizeExceeded

T = TypeVar("T")
Key = str | int | float
SortKey = tuple[Key, ...]


@dataclass(frozen=True)
class PageRequest:
    first: int
    after: SortKey | None


def decode_cursor(cursor: str) -> SortKey:
    """The sort key of a cursor: URL-safe base64 of the JSON array of the row's sort key, as
    the read compiler writes it (resolvers.reads.sql.cursor)."""
    try:
        key = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, orjson.JSONDecodeError, ValueError, TypeError) as exc:
        raise InvalidCursor("is not a cursor this API issued", field="after") from exc
    if not isinstance(key, list) or not key or not all(isinstance(k, Key) for k in key):
        raise InvalidCursor("is not a cursor this API issued", field="after")
    return tuple(key)


def page_request(first: int | None, after: str | None, default: int, cap: int) -> PageRequest:
    size = default if first is None else first
    if size < 0:
        raise PageSizeExceeded("must not be negative", field="first")
    if size > cap:
        raise PageSizeExceeded(f"is {size}; the largest page is {cap}", field="first")
    return PageRequest(first=size, after=None if after is None else decode_cursor(after))


KEY_TYPES: dict[str, tuple[type, ...]] = {"text": (str,), "bigint": (int,), "float8": (int, float)}
"""The Python types a cursor's key may hold for each SQL type of a sort column."""


def require_key_types(request: PageRequest, types: Sequence[str]) -> None:
    """A cursor from another ordering or list cannot continue this one: its key must have one
    value of the right type per sort column (their SQL types)."""
    if request.after is None:
        return
    if len(request.after) != len(types):
        raise InvalidCursor("belongs to another ordering", field="after")
    for value, kind in zip(request.after, types, strict=True):
        if isinstance(value, bool) or not isinstance(value, KEY_TYPES[kind]):
            raise InvalidCursor("belongs to another ordering or list", field="after")
