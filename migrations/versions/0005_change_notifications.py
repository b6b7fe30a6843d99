"""Change notifications: every event announced on channel `parkgrid_events` at commit.

A statement-level trigger on `event` sends, for the rows the statement inserted, compact
notices (ids, never rows) with PostgreSQL's NOTIFY. NOTIFY is delivered only when the
transaction commits, so a rolled-back write announces nothing, whichever path wrote it (the
API, the command line, an import, plain SQL). Each notice names the event, its subject and
action, its enterprise and the grids, zones and parks it concerns, so a listener can route it
without reading the database. Notices go out as JSON arrays of about 7,000 bytes at most (a
payload must stay under 8,000): one statement that writes many events (the demo, a reshaped
zone) sends a few notifications, not one per row.

`parkgrid_event_notice(event)` is the one definition of a notice: the trigger sends it, and a
subscriber replaying the log after a reconnect reads it from the same function.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 09:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Tables are named with their schema: API connections resolve names to the scoped views
# first (0004), which would hide assignments from an anonymous reader of the log.
NOTICE = """
CREATE FUNCTION parkgrid_event_notice(e public.event) RETURNS json
LANGUAGE sql STABLE AS $$
    WITH assigned AS (
        SELECT a.zone_id, a.grid_id FROM public.assignment a
        WHERE e.subject = 'assignment' AND a.id = e.subject_id
    ), grids AS (
        SELECT n.grid_id FROM public.enterprise n WHERE n.id = e.enterprise_id
        UNION SELECT e.subject_id WHERE e.subject = 'grid'
        UNION SELECT assigned.grid_id FROM assigned
        UNION SELECT g.id FROM public.grid g
            WHERE e.action = 'grid_changed' AND jsonb_typeof(e.changes -> 'grid') = 'array'
            AND g.code IN (SELECT jsonb_array_elements_text(e.changes -> 'grid'))
    ), zones AS (
        SELECT g.zone_id FROM public.grid g WHERE g.id IN (SELECT grid_id FROM grids)
        UNION SELECT e.subject_id WHERE e.subject = 'zone'
        UNION SELECT assigned.zone_id FROM assigned
    ), parks AS (
        SELECT z.park_id FROM public.zone z WHERE z.id IN (SELECT zone_id FROM zones)
        UNION SELECT e.subject_id WHERE e.subject = 'park'
    )
    SELECT row_to_json(notice) FROM (SELECT
        e.id, e.subject, e.subject_id, e.action, e.enterprise_id,
        ARRAY(SELECT grid_id FROM grids WHERE grid_id IS NOT NULL ORDER BY 1) AS grids,
        ARRAY(SELECT zone_id FROM zones WHERE zone_id IS NOT NULL ORDER BY 1) AS zones,
        ARRAY(SELECT park_id FROM parks WHERE park_id IS NOT NULL ORDER BY 1) AS parks
    ) AS notice
$$
"""

ANNOUNCE = """
CREATE FUNCTION parkgrid_announce_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    batch text := '';
    notice text;
BEGIN
    FOR notice IN
        SELECT CAST(public.parkgrid_event_notice(n) AS text) FROM new_rows n ORDER BY n.id
    LOOP
        IF batch <> '' AND octet_length(batch) + octet_length(notice) > 7000 THEN
            PERFORM pg_notify('parkgrid_events', '[' || batch || ']');
            batch := '';
        END IF;
        batch := CASE WHEN batch = '' THEN notice ELSE batch || ',' || notice END;
    END LOOP;
    IF batch <> '' THEN
        PERFORM pg_notify('parkgrid_events', '[' || batch || ']');
    END IF;
    RETURN NULL;
END $$
"""

TRIGGER = """
CREATE TRIGGER event_announce AFTER INSERT ON event
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION parkgrid_announce_events()
"""


def upgrade() -> None:
    for statement in (NOTICE, ANNOUNCE, TRIGGER):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER event_announce ON event")
    op.execute("DROP FUNCTION parkgrid_announce_events()")
    op.execute("DROP FUNCTION parkgrid_event_notice(public.event)")
