"""Areas named by code in a read's arguments (`park`, `zone`, `grid`): the SQL of the area's
id, guarded so an unknown code answers NOT_FOUND naming the argument, and the condition that
keeps the enterprises under it (membership by grid, resolvers.scope)."""

from __future__ import annotations

from parkgrid.errors import NotFound
from resolvers.reads.compiler import Compiler
from resolvers.reads.selection import Selection
from resolvers.records import AreaKind
from resolvers.scope import grids_under

KINDS: tuple[AreaKind, ...] = ("grid", "zone", "park")
"""Narrowest first: when a read names several, the narrowest decides."""


def area_id(c: Compiler, kind: AreaKind, code: str) -> str:
    bound = c.bind(code, "text")
    c.guard(
        f"NOT EXISTS (SELECT 1 FROM {kind} WHERE code = {bound})",
        NotFound(f"no {kind} has code {code!r}", field=kind),
    )
    return f"(SELECT id FROM {kind} WHERE code = {bound})"


def named_area(c: Compiler, given: object) -> tuple[AreaKind, str] | None:
    """The narrowest of the `park`, `zone` and `grid` codes `given` (a Selection or an input
    object) names, as (kind, SQL of its id); None when it names none."""
    for kind in KINDS:
        code = given.arg(kind) if isinstance(given, Selection) else getattr(given, kind, None)
        if code is not None:
            return kind, area_id(c, kind, str(code))
    return None


def enterprises_under(c: Compiler, given: object, column: str = "e.grid_id") -> str:
    """The condition on an enterprise's grid `column`: under the named area (TRUE: none)."""
    found = named_area(c, given)
    if found is None:
        return "TRUE"
    kind, sql_id = found
    return f"{column} IN (SELECT u.grid_id FROM ({grids_under(kind, f'ARRAY[{sql_id}]')}) u)"
