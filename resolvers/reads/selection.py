"""The typed intermediate form between a GraphQL operation and SQL: a tree of selections,
fragments and directives already applied, arguments coerced to the resolvers' Python values
(strawberry's own input classes and enums)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Selection:
    key: str  # the response key: the alias, else the field name
    name: str  # the schema field
    args: Mapping[str, Any] = field(default_factory=dict)  # by Python (snake_case) name
    fields: tuple[Selection, ...] = ()

    def arg(self, name: str, default: Any = None) -> Any:
        """An argument's value; enum members as their stored value."""
        value = self.args.get(name, default)
        value = default if value is None else value
        return getattr(value, "value", value)
