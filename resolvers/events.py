"""The append-only event log, read per subject."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.engine import Connection

from resolvers.records import EventRecord, record

COLUMNS = "v.id, v.occurred_at, v.actor_id, v.subject, v.subject_id, v.action, v.changes, v.note"


def of_subjects(conn: Connection, subject: str, ids: Sequence[int]) -> dict[int, list[EventRecord]]:
    query = f"""
        SELECT {COLUMNS} FROM event v
        WHERE v.subject = :subject AND v.subject_id = ANY(:ids) ORDER BY v.id
    """
    grouped: dict[int, list[EventRecord]] = defaultdict(list)
    for row in conn.execute(text(query), {"subject": subject, "ids": list(ids)}):
        grouped[row.subject_id].append(record(EventRecord, row))
    return {subject_id: grouped[subject_id] for subject_id in ids}
