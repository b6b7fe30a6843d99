"""The API's fields as plain values for the other outputs (tiles, OGC pages, exports): a path
of a type's fields (`grid.code`, `liaison.phone`, `openIssueCount`) as SQL over a row, from
the very field tables the read compiler answers GraphQL with. A fact (a count, a code, the
current holder of a role, "overdue") is so written once, in resolvers/reads/types_*.py."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime

from resolvers.reads import roots, types_areas, types_enterprise, types_ledger  # noqa: F401
from resolvers.reads.compiler import Compiler
from resolvers.reads.sql import Named

COLUMN_NAME = re.compile(r"[a-z_]+")


def compiler(today: date | Named, now: datetime | Named) -> Compiler:
    """A compiler for values outside a GraphQL request. Named values (`Named("today")`) keep
    the statement's text the same for every request, bound by name at each execution."""
    return Compiler(1, 1, today, now, staff=True)


def selected(c: Compiler, typename: str, row: str, columns: Sequence[tuple[str, str]]) -> str:
    """`value AS name, ...`: each (output column, path of fields) over the row `row`."""
    for name, _ in columns:
        if not COLUMN_NAME.fullmatch(name):
            raise ValueError(f"not a column name: {name!r}")
    return ", ".join(f"{c.value(typename, row, path)} AS {name}" for name, path in columns)
