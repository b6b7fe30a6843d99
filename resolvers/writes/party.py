"""Enterprises' party organisations: read in batches, written with the rules the database
checks too (a branch of its own has three or more members; "none" has no date, no members)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlalchemy.engine import Connection

from parkgrid.errors import InvalidInput
from resolvers.records import record
from resolvers.writes.events import Change, append
from resolvers.writes.registry import enterprise_for_update

COLUMNS = "p.enterprise_id, p.kind, p.established, p.members, p.updated_at"
UPSERT = text(
    "INSERT INTO party_organisation AS p (enterprise_id, kind, established, members)"
    " VALUES (:enterprise, :kind, :established, :members)"
    " ON CONFLICT (enterprise_id) DO UPDATE SET kind = excluded.kind,"
    " established = excluded.established, members = excluded.members, updated_at = now()"
    f" RETURNING {COLUMNS}"
)


@dataclass(frozen=True)
class PartyOrganisation:
    enterprise_id: int
    kind: str
    established: date | None
    members: int


def of_enterprises(conn: Connection, ids: Sequence[int]) -> dict[int, PartyOrganisation]:
    query = f"SELECT {COLUMNS} FROM party_organisation p WHERE p.enterprise_id = ANY(:ids)"
    rows = conn.execute(text(query), {"ids": list(ids)})
    return {row.enterprise_id: record(PartyOrganisation, row) for row in rows}


def check(kind: str, established: date | None, members: int, today: date) -> None:
    if members < 0:
        raise InvalidInput("must not be negative", field="members")
    if kind == "none" and (established is not None or members):
        raise InvalidInput("an enterprise without an organisation has none", field="kind")
    if kind == "own_branch" and members < 3:
        raise InvalidInput("a branch of its own needs at least 3 members", field="members")
    if established is not None and established > today:
        raise InvalidInput("must not be in the future", field="established")


def record_organisation(
    conn: Connection,
    uscc: str,
    values: PartyOrganisation,
    today: date,
    actor: int | None,
) -> PartyOrganisation:
    """Create or replace the enterprise's record; the event keeps the values before."""
    check(values.kind, values.established, values.members, today)
    firm = enterprise_for_update(conn, uscc)
    before = of_enterprises(conn, [firm.id]).get(firm.id)
    params = {"enterprise": firm.id, "kind": values.kind, "established": values.established,
              "members": values.members}  # fmt: skip
    after = record(PartyOrganisation, conn.execute(UPSERT, params).one())
    if before != after:
        changes = {
            name: [getattr(before, name, None), getattr(after, name)]
            for name in ("kind", "established", "members")
            if getattr(before, name, None) != getattr(after, name)
        }
        append(conn, Change("enterprise", firm.id, firm.id, "party_organisation", actor, changes))
    return after
