"""parkgrid.vocabulary is the one definition of the stored vocabularies. The migrations keep
the literal values of their day, so the migrated database is checked against it here: its
CHECK constraints allow exactly the vocabulary, its partial indexes use the open-issue rule.
The code that keys data by a vocabulary (transitions, deadlines, role targets) is checked too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import Enum
from typing import Any, get_args

import pytest
from sqlalchemy import Connection, Engine, create_engine, text

from parkgrid import vocabulary as v
from tests.parkgrid.conftest import rolled_back

UNKNOWN = "no_such_value"

# (table, column): the vocabulary its single-column CHECK constraints must allow, no more
CHECKED = {
    ("issue", "status"): v.ISSUE_STATUSES,
    ("issue", "category"): v.ISSUE_CATEGORIES,
    ("issue", "severity"): v.SEVERITIES,
    ("assignment", "role"): v.ASSIGNMENT_ROLES,
    ("visit", "duties"): v.DUTIES,
    ("party_organisation", "kind"): v.PARTY_KINDS,
    ("api_token", "role"): v.TOKEN_ROLES,
    ("infrastructure_line", "kind"): v.LINE_KINDS,
    ("infrastructure_line", "status"): v.LINE_STATUSES,
    ("construction_project", "stage"): v.PROJECT_STAGES,
    ("service_activity", "kind"): v.ACTIVITY_KINDS,
    ("service_activity", "duty"): v.DUTIES,
    ("recruitment_event", "kind"): v.RECRUITMENT_KINDS,
    ("party_meeting", "kind"): v.PARTY_MEETING_KINDS,
    ("party_pipeline", "stage"): v.PIPELINE_STAGES,
    ("party_honour", "kind"): v.PARTY_HONOURS,
    ("safety_standardisation", "level"): v.STANDARDISATION_LEVELS,
}

CHECKS = """
    SELECT c.conname, pg_get_expr(c.conbin, c.conrelid) AS expr,
           format_type(a.atttypid, a.atttypmod) AS type
    FROM pg_constraint c
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
    WHERE c.contype = 'c' AND c.conrelid = CAST(:table AS regclass)
      AND cardinality(c.conkey) = 1 AND a.attname = :column
"""

PARTIAL_INDEXES = """
    SELECT i.indexrelid::regclass::text AS name, pg_get_expr(i.indpred, i.indrelid) AS predicate
    FROM pg_index i WHERE i.indrelid = CAST(:table AS regclass) AND i.indpred IS NOT NULL
"""


@pytest.fixture(scope="module")
def engine(databases: Any, empty_template: str) -> Iterator[Engine]:
    """A migrated database of this module's own."""
    engine = create_engine(databases.url(databases.create(template=empty_template)))
    yield engine
    engine.dispose()


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    yield from rolled_back(engine)


def passes(conn: Connection, expr: str, column: str, type_: str, value: Any) -> bool:
    """Whether a CHECK expression on `column` lets `value` through (true or null)."""
    query = f"SELECT ({expr}) FROM (SELECT CAST(:value AS {type_}) AS {column}) AS probe"
    return conn.execute(text(query), {"value": value}).scalar_one() is not False


@pytest.mark.parametrize(("table", "column"), list(CHECKED))
def test_checks_allow_exactly_the_vocabulary(conn: Connection, table: str, column: str) -> None:
    checks = conn.execute(text(CHECKS), {"table": table, "column": column}).all()
    assert checks, f"{table}.{column} has no CHECK constraint"
    values = CHECKED[table, column]
    array = checks[0].type.endswith("[]")

    def allowed(value: str) -> bool:
        probe = [value] if array else value
        return all(passes(conn, c.expr, column, c.type, probe) for c in checks)

    # every string the constraints name, the vocabulary and an unknown value: exactly the
    # vocabulary gets through
    named = {literal for c in checks for literal in re.findall(r"'([^']*)'", c.expr)}
    candidates = sorted(named | set(values) | {UNKNOWN})
    assert [value for value in candidates if allowed(value)] == sorted(values)
    if array:
        assert all(passes(conn, c.expr, column, c.type, list(values)) for c in checks)
        assert not all(passes(conn, c.expr, column, c.type, [*values, UNKNOWN]) for c in checks)


def deparsed(conn: Connection, predicate: str) -> str:
    """The predicate as PostgreSQL prints it for a partial index on (a copy of) issue."""
    conn.execute(text("CREATE TEMPORARY TABLE issue_probe (LIKE issue)"))
    conn.execute(text(f"CREATE INDEX issue_probe_open ON issue_probe (id) WHERE {predicate}"))
    found = conn.execute(text(PARTIAL_INDEXES), {"table": "issue_probe"}).one()
    conn.execute(text("DROP TABLE issue_probe"))
    return str(found.predicate)


def test_partial_indexes_use_the_open_rule(conn: Connection) -> None:
    from parkgrid.models import Issue, table_of

    rows = conn.execute(text(PARTIAL_INDEXES), {"table": "issue"})
    partial = {row.name: row.predicate for row in rows}
    indexes = table_of(Issue).indexes
    modelled = {i.name for i in indexes if i.dialect_options["postgresql"]["where"] is not None}
    assert modelled and modelled <= set(partial)
    rule = deparsed(conn, v.is_open())
    assert partial == dict.fromkeys(partial, rule)


def test_open_rule_holds_for_exactly_the_open_statuses(conn: Connection) -> None:
    def open_(status: str) -> bool:
        query = f"SELECT {v.is_open('i')} FROM (SELECT CAST(:s AS text) AS status) AS i"
        return bool(conn.execute(text(query), {"s": status}).scalar_one())

    assert tuple(s for s in v.ISSUE_STATUSES if open_(s)) == v.OPEN_STATUSES


def test_staff_are_the_token_roles(conn: Connection) -> None:
    def staff(principal: str) -> bool:
        conn.execute(text("SELECT set_config('parkgrid.principal', :p, true)"), {"p": principal})
        return bool(conn.execute(text("SELECT parkgrid_is_staff()")).scalar_one())

    assert all(staff(role) for role in v.TOKEN_ROLES)
    assert not staff("anonymous") and not staff(UNKNOWN)


def test_severity_default_is_the_vocabulary_default(conn: Connection) -> None:
    found = conn.execute(
        text(
            "SELECT column_default FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name = 'issue'"
            " AND column_name = 'severity'"
        )
    ).scalar_one()
    assert found == f"'{v.DEFAULT_SEVERITY}'::text"


def test_statuses_split_into_open_and_closed() -> None:
    assert set(v.OPEN_STATUSES) | set(v.CLOSED_STATUSES) == set(v.ISSUE_STATUSES)
    assert not set(v.OPEN_STATUSES) & set(v.CLOSED_STATUSES)
    assert v.DEFAULT_SEVERITY in v.SEVERITIES


def test_sql_helpers() -> None:
    assert v.sql_list(("closed", "rejected")) == "'closed', 'rejected'"
    assert v.is_open("i") == "i.status NOT IN ('closed', 'rejected')"
    assert v.is_open() == "status NOT IN ('closed', 'rejected')"
    assert v.in_list("kind", v.PARTY_KINDS) == "kind IN ('none', 'own_branch', 'joint_branch')"
    assert v.role_rank("s.role") == (
        "array_position(ARRAY['zone_lead', 'grid_lead', 'liaison'], s.role)"
    )
    for bad in ("it's", "Closed", "", "a b", "x; DROP TABLE issue"):
        with pytest.raises(ValueError, match="not a vocabulary value"):
            v.sql_list(("closed", bad))


def values_of(enum: type[Enum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


def test_graphql_enums_are_the_vocabularies() -> None:
    from schema.enums import Duty, IssueCategory, IssueStatus, Role, Severity
    from schema.party import PartyKind
    from schema.planning import PlanningRole
    from schema.registry_mutations import AssignmentLevel

    for enum, values in [
        (Role, v.ASSIGNMENT_ROLES),
        (Duty, v.DUTIES),
        (IssueCategory, v.ISSUE_CATEGORIES),
        (IssueStatus, v.ISSUE_STATUSES),
        (Severity, v.SEVERITIES),
        (PartyKind, v.PARTY_KINDS),
    ]:
        assert values_of(enum) == values
        assert [member.name for member in enum] == [value.upper() for value in values]
    # named by what is assigned rather than by the role, but the same values
    assert values_of(AssignmentLevel) == v.ASSIGNMENT_ROLES
    assert set(values_of(PlanningRole)) <= set(v.ASSIGNMENT_ROLES)


def test_lifecycle_covers_the_statuses() -> None:
    from resolvers.writes.ledger import STAMPS, TRANSITIONS

    assert tuple(TRANSITIONS) == v.OPEN_STATUSES  # only open issues move on
    reached = {"reported"} | {to for targets in TRANSITIONS.values() for to in targets}
    assert reached == set(v.ISSUE_STATUSES)
    assert set(STAMPS) <= set(v.ISSUE_STATUSES)


def test_data_keyed_by_a_vocabulary_covers_it() -> None:
    from parkgrid import generate
    from parkgrid.auth.principal import Kind
    from parkgrid.demo import ledger as demo
    from parkgrid.models import ROLE_TARGETS
    from parkgrid.settings import DEADLINE_DAYS
    from resolvers.writes.registry import TARGETS
    from tests.schema import stats_oracle

    assert tuple(ROLE_TARGETS) == v.ASSIGNMENT_ROLES
    assert tuple(TARGETS) == v.ASSIGNMENT_ROLES
    assert tuple(DEADLINE_DAYS) == v.ISSUE_CATEGORIES
    for by_category in (demo.UNITS, demo.TITLES, demo.PLAN):
        assert set(by_category) == set(v.ISSUE_CATEGORIES)
    assert set(get_args(Kind)) == {"anonymous", *v.TOKEN_ROLES}
    assert set(generate.STATUSES) <= set(v.ISSUE_STATUSES)
    assert set(generate.CATEGORIES) <= set(v.ISSUE_CATEGORIES)
    # the statistics oracle keeps its own copy on purpose (no service code): same values
    assert stats_oracle.DUTIES == v.DUTIES
    assert stats_oracle.CATEGORIES == v.ISSUE_CATEGORIES
    assert set(stats_oracle.ENDED) == set(v.CLOSED_STATUSES)
