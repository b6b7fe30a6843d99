"""A whole read request as one statement: compile, then run (prepared per shape)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from resolvers.reads import roots, types_areas, types_enterprise, types_ledger  # noqa: F401
from resolvers.reads.compiler import Compiler
from resolvers.reads.selection import Selection
from resolvers.reads.sql import json_object


@dataclass(frozen=True)
class Plan:
    sql: str
    params: dict[str, Any]
    preparable: bool


@dataclass(frozen=True)
class Limits:
    default_page: int
    max_page: int
    check_in_tolerance_m: float


def compile_request(
    fields: tuple[Selection, ...],
    limits: Limits,
    today: date,
    now: datetime,
    staff: bool,
    columns: str = "",
) -> Plan:
    """The SQL and parameters of the whole answer: its JSON text, and whether the request
    must be executed field by field after all (a guard held), and any further `columns`.
    Raises Unsupported, or the
    ParkgridError a field's arguments deserve."""
    compiler = Compiler(
        default_page=limits.default_page, max_page=limits.max_page, today=today, now=now,
        staff=staff, check_in_tolerance_m=limits.check_in_tolerance_m,
    )  # fmt: skip
    data = json_object((s.key, compiler.field("Query", "q", s)) for s in fields)
    redo = " OR ".join(compiler.guards) or "false"
    statement = f"SELECT {data}::text AS data, {redo} AS redo{', ' + columns if columns else ''}"
    return Plan(statement, compiler.bind.params, compiler.preparable)
