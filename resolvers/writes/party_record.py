"""The party-building record of an enterprise (meetings, branch elections, the membership
pipeline's counts, honours) and its safety standardisation. Counts and dates only: nobody is
named. Each entry is an event on the enterprise; the standardisation is edited with its
version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from parkgrid.errors import Conflict, InvalidInput
from resolvers.writes.events import Change, act_as, append
from resolvers.writes.ledger import enterprise_id_of
from resolvers.writes.versions import bump, changed, locked

MOST_PEOPLE = 100_000
RECORDS = {  # table: its columns besides enterprise_id (fixed names, never input)
    "party_meeting": ("kind", "held_on", "attendance", "liaison_attended"),
    "party_election": ("held_on",),
    "party_pipeline": ("stage", "recorded_on", "people"),
    "party_honour": ("kind", "awarded_on", "awarded_by"),
}
DATED = {"party_meeting": "held_on", "party_election": "held_on",
         "party_pipeline": "recorded_on", "party_honour": "awarded_on"}  # fmt: skip
CAMEL = {"held_on": "heldOn", "recorded_on": "recordedOn", "awarded_on": "awardedOn"}


def organised(conn: Connection, enterprise: int) -> None:
    """Party records need a party organisation to hold them."""
    kind = conn.execute(
        text("SELECT kind FROM party_organisation WHERE enterprise_id = :e"), {"e": enterprise}
    ).scalar()
    if kind in (None, "none"):
        raise InvalidInput("has no party organisation on record", field="enterprise")


def checked(table: str, values: dict[str, Any], today: date) -> None:
    day = values[DATED[table]]
    if day > today:
        raise InvalidInput("must not be in the future", field=CAMEL[DATED[table]])
    for name in ("attendance", "people"):
        least = 0 if name == "attendance" else 1
        if name in values and not least <= values[name] <= MOST_PEOPLE:
            raise InvalidInput(f"must be between {least} and {MOST_PEOPLE:,}", field=name)


def record_entry(conn: Connection, uscc: str, table: str, values: dict[str, Any], today: date,
                 actor: int | None) -> int:  # fmt: skip
    """Add one entry of the record to `table` (a key of RECORDS); the enterprise's id."""
    checked(table, values, today)
    enterprise = enterprise_id_of(conn, uscc)
    organised(conn, enterprise)
    act_as(conn, actor)
    columns = RECORDS[table]
    if table == "party_election":
        same_day = "SELECT 1 FROM party_election WHERE enterprise_id = :e AND held_on = :held_on"
        if conn.execute(text(same_day), {"e": enterprise, **values}).first():
            raise Conflict("an election is recorded on that day already", field="heldOn")
    query = (
        f"INSERT INTO {table} (enterprise_id, {', '.join(columns)})"
        f" VALUES (:e, {', '.join(':' + c for c in columns)}) RETURNING id"
    )
    entry = int(conn.execute(text(query), {"e": enterprise, **values}).scalar_one())
    changes = {name: values[name] for name in columns} | {"entry": entry}
    append(conn, Change("enterprise", enterprise, enterprise, table, actor, changes))
    return enterprise


@dataclass(frozen=True)
class Standardisation:
    certified: bool
    level: str | None
    certified_on: date | None


def set_standardisation(conn: Connection, uscc: str, given: Standardisation,
                        version: int | None, today: date, actor: int | None) -> int:  # fmt: skip
    if given.certified and (given.level is None or given.certified_on is None):
        raise InvalidInput("a certification has a level and a date", field="level")
    if not given.certified and (given.level or given.certified_on):
        raise InvalidInput("no level or date without a certification", field="certified")
    if given.certified_on is not None and given.certified_on > today:
        raise InvalidInput("must not be in the future", field="certifiedOn")
    enterprise = enterprise_id_of(conn, uscc)
    values = {"certified": given.certified, "level": given.level,
              "certified_on": given.certified_on}  # fmt: skip
    current = "SELECT version FROM safety_standardisation WHERE enterprise_id = :e"
    exists = conn.execute(text(current), {"e": enterprise}).scalar()
    act_as(conn, actor)
    if exists is None:
        if version is not None:
            raise InvalidInput("nothing recorded yet: leave version out", field="version")
        before: dict[str, Any] = {}
        conn.execute(text("INSERT INTO safety_standardisation (enterprise_id, certified, level,"
                          " certified_on) VALUES (:e, :certified, :level, :certified_on)"),
                     {"e": enterprise, **values})  # fmt: skip
    else:
        if version is None:
            raise Conflict("recorded already: give its version to change it", field="version")
        before = locked(conn, "safety_standardisation", "enterprise_id", enterprise, version)
        conn.execute(text("UPDATE safety_standardisation SET certified = :certified,"
                          " level = :level, certified_on = :certified_on"
                          " WHERE enterprise_id = :e"), {"e": enterprise, **values})  # fmt: skip
        bump(conn, "safety_standardisation", "enterprise_id", enterprise)
    append(conn, Change("enterprise", enterprise, enterprise, "safety_standardisation", actor,
                        changed(before, values)))  # fmt: skip
    return enterprise
