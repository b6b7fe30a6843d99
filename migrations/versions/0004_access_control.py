"""Access control: bearer tokens (stored as hashes), the token on every event, and the
scoped views every API read goes through.

The API's connections put schema `parkgrid_scoped` ahead of `public` on their search path,
so every unqualified table name in a read resolves to a view here that hides rows and masks
fields by the caller set in the transaction (`parkgrid.principal`, `parkgrid.cadre_id`,
`parkgrid.read_grids`); nothing set means anonymous. Writes switch back to `public` and are
authorised explicitly before they change anything. A view lists its table's columns as they
are now: a later migration that adds a column to one of these tables recreates its view.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 10:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SCOPED = "parkgrid_scoped"
CURRENT = "a.valid_from <= now() AND (a.valid_to IS NULL OR a.valid_to > now())"

TOKENS = [
    """
    CREATE TABLE api_token (
        id bigserial PRIMARY KEY,
        token_hash bytea NOT NULL UNIQUE,
        role text NOT NULL,
        cadre_id bigint REFERENCES cadre (id) ON DELETE RESTRICT,
        label text,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz,
        revoked_at timestamptz,
        CONSTRAINT api_token_role_known CHECK (role IN ('admin', 'viewer', 'cadre')),
        CONSTRAINT api_token_cadre_has_cadre CHECK (role <> 'cadre' OR cadre_id IS NOT NULL)
    )
    """,
    # every event names the token that caused it, triggers' events included
    "ALTER TABLE event ADD COLUMN token_id bigint REFERENCES api_token (id) ON DELETE RESTRICT"
    " DEFAULT CAST(nullif(current_setting('parkgrid.token_id', true), '') AS bigint)",
]

FUNCTIONS = [
    """CREATE FUNCTION parkgrid_principal() RETURNS text LANGUAGE sql STABLE AS $$
        SELECT coalesce(nullif(current_setting('parkgrid.principal', true), ''), 'anonymous')
    $$""",
    """CREATE FUNCTION parkgrid_is_staff() RETURNS boolean LANGUAGE sql STABLE AS $$
        SELECT parkgrid_principal() IN ('viewer', 'cadre', 'admin')
    $$""",
    """CREATE FUNCTION parkgrid_is_admin() RETURNS boolean LANGUAGE sql STABLE AS $$
        SELECT parkgrid_principal() = 'admin'
    $$""",
    """CREATE FUNCTION parkgrid_read_grids() RETURNS bigint[] LANGUAGE sql STABLE AS $$
        SELECT CAST(coalesce(nullif(current_setting('parkgrid.read_grids', true), ''), '{}')
                    AS bigint[])
    $$""",
    """CREATE FUNCTION parkgrid_serves_grid(target bigint) RETURNS boolean
    LANGUAGE sql STABLE AS $$
        SELECT parkgrid_is_admin() OR coalesce(target = ANY (parkgrid_read_grids()), false)
    $$""",
    """CREATE FUNCTION parkgrid_serves_enterprise(target bigint) RETURNS boolean
    LANGUAGE sql STABLE AS $$
        SELECT parkgrid_is_admin() OR EXISTS (SELECT 1 FROM public.enterprise e
            WHERE e.id = target AND e.grid_id = ANY (parkgrid_read_grids()))
    $$""",
    """CREATE FUNCTION parkgrid_serves_issue(target bigint) RETURNS boolean
    LANGUAGE sql STABLE AS $$
        SELECT parkgrid_is_admin() OR EXISTS (SELECT 1 FROM public.issue i
            WHERE i.id = target AND parkgrid_serves_enterprise(i.enterprise_id))
    $$""",
    # a cadre's phone: the cadre, and whoever serves a grid the cadre currently works in
    f"""CREATE FUNCTION parkgrid_serves_cadre(target bigint) RETURNS boolean
    LANGUAGE sql STABLE AS $$
        SELECT parkgrid_is_admin()
            OR target = CAST(nullif(current_setting('parkgrid.cadre_id', true), '') AS bigint)
            OR EXISTS (SELECT 1 FROM public.assignment a
                LEFT JOIN public.enterprise e ON e.id = a.enterprise_id
                WHERE a.cadre_id = target AND {CURRENT}
                AND (a.grid_id = ANY (parkgrid_read_grids())
                     OR e.grid_id = ANY (parkgrid_read_grids())
                     OR a.zone_id IN (SELECT g.zone_id FROM public.grid g
                                      WHERE g.id = ANY (parkgrid_read_grids()))))
    $$""",
]

VIEWS = {
    "cadre": """SELECT c.id, c.name, c.title, c.unit,
            CASE WHEN parkgrid_serves_cadre(c.id) THEN c.phone END AS phone, c.created_at
        FROM public.cadre c WHERE parkgrid_is_staff()""",
    "assignment": """SELECT a.id, a.cadre_id, a.role, a.zone_id, a.grid_id, a.enterprise_id,
            a.valid_from, a.valid_to, a.created_at
        FROM public.assignment a WHERE parkgrid_is_staff()""",
    "party_organisation": """SELECT p.enterprise_id, p.kind, p.established, p.members,
            p.updated_at
        FROM public.party_organisation p WHERE parkgrid_is_staff()""",
    "visit": """SELECT v.id, v.cadre_id, v.enterprise_id, v.visited_at, v.duties,
            CASE WHEN parkgrid_serves_enterprise(v.enterprise_id) THEN v.note END AS note,
            CASE WHEN parkgrid_serves_enterprise(v.enterprise_id) THEN v.check_in END
                AS check_in,
            v.created_at
        FROM public.visit v""",
    "issue": """SELECT i.id, i.enterprise_id, i.category,
            CASE WHEN parkgrid_is_staff() THEN i.title END AS title,
            CASE WHEN parkgrid_serves_enterprise(i.enterprise_id) THEN i.description END
                AS description,
            i.severity, i.status, i.reporter_id, i.assignee_id, i.responsible_unit, i.due_date,
            CASE WHEN parkgrid_serves_enterprise(i.enterprise_id) THEN i.rejection_reason END
                AS rejection_reason,
            i.reported_at, i.updated_at, i.resolved_at, i.closed_at, i.version
        FROM public.issue i""",
    "outcome": """SELECT o.id, o.issue_id, o.recorded_at, o.recorded_by,
            CASE WHEN parkgrid_serves_issue(o.issue_id) THEN o.people_hired END AS people_hired,
            CASE WHEN parkgrid_serves_issue(o.issue_id) THEN o.loan_cny END AS loan_cny,
            CASE WHEN parkgrid_serves_issue(o.issue_id) THEN o.hazards_rectified END
                AS hazards_rectified,
            CASE WHEN parkgrid_serves_issue(o.issue_id) THEN o.note END AS note
        FROM public.outcome o""",
    "event": """SELECT v.id, v.occurred_at, v.actor_id, v.token_id, v.subject, v.subject_id,
            v.enterprise_id, v.action,
            CASE WHEN parkgrid_is_admin() OR parkgrid_serves_enterprise(v.enterprise_id)
                 OR (v.subject = 'grid' AND parkgrid_serves_grid(v.subject_id))
                 THEN v.changes END AS changes,
            CASE WHEN parkgrid_is_admin() OR parkgrid_serves_enterprise(v.enterprise_id)
                 OR (v.subject = 'grid' AND parkgrid_serves_grid(v.subject_id))
                 THEN v.note END AS note
        FROM public.event v WHERE parkgrid_is_staff()""",
    "api_token": "SELECT * FROM public.api_token WHERE false",
}


def upgrade() -> None:
    for statement in TOKENS + FUNCTIONS:
        op.execute(statement)
    op.execute(f"CREATE SCHEMA {SCOPED}")
    for name, body in VIEWS.items():
        op.execute(f"CREATE VIEW {SCOPED}.{name} AS {body}")


def downgrade() -> None:
    op.execute(f"DROP SCHEMA {SCOPED} CASCADE")
    for name in (
        "parkgrid_serves_cadre", "parkgrid_serves_issue", "parkgrid_serves_enterprise",
        "parkgrid_serves_grid", "parkgrid_read_grids", "parkgrid_is_admin", "parkgrid_is_staff",
        "parkgrid_principal",
    ):  # fmt: skip
        op.execute(f"DROP FUNCTION {name}")
    op.execute("ALTER TABLE event DROP COLUMN token_id")
    op.execute("DROP TABLE api_token")
