"""The append-only event log: written in the same transaction as the change, read per subject
(the API's writes and the importer alike)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.engine import Connection

APPEND = text(
    "INSERT INTO event (actor_id, subject, subject_id, enterprise_id, action, changes, note)"
    " VALUES (:actor, :subject, :subject_id, :enterprise, :action, CAST(:changes AS jsonb), :note)"
)


@dataclass(frozen=True)
class Change:
    """One event: who did what to which record, with the values before and after."""

    subject: str
    subject_id: int
    enterprise_id: int | None
    action: str
    actor_id: int | None
    changes: dict[str, Any] = field(default_factory=dict)
    note: str | None = None


def act_as(conn: Connection, actor_id: int | None) -> None:
    """Name the actor for events the database writes itself (grid changes) in this transaction."""
    value = "" if actor_id is None else str(actor_id)
    conn.execute(text("SELECT set_config('parkgrid.actor_id', :value, true)"), {"value": value})


def append(conn: Connection, change: Change) -> None:
    conn.execute(
        APPEND,
        {
            "actor": change.actor_id, "subject": change.subject, "subject_id": change.subject_id,
            "enterprise": change.enterprise_id, "action": change.action,
            "changes": orjson.dumps(change.changes, default=str).decode(), "note": change.note,
        },
    )  # fmt: skip
