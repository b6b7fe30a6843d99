"""Issues that became overdue as the park's calendar turned: written to the event log.

An open issue becomes overdue when the park's day passes its due date; nothing is written
then, so nothing would announce it. The check records the last day it covered
(`overdue_check`, migration 0010) and, for a later day, appends an `overdue` event for each
open issue that is overdue on the new day but was not on the last one (the one rule of
resolvers.scope.overdue, read at both days). The events reach every subscriber through the
log's own NOTIFY, as any change does: issueChanged, and areaCountsChanged for the issues'
grids and zones. The row is locked for the check, so of all the workers and instances that
check at a midnight one writes the events and the others find the day covered."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text
from sqlalchemy.engine import Connection

from resolvers.scope import OPEN_ISSUE, overdue

COVERED = text("SELECT day FROM public.overdue_check FOR UPDATE")
COVER = text("UPDATE public.overdue_check SET day = :today")
BECAME_OVERDUE = text(f"""
    INSERT INTO public.event (subject, subject_id, enterprise_id, action, changes)
    SELECT 'issue', i.id, i.enterprise_id, 'overdue',
           jsonb_build_object('overdue', jsonb_build_array(false, true), 'due_date', i.due_date)
    FROM public.issue i
    WHERE {OPEN_ISSUE} AND {overdue("i", ":today")} AND NOT {overdue("i", ":last")}
    ORDER BY i.id
    RETURNING subject_id
""")  # fmt: skip


def announce_overdue(conn: Connection, today: date) -> list[int]:
    """The issues announced as overdue for the park day `today` (none when that day or a
    later one was covered already; none either when no day is recorded, which is then
    recorded: before it nothing was known, and a subscriber reads the day's counts when it
    starts)."""
    last: date | None = conn.execute(COVERED).scalar()
    if last is not None and last >= today:
        return []
    conn.execute(COVER, {"today": today})
    if last is None:
        return []
    found = conn.execute(BECAME_OVERDUE, {"today": today, "last": last})
    return [int(issue) for issue in found.scalars()]
