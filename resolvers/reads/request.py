"""A read as one statement: the fields asked (whole requests, or one field the executor is
resolving) compiled to one SELECT of their JSON, prepared per shape (PostgreSQL plans a
prepared statement for its values at first, and keeps a generic plan once that costs no more,
so a filtered list is planned for its box or search only while that pays)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from parkgrid.errors import ParkgridError
from parkgrid.settings import ApiSettings, LedgerSettings
from resolvers.reads import (  # noqa: F401 (each module fills the field tables)
    roots,
    types_activities,
    types_areas,
    types_enterprise,
    types_hiring,
    types_infrastructure,
    types_ledger,
    types_party_record,
    types_projects,
)
from resolvers.reads.compiler import Compiler
from resolvers.reads.selection import Selection
from resolvers.reads.sql import json_object

Builder = Callable[[Compiler], str]
"""An answer's part: the SQL expression of one response key."""


@dataclass(frozen=True)
class Plan:
    sql: str
    params: dict[str, Any]
    guards: tuple[ParkgridError, ...] = ()

    def refusal(self, fired: Sequence[bool]) -> ParkgridError | None:
        """The error of the first guard that held (the statement's `guards` column)."""
        return next((e for e, held in zip(self.guards, fired, strict=True) if held), None)


@dataclass(frozen=True)
class Limits:
    default_page: int
    max_page: int
    check_in_tolerance_m: float
    max_positions: int

    @classmethod
    def of(cls, api: ApiSettings, ledger: LedgerSettings) -> Limits:
        return cls(
            api.default_page_size, api.max_page_size, ledger.check_in_tolerance_m,
            api.max_polygon_vertices,
        )  # fmt: skip


def query_fields(selections: Sequence[Selection]) -> list[tuple[str, Builder]]:
    """The Query type's fields as parts of the answer."""
    return [(s.key, query_field(s)) for s in selections]


def query_field(s: Selection) -> Builder:
    return lambda c: c.field("Query", "q", s)


def compile_request(
    parts: Sequence[tuple[str, Builder]],
    limits: Limits,
    today: date,
    now: datetime,
    staff: bool,
) -> Plan:
    """The SQL and parameters of the answer: its JSON text (`data`) and which of its guards
    held (`guards`); a signed-in request adds its token's columns (parkgrid.auth.principal.
    signed). Raises Unsupported, or the ParkgridError a field's arguments deserve."""
    compiler = Compiler(
        default_page=limits.default_page, max_page=limits.max_page, today=today, now=now,
        staff=staff, check_in_tolerance_m=limits.check_in_tolerance_m,
        max_positions=limits.max_positions,
    )  # fmt: skip
    data = json_object((key, build(compiler)) for key, build in parts)
    guards = f"ARRAY[{', '.join(g for g, _ in compiler.guards)}]::boolean[]"
    statement = f"SELECT {data}::text AS data, {guards} AS guards"
    errors = tuple(error for _, error in compiler.guards)
    return Plan(statement, compiler.bind.params, errors)
