"""Records in, strawberry objects out."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

import strawberry

T = TypeVar("T")


def from_record(cls: type[T], record: Any, **converted: Any) -> T:
    """Build `cls` from a record: same-named fields are copied, the record itself is kept.
    Fields computed by resolvers are not constructor arguments and are left alone."""
    given = {"record", *converted}
    names = [f.name for f in dataclasses.fields(cls) if f.init and f.name not in given]  # type: ignore[arg-type]
    copied = {name: getattr(record, name) for name in names}
    return cls(record=record, **copied, **converted)  # type: ignore[call-arg]


def graphql_id(record: Any) -> strawberry.ID:
    return strawberry.ID(str(record.id))
