"""The rest of the park's story: infrastructure lines, construction projects, park-wide
service activities, hiring plans and recruitment events, the party-building record and safety
standardisation, each behind a scoped view (0004) like the ledger.

Access: infrastructure is the park's public map (its notes for staff); everything else is read
by staff only, and the figures of one enterprise (loans agreed, hires, wages, meeting notes)
only by those who serve it, as the ledger's outcomes. The party-building record holds counts
and dates, never a member's name.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 08:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

SCOPED = "parkgrid_scoped"

# The vocabularies as of this migration (parkgrid.vocabulary is the live definition;
# tests/parkgrid/test_vocabulary.py checks the database against it).
TABLES = [
    """
    CREATE TABLE infrastructure_line (
        id bigserial PRIMARY KEY,
        park_id bigint NOT NULL REFERENCES park (id) ON DELETE RESTRICT,
        code text NOT NULL UNIQUE,
        name text NOT NULL,
        kind text NOT NULL,
        status text NOT NULL,
        operator text,
        started date,
        completed date,
        geometry geometry(MultiLineString, 4326) NOT NULL,
        note text,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT infrastructure_line_kind_known
            CHECK (kind IN ('road', 'power', 'gas', 'water', 'sewer', 'heat', 'telecom')),
        CONSTRAINT infrastructure_line_status_known
            CHECK (status IN ('planned', 'under_construction', 'in_service', 'retired')),
        CONSTRAINT infrastructure_line_geometry_valid
            CHECK (ST_IsValid(geometry) AND NOT ST_IsEmpty(geometry)),
        CONSTRAINT infrastructure_line_dates CHECK (completed IS NULL OR started IS NULL
            OR completed >= started)
    )
    """,
    "CREATE INDEX infrastructure_line_gist ON infrastructure_line USING gist (geometry)",
    "CREATE INDEX infrastructure_line_geography ON infrastructure_line"
    " USING gist ((geometry::geography))",
    """
    CREATE TABLE construction_project (
        id bigserial PRIMARY KEY,
        enterprise_id bigint NOT NULL REFERENCES enterprise (id) ON DELETE RESTRICT,
        name text NOT NULL,
        site geometry(Geometry, 4326) NOT NULL,
        stage text NOT NULL,
        started date,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT construction_project_stage_known CHECK (stage IN ('planning', 'approval',
            'site_preparation', 'main_works', 'fit_out', 'commissioning', 'in_production',
            'suspended')),
        CONSTRAINT construction_project_site_kind
            CHECK (GeometryType(site) IN ('POINT', 'MULTIPOLYGON')),
        CONSTRAINT construction_project_site_valid
            CHECK (ST_IsValid(site) AND NOT ST_IsEmpty(site))
    )
    """,
    "CREATE INDEX construction_project_site_gist ON construction_project USING gist (site)",
    "CREATE INDEX construction_project_enterprise ON construction_project (enterprise_id)",
    """
    CREATE TABLE project_progress (
        id bigserial PRIMARY KEY,
        project_id bigint NOT NULL REFERENCES construction_project (id) ON DELETE CASCADE,
        reported_on date NOT NULL,
        percent_complete numeric(5, 2) NOT NULL,
        note text,
        reported_by bigint REFERENCES cadre (id) ON DELETE RESTRICT,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT project_progress_percent CHECK (percent_complete BETWEEN 0 AND 100)
    )
    """,
    "CREATE INDEX project_progress_latest ON project_progress (project_id, reported_on, id)",
    """
    CREATE TABLE project_milestone (
        id bigserial PRIMARY KEY,
        project_id bigint NOT NULL REFERENCES construction_project (id) ON DELETE CASCADE,
        name text NOT NULL,
        planned date NOT NULL,
        actual date,
        CONSTRAINT project_milestone_name_unique UNIQUE (project_id, name)
    )
    """,
    """
    CREATE TABLE project_issue (
        project_id bigint NOT NULL REFERENCES construction_project (id) ON DELETE CASCADE,
        issue_id bigint NOT NULL REFERENCES issue (id) ON DELETE RESTRICT,
        PRIMARY KEY (project_id, issue_id)
    )
    """,
    """
    CREATE TABLE service_activity (
        id bigserial PRIMARY KEY,
        park_id bigint NOT NULL REFERENCES park (id) ON DELETE RESTRICT,
        kind text NOT NULL,
        duty text NOT NULL,
        title text NOT NULL,
        held_on date NOT NULL,
        place text,
        organiser text,
        organiser_id bigint REFERENCES cadre (id) ON DELETE RESTRICT,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT service_activity_kind_known CHECK (kind IN ('financing_salon',
            'safety_inspection', 'policy_briefing', 'party_theme_day', 'training', 'other')),
        CONSTRAINT service_activity_duty_known
            CHECK (duty IN ('policy', 'liaison', 'safety', 'support'))
    )
    """,
    "CREATE INDEX service_activity_held ON service_activity (held_on)",
    """
    CREATE TABLE activity_enterprise (
        activity_id bigint NOT NULL REFERENCES service_activity (id) ON DELETE CASCADE,
        enterprise_id bigint NOT NULL REFERENCES enterprise (id) ON DELETE RESTRICT,
        loan_cny numeric(18, 2) NOT NULL DEFAULT 0,
        hazards_found integer NOT NULL DEFAULT 0,
        PRIMARY KEY (activity_id, enterprise_id),
        CONSTRAINT activity_enterprise_not_negative CHECK (loan_cny >= 0 AND hazards_found >= 0)
    )
    """,
    "CREATE INDEX activity_enterprise_enterprise ON activity_enterprise (enterprise_id)",
    """
    CREATE TABLE activity_cadre (
        activity_id bigint NOT NULL REFERENCES service_activity (id) ON DELETE CASCADE,
        cadre_id bigint NOT NULL REFERENCES cadre (id) ON DELETE RESTRICT,
        PRIMARY KEY (activity_id, cadre_id)
    )
    """,
    """
    CREATE TABLE activity_issue (
        activity_id bigint NOT NULL REFERENCES service_activity (id) ON DELETE CASCADE,
        issue_id bigint NOT NULL UNIQUE REFERENCES issue (id) ON DELETE RESTRICT,
        PRIMARY KEY (activity_id, issue_id)
    )
    """,
    """
    CREATE TABLE hiring_plan (
        id bigserial PRIMARY KEY,
        enterprise_id bigint NOT NULL REFERENCES enterprise (id) ON DELETE RESTRICT,
        month date NOT NULL,
        position text NOT NULL,
        headcount integer NOT NULL,
        requirements text,
        wage_min numeric(12, 2),
        wage_max numeric(12, 2),
        entered_by bigint REFERENCES cadre (id) ON DELETE RESTRICT,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT hiring_plan_month_first CHECK (extract(day FROM month) = 1),
        CONSTRAINT hiring_plan_headcount CHECK (headcount > 0),
        CONSTRAINT hiring_plan_wages CHECK (wage_min >= 0 AND wage_max >= wage_min),
        CONSTRAINT hiring_plan_position_unique UNIQUE (enterprise_id, month, position)
    )
    """,
    "CREATE INDEX hiring_plan_month ON hiring_plan (month)",
    """
    CREATE TABLE recruitment_event (
        id bigserial PRIMARY KEY,
        park_id bigint NOT NULL REFERENCES park (id) ON DELETE RESTRICT,
        kind text NOT NULL,
        title text NOT NULL,
        held_on date NOT NULL,
        place text,
        organiser text,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT recruitment_event_kind_known
            CHECK (kind IN ('job_fair', 'online_push', 'media_release'))
    )
    """,
    """
    CREATE TABLE recruitment_hire (
        event_id bigint NOT NULL REFERENCES recruitment_event (id) ON DELETE CASCADE,
        enterprise_id bigint NOT NULL REFERENCES enterprise (id) ON DELETE RESTRICT,
        hires integer NOT NULL,
        PRIMARY KEY (event_id, enterprise_id),
        CONSTRAINT recruitment_hire_not_negative CHECK (hires >= 0)
    )
    """,
    "CREATE INDEX recruitment_hire_enterprise ON recruitment_hire (enterprise_id)",
    """
    CREATE TABLE party_meeting (
        id bigserial PRIMARY KEY,
        enterprise_id bigint NOT NULL REFERENCES enterprise (id) ON DELETE RESTRICT,
        kind text NOT NULL,
        held_on date NOT NULL,
        attendance integer NOT NULL DEFAULT 0,
        liaison_attended boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT party_meeting_kind_known CHECK (kind IN ('members_meeting',
            'committee_meeting', 'group_meeting', 'party_lesson', 'theme_day',
            'organisational_life', 'democratic_appraisal')),
        CONSTRAINT party_meeting_attendance CHECK (attendance >= 0)
    )
    """,
    "CREATE INDEX party_meeting_enterprise ON party_meeting (enterprise_id, held_on)",
    """
    CREATE TABLE party_election (
        id bigserial PRIMARY KEY,
        enterprise_id bigint NOT NULL REFERENCES enterprise (id) ON DELETE RESTRICT,
        held_on date NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT party_election_once_a_day UNIQUE (enterprise_id, held_on)
    )
    """,
    """
    CREATE TABLE party_pipeline (
        id bigserial PRIMARY KEY,
        enterprise_id bigint NOT NULL REFERENCES enterprise (id) ON DELETE RESTRICT,
        stage text NOT NULL,
        recorded_on date NOT NULL,
        people integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT party_pipeline_stage_known
            CHECK (stage IN ('activist', 'candidate', 'confirmed')),
        CONSTRAINT party_pipeline_people CHECK (people > 0)
    )
    """,
    "CREATE INDEX party_pipeline_enterprise ON party_pipeline (enterprise_id, recorded_on)",
    """
    CREATE TABLE party_honour (
        id bigserial PRIMARY KEY,
        enterprise_id bigint NOT NULL REFERENCES enterprise (id) ON DELETE RESTRICT,
        kind text NOT NULL,
        awarded_on date NOT NULL,
        awarded_by text,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT party_honour_kind_known
            CHECK (kind IN ('demonstration_site', 'benchmark_branch'))
    )
    """,
    """
    CREATE TABLE safety_standardisation (
        enterprise_id bigint PRIMARY KEY REFERENCES enterprise (id) ON DELETE CASCADE,
        certified boolean NOT NULL,
        level text,
        certified_on date,
        version integer NOT NULL DEFAULT 1,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT safety_standardisation_level_known
            CHECK (level IN ('level_1', 'level_2', 'level_3')),
        CONSTRAINT safety_standardisation_certified_has_level_and_date
            CHECK (certified = (level IS NOT NULL AND certified_on IS NOT NULL))
    )
    """,
]

SERVES = "parkgrid_serves_enterprise"
VIEWS = {
    "infrastructure_line": """SELECT l.id, l.park_id, l.code, l.name, l.kind, l.status,
            l.operator, l.started, l.completed, l.geometry,
            CASE WHEN parkgrid_is_staff() THEN l.note END AS note,
            l.version, l.created_at, l.updated_at
        FROM public.infrastructure_line l""",
    "construction_project": """SELECT p.* FROM public.construction_project p
        WHERE parkgrid_is_staff()""",
    "project_progress": f"""SELECT r.id, r.project_id, r.reported_on, r.percent_complete,
            CASE WHEN {SERVES}(p.enterprise_id) THEN r.note END AS note,
            r.reported_by, r.created_at
        FROM public.project_progress r
        JOIN public.construction_project p ON p.id = r.project_id WHERE parkgrid_is_staff()""",
    "project_milestone": """SELECT m.* FROM public.project_milestone m
        WHERE parkgrid_is_staff()""",
    "project_issue": "SELECT x.* FROM public.project_issue x WHERE parkgrid_is_staff()",
    "service_activity": "SELECT a.* FROM public.service_activity a WHERE parkgrid_is_staff()",
    "activity_enterprise": f"""SELECT x.activity_id, x.enterprise_id,
            CASE WHEN {SERVES}(x.enterprise_id) THEN x.loan_cny END AS loan_cny,
            CASE WHEN {SERVES}(x.enterprise_id) THEN x.hazards_found END AS hazards_found
        FROM public.activity_enterprise x WHERE parkgrid_is_staff()""",
    "activity_cadre": "SELECT x.* FROM public.activity_cadre x WHERE parkgrid_is_staff()",
    "activity_issue": "SELECT x.* FROM public.activity_issue x WHERE parkgrid_is_staff()",
    "hiring_plan": "SELECT h.* FROM public.hiring_plan h WHERE parkgrid_is_staff()",
    "recruitment_event": "SELECT r.* FROM public.recruitment_event r WHERE parkgrid_is_staff()",
    "recruitment_hire": f"""SELECT h.event_id, h.enterprise_id,
            CASE WHEN {SERVES}(h.enterprise_id) THEN h.hires END AS hires
        FROM public.recruitment_hire h WHERE parkgrid_is_staff()""",
    "party_meeting": "SELECT m.* FROM public.party_meeting m WHERE parkgrid_is_staff()",
    "party_election": "SELECT x.* FROM public.party_election x WHERE parkgrid_is_staff()",
    "party_pipeline": "SELECT x.* FROM public.party_pipeline x WHERE parkgrid_is_staff()",
    "party_honour": "SELECT x.* FROM public.party_honour x WHERE parkgrid_is_staff()",
    "safety_standardisation": """SELECT s.* FROM public.safety_standardisation s
        WHERE parkgrid_is_staff()""",
}


def upgrade() -> None:
    for statement in TABLES:
        op.execute(statement)
    for name, body in VIEWS.items():
        op.execute(f"CREATE VIEW {SCOPED}.{name} AS {body}")


def downgrade() -> None:
    for name in reversed(list(VIEWS)):
        op.execute(f"DROP VIEW {SCOPED}.{name}")
    for name in reversed(list(VIEWS)):
        op.execute(f"DROP TABLE {name}")
