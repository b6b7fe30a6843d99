"""initial model

Revision ID: 0001
Revises:
Create Date: 2026-11-26 07:06:30.267368

Tables for parks, zones, grids, enterprises, cadres, assignments, visits, issues and the
append-only event log, plus the rules the database itself enforces on every write path:
Unified Social Credit Code check characters, grid membership by ST_Covers (lowest grid code
on a shared boundary), one holder per role and target at any time, and events that are
never edited.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


USCC_FUNCTION = """
CREATE FUNCTION parkgrid_uscc_valid(code text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    alphabet constant text := '0123456789ABCDEFGHJKLMNPQRTUWXY';
    weights constant int[] := ARRAY[1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28];
    total int := 0;
    value int;
BEGIN
    IF code IS NULL OR length(code) <> 18 OR substr(code, 3, 6) !~ '^[0-9]{6}$' THEN
        RETURN false;
    END IF;
    FOR i IN 1..17 LOOP
        value := strpos(alphabet, substr(code, i, 1)) - 1;
        IF value < 0 THEN
            RETURN false;
        END IF;
        total := total + value * weights[i];
    END LOOP;
    RETURN substr(alphabet, (31 - total % 31) % 31 + 1, 1) = substr(code, 18, 1);
END $$
"""

BEFORE_TABLES = [
    "CREATE EXTENSION IF NOT EXISTS postgis",
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    USCC_FUNCTION,
]

GRID_FOR_POINT = """
CREATE FUNCTION parkgrid_grid_for_point(p geometry) RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT g.id FROM grid g WHERE ST_Covers(g.boundary, p) ORDER BY g.code LIMIT 1
$$
"""

ENTERPRISE_MEMBERSHIP = """
CREATE FUNCTION parkgrid_enterprise_membership() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.grid_id := parkgrid_grid_for_point(NEW.location);
    RETURN NEW;
END $$
"""

REFRESH_MEMBERS = """
CREATE FUNCTION parkgrid_refresh_members(areas geometry[]) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    changed bigint;
BEGIN
    WITH candidate AS (
        SELECT DISTINCT e.id
        FROM unnest(areas) AS a(area)
        JOIN enterprise e ON e.location && a.area
    ), computed AS (
        SELECT e.id, parkgrid_grid_for_point(e.location) AS grid_id
        FROM enterprise e JOIN candidate c ON c.id = e.id
    )
    UPDATE enterprise e SET grid_id = computed.grid_id
    FROM computed
    WHERE e.id = computed.id AND e.grid_id IS DISTINCT FROM computed.grid_id;
    GET DIAGNOSTICS changed = ROW_COUNT;
    RETURN changed;
END $$
"""

GRID_MEMBERSHIP = """
CREATE FUNCTION parkgrid_grid_membership() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM parkgrid_refresh_members(ARRAY(SELECT boundary FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM parkgrid_refresh_members(ARRAY(SELECT boundary FROM old_rows));
    ELSE
        PERFORM parkgrid_refresh_members(ARRAY(
            SELECT b FROM new_rows n JOIN old_rows o USING (id),
                LATERAL (VALUES (n.boundary), (o.boundary)) AS v(b)
            WHERE NOT (n.boundary ~= o.boundary) OR n.code <> o.code
        ));
    END IF;
    RETURN NULL;
END $$
"""

GRID_RELEASE = """
CREATE FUNCTION parkgrid_grid_release() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE enterprise e SET grid_id = (
        SELECT g.id FROM grid g
        WHERE g.id <> OLD.id AND ST_Covers(g.boundary, e.location)
        ORDER BY g.code LIMIT 1)
    WHERE e.grid_id = OLD.id;
    RETURN OLD;
END $$
"""

GRID_CHANGE_EVENT = """
CREATE FUNCTION parkgrid_grid_change_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event (actor_id, subject, subject_id, enterprise_id, action, changes)
    VALUES (
        nullif(current_setting('parkgrid.actor_id', true), '')::bigint,
        'enterprise', NEW.id, NEW.id, 'grid_changed',
        jsonb_build_object(
            'grid', jsonb_build_array(
                (SELECT code FROM grid WHERE id = OLD.grid_id),
                (SELECT code FROM grid WHERE id = NEW.grid_id))));
    RETURN NULL;
END $$
"""

APPEND_ONLY = """
CREATE FUNCTION parkgrid_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the % table is append-only', TG_TABLE_NAME USING ERRCODE = 'P0001';
END $$
"""

TOUCH = """
CREATE FUNCTION parkgrid_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END $$
"""

AFTER_TABLES = [
    GRID_FOR_POINT,
    ENTERPRISE_MEMBERSHIP,
    REFRESH_MEMBERS,
    GRID_MEMBERSHIP,
    GRID_RELEASE,
    GRID_CHANGE_EVENT,
    APPEND_ONLY,
    TOUCH,
    """CREATE TRIGGER enterprise_membership BEFORE INSERT OR UPDATE OF location, grid_id
       ON enterprise FOR EACH ROW WHEN (pg_trigger_depth() = 0)
       EXECUTE FUNCTION parkgrid_enterprise_membership()""",
    # "OF location" too: a column list matches only columns the UPDATE itself names,
    # not those a BEFORE trigger changes, and moving an enterprise names only location
    """CREATE TRIGGER enterprise_grid_changed AFTER UPDATE OF location, grid_id ON enterprise
       FOR EACH ROW WHEN (OLD.grid_id IS DISTINCT FROM NEW.grid_id)
       EXECUTE FUNCTION parkgrid_grid_change_event()""",
    """CREATE TRIGGER grid_membership_insert AFTER INSERT ON grid
       REFERENCING NEW TABLE AS new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION parkgrid_grid_membership()""",
    """CREATE TRIGGER grid_membership_update AFTER UPDATE ON grid
       REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION parkgrid_grid_membership()""",
    """CREATE TRIGGER grid_release BEFORE DELETE ON grid
       FOR EACH ROW EXECUTE FUNCTION parkgrid_grid_release()""",
    """CREATE TRIGGER grid_membership_delete AFTER DELETE ON grid
       REFERENCING OLD TABLE AS old_rows
       FOR EACH STATEMENT EXECUTE FUNCTION parkgrid_grid_membership()""",
    """CREATE TRIGGER event_append_only BEFORE UPDATE OR DELETE ON event
       FOR EACH ROW EXECUTE FUNCTION parkgrid_append_only()""",
    """CREATE TRIGGER event_no_truncate BEFORE TRUNCATE ON event
       FOR EACH STATEMENT EXECUTE FUNCTION parkgrid_append_only()""",
    *(
        f"CREATE TRIGGER {table}_touch BEFORE UPDATE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION parkgrid_touch()"
        for table in ("park", "zone", "grid", "enterprise", "issue")
    ),
    """ALTER TABLE assignment ADD CONSTRAINT assignment_one_holder EXCLUDE USING gist (
        role WITH =,
        (coalesce(zone_id, grid_id, enterprise_id)) WITH =,
        tstzrange(valid_from, valid_to, '[)') WITH &&)""",
]

DROP_FUNCTIONS = [
    "DROP TRIGGER IF EXISTS event_append_only ON event",
    "DROP TRIGGER IF EXISTS event_no_truncate ON event",
    "DROP TRIGGER IF EXISTS enterprise_membership ON enterprise",
    "DROP TRIGGER IF EXISTS enterprise_grid_changed ON enterprise",
]


def upgrade() -> None:
    for statement in BEFORE_TABLES:
        op.execute(statement)
    op.create_table(
        "cadre",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("unit", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_geospatial_table(
        "park",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("timezone", sa.Text(), server_default="Asia/Shanghai", nullable=False),
        sa.Column(
            "boundary",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("ST_IsValid(boundary)", name="park_boundary_valid"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_geospatial_index(
        "park_boundary_gist",
        "park",
        ["boundary"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_table(
        "event",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("subject_id", sa.BigInteger(), nullable=False),
        sa.Column("enterprise_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column(
            "changes", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["cadre.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "event_enterprise",
        "event",
        ["enterprise_id", "id"],
        unique=False,
        postgresql_where="enterprise_id IS NOT NULL",
    )
    op.create_index("event_subject", "event", ["subject", "subject_id", "id"], unique=False)
    op.create_geospatial_table(
        "zone",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("park_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "boundary",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("ST_IsValid(boundary)", name="zone_boundary_valid"),
        sa.ForeignKeyConstraint(["park_id"], ["park.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index(op.f("ix_zone_park_id"), "zone", ["park_id"], unique=False)
    op.create_geospatial_index(
        "zone_boundary_gist",
        "zone",
        ["boundary"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_geospatial_table(
        "grid",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("zone_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "boundary",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("ST_IsValid(boundary)", name="grid_boundary_valid"),
        sa.ForeignKeyConstraint(["zone_id"], ["zone.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_geospatial_index(
        "grid_boundary_gist",
        "grid",
        ["boundary"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_grid_zone_id"), "grid", ["zone_id"], unique=False)
    op.create_geospatial_table(
        "enterprise",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("industry", sa.Text(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column(
            "location",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("grid_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("ST_IsValid(location)", name="enterprise_location_valid"),
        sa.CheckConstraint("parkgrid_uscc_valid(uscc)", name="enterprise_uscc_valid"),
        sa.ForeignKeyConstraint(["grid_id"], ["grid.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uscc"),
    )
    op.create_index(
        "enterprise_grid_uscc",
        "enterprise",
        ["grid_id", "uscc"],
        unique=False,
        postgresql_include=["id"],
    )
    op.create_geospatial_index(
        "enterprise_location_gist",
        "enterprise",
        ["location"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_table(
        "assignment",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("cadre_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("zone_id", sa.BigInteger(), nullable=True),
        sa.Column("grid_id", sa.BigInteger(), nullable=True),
        sa.Column("enterprise_id", sa.BigInteger(), nullable=True),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(role = 'zone_lead' AND zone_id IS NOT NULL AND grid_id IS NULL AND enterprise_id IS NULL) OR (role = 'grid_lead' AND grid_id IS NOT NULL AND zone_id IS NULL AND enterprise_id IS NULL) OR (role = 'liaison' AND enterprise_id IS NOT NULL AND zone_id IS NULL AND grid_id IS NULL)",
            name="assignment_target_matches_role",
        ),
        sa.CheckConstraint(
            "role IN ('zone_lead', 'grid_lead', 'liaison')", name="assignment_role_known"
        ),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="assignment_period"),
        sa.ForeignKeyConstraint(["cadre_id"], ["cadre.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprise.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["grid_id"], ["grid.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["zone_id"], ["zone.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("assignment_cadre", "assignment", ["cadre_id"], unique=False)
    op.create_index(
        "assignment_enterprise",
        "assignment",
        ["enterprise_id"],
        unique=False,
        postgresql_where="enterprise_id IS NOT NULL",
    )
    op.create_index(
        "assignment_grid",
        "assignment",
        ["grid_id"],
        unique=False,
        postgresql_where="grid_id IS NOT NULL",
    )
    op.create_index(
        "assignment_zone",
        "assignment",
        ["zone_id"],
        unique=False,
        postgresql_where="zone_id IS NOT NULL",
    )
    op.create_table(
        "issue",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("enterprise_id", sa.BigInteger(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("severity", sa.Text(), server_default="medium", nullable=False),
        sa.Column("status", sa.Text(), server_default="reported", nullable=False),
        sa.Column("reporter_id", sa.BigInteger(), nullable=True),
        sa.Column("assignee_id", sa.BigInteger(), nullable=True),
        sa.Column("responsible_unit", sa.Text(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column(
            "reported_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "category IN ('recruitment', 'permits', 'construction', 'financing', 'infrastructure', 'safety_hazard', 'talent', 'policy', 'party_building', 'other')",
            name="issue_category_known",
        ),
        sa.CheckConstraint(
            "severity IN ('low', 'medium', 'high', 'critical')", name="issue_severity_known"
        ),
        sa.CheckConstraint(
            "status <> 'rejected' OR rejection_reason IS NOT NULL",
            name="issue_rejection_has_reason",
        ),
        sa.CheckConstraint(
            "status IN ('reported', 'accepted', 'in_progress', 'resolved', 'verified', 'closed', 'rejected')",
            name="issue_status_known",
        ),
        sa.ForeignKeyConstraint(["assignee_id"], ["cadre.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprise.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["reporter_id"], ["cadre.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("issue_enterprise_status", "issue", ["enterprise_id", "status"], unique=False)
    op.create_index(
        "issue_open_due",
        "issue",
        ["due_date"],
        unique=False,
        postgresql_where="status NOT IN ('closed', 'rejected')",
    )
    op.create_geospatial_table(
        "visit",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("cadre_id", sa.BigInteger(), nullable=False),
        sa.Column("enterprise_id", sa.BigInteger(), nullable=False),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duties", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "check_in",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "cardinality(duties) > 0 AND duties <@ ARRAY['policy','liaison','safety','support']::text[]",
            name="visit_duties_known",
        ),
        sa.ForeignKeyConstraint(["cadre_id"], ["cadre.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprise.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("visit_cadre_at", "visit", ["cadre_id", "visited_at"], unique=False)
    op.create_index("visit_enterprise_at", "visit", ["enterprise_id", "visited_at"], unique=False)
    op.create_table(
        "outcome",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("issue_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("recorded_by", sa.BigInteger(), nullable=True),
        sa.Column("people_hired", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "loan_cny", sa.Numeric(precision=18, scale=2), server_default="0", nullable=False
        ),
        sa.Column("hazards_rectified", sa.Integer(), server_default="0", nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "people_hired >= 0 AND loan_cny >= 0 AND hazards_rectified >= 0",
            name="outcome_quantities_not_negative",
        ),
        sa.ForeignKeyConstraint(["issue_id"], ["issue.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["recorded_by"], ["cadre.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("outcome_issue", "outcome", ["issue_id"], unique=False)
    for statement in AFTER_TABLES:
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP_FUNCTIONS:
        op.execute(statement)
    op.drop_index("outcome_issue", table_name="outcome")
    op.drop_table("outcome")
    op.drop_index("visit_enterprise_at", table_name="visit")
    op.drop_index("visit_cadre_at", table_name="visit")
    op.drop_geospatial_table("visit")
    op.drop_index(
        "issue_open_due",
        table_name="issue",
        postgresql_where="status NOT IN ('closed', 'rejected')",
    )
    op.drop_index("issue_enterprise_status", table_name="issue")
    op.drop_table("issue")
    op.drop_index(
        "assignment_zone", table_name="assignment", postgresql_where="zone_id IS NOT NULL"
    )
    op.drop_index(
        "assignment_grid", table_name="assignment", postgresql_where="grid_id IS NOT NULL"
    )
    op.drop_index(
        "assignment_enterprise",
        table_name="assignment",
        postgresql_where="enterprise_id IS NOT NULL",
    )
    op.drop_index("assignment_cadre", table_name="assignment")
    op.drop_table("assignment")
    op.drop_geospatial_index(
        "enterprise_location_gist",
        table_name="enterprise",
        postgresql_using="gist",
        column_name="location",
    )
    op.drop_index("enterprise_grid_uscc", table_name="enterprise")
    op.drop_geospatial_table("enterprise")
    op.drop_index(op.f("ix_grid_zone_id"), table_name="grid")
    op.drop_geospatial_index(
        "grid_boundary_gist", table_name="grid", postgresql_using="gist", column_name="boundary"
    )
    op.drop_geospatial_table("grid")
    op.drop_geospatial_index(
        "zone_boundary_gist", table_name="zone", postgresql_using="gist", column_name="boundary"
    )
    op.drop_index(op.f("ix_zone_park_id"), table_name="zone")
    op.drop_geospatial_table("zone")
    op.drop_index("event_subject", table_name="event")
    op.drop_index(
        "event_enterprise", table_name="event", postgresql_where="enterprise_id IS NOT NULL"
    )
    op.drop_table("event")
    op.drop_geospatial_index(
        "park_boundary_gist", table_name="park", postgresql_using="gist", column_name="boundary"
    )
    op.drop_geospatial_table("park")
    op.drop_table("cadre")
    for name in (
        "grid_for_point(geometry)",
        "enterprise_membership()",
        "refresh_members(geometry[])",
        "grid_membership()",
        "grid_release()",
        "grid_change_event()",
        "append_only()",
        "touch()",
    ):
        op.execute(f"DROP FUNCTION IF EXISTS parkgrid_{name}")
    op.execute("DROP FUNCTION parkgrid_uscc_valid(text)")
