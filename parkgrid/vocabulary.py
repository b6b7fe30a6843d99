"""The closed vocabularies of parkgrid, each defined once: the strings the database stores
for assignment roles, visit duties, issue categories, statuses and severities, party
organisation kinds and API token roles.

Everything else derives from these tuples rather than repeating them: the GraphQL enums
(schema.enums, schema.party), the SQL the resolvers write (`is_open`, `role_rank`) and the
CHECK constraints and partial indexes of the ORM model (`in_list`, `all_in`). Adding or
renaming a value is a change here plus a migration; the migrations are history and keep the
literal values of their day, so tests/parkgrid/test_vocabulary.py checks the live database's
constraints and partial indexes against this module.

Order matters: roles are listed by rank (zone lead first), statuses in lifecycle order."""

from __future__ import annotations

import re
from collections.abc import Iterable

ASSIGNMENT_ROLES = ("zone_lead", "grid_lead", "liaison")
DUTIES = ("policy", "liaison", "safety", "support")
ISSUE_CATEGORIES = (
    "recruitment",
    "permits",
    "construction",
    "financing",
    "infrastructure",
    "safety_hazard",
    "talent",
    "policy",
    "party_building",
    "other",
)
ISSUE_STATUSES = (
    "reported",
    "accepted",
    "in_progress",
    "resolved",
    "verified",
    "closed",
    "rejected",
)
CLOSED_STATUSES = ("closed", "rejected")
"""The final statuses: an issue in one of them is no longer open."""
OPEN_STATUSES = tuple(status for status in ISSUE_STATUSES if status not in CLOSED_STATUSES)
SEVERITIES = ("low", "medium", "high", "critical")
DEFAULT_SEVERITY = "medium"
PARTY_KINDS = ("none", "own_branch", "joint_branch")
TOKEN_ROLES = ("admin", "viewer", "cadre")

# the park's own story: infrastructure, projects, activities, hiring, party building
LINE_KINDS = ("road", "power", "gas", "water", "sewer", "heat", "telecom")
LINE_STATUSES = ("planned", "under_construction", "in_service", "retired")
SERVING_LINE_STATUS = "in_service"
"""Only a line in service serves the enterprises near it (a planned pipeline supplies none)."""
PROJECT_STAGES = (
    "planning",
    "approval",
    "site_preparation",
    "main_works",
    "fit_out",
    "commissioning",
    "in_production",
    "suspended",
)
ACTIVITY_KINDS = (
    "financing_salon",
    "safety_inspection",
    "policy_briefing",
    "party_theme_day",
    "training",
    "other",
)
RECRUITMENT_KINDS = ("job_fair", "online_push", "media_release")
PARTY_MEETING_KINDS = (
    "members_meeting",
    "committee_meeting",
    "group_meeting",
    "party_lesson",
    "theme_day",
    "organisational_life",
    "democratic_appraisal",
)
PIPELINE_STAGES = ("activist", "candidate", "confirmed")
"""The membership pipeline's steps counted (never named): activists trained, development
candidates settled, probationary members confirmed as full members."""
PARTY_HONOURS = ("demonstration_site", "benchmark_branch")
STANDARDISATION_LEVELS = ("level_1", "level_2", "level_3")

STORED_VALUE = re.compile(r"[a-z_]+")


def sql_list(values: Iterable[str]) -> str:
    """`'a', 'b'`: the values as SQL string literals, for this module's constants only (never
    user input). Each must be a plain lower-case word, so none needs escaping."""
    values = tuple(values)
    for value in values:
        if not STORED_VALUE.fullmatch(value):
            raise ValueError(f"not a vocabulary value: {value!r}")
    return ", ".join(f"'{value}'" for value in values)


def in_list(column: str, values: Iterable[str]) -> str:
    """The CHECK expression: `column` holds one of the values."""
    return f"{column} IN ({sql_list(values)})"


def all_in(column: str, values: Iterable[str]) -> str:
    """The CHECK expression: every element of the text array `column` is one of the values."""
    return f"{column} <@ ARRAY[{sql_list(values)}]::text[]"


def is_open(alias: str | None = None) -> str:
    """The rule for an open issue: neither closed nor rejected. `alias` qualifies the column;
    without it the bare column, as in the partial indexes' predicates."""
    column = f"{alias}.status" if alias else "status"
    return f"{column} NOT IN ({sql_list(CLOSED_STATUSES)})"


def behind_schedule(project: str, day: str) -> str:
    """The rule for a project behind schedule on `day` (SQL): a milestone of the project
    (aliased `project`) was planned before that day and not reached by it."""
    return (
        "EXISTS (SELECT 1 FROM project_milestone m"
        f" WHERE m.project_id = {project}.id AND m.planned < {day}"
        f" AND (m.actual IS NULL OR m.actual > {day}))"
    )


def role_rank(column: str) -> str:
    """The rank of the role in `column`: 1 for a zone lead, then grid lead, then liaison."""
    return f"array_position(ARRAY[{sql_list(ASSIGNMENT_ROLES)}], {column})"


def held_at(alias: str, moment: str) -> str:
    """The rule for a current assignment: begun by `moment` (SQL) and not yet ended."""
    return (
        f"{alias}.valid_from <= {moment}"
        f" AND ({alias}.valid_to IS NULL OR {alias}.valid_to > {moment})"
    )
