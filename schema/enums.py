"""GraphQL enums of the stored vocabularies, derived from parkgrid.vocabulary: each member is
the value in upper case, and its value is the string the database stores.

Because the members are computed, mypy cannot list them (hence the ignore on each `Enum(...)`
call, which still makes the name a proper enum type): code converts a stored string with
`IssueStatus(value)` and sends `.value` back, and never names a member statically."""

from __future__ import annotations

from enum import Enum

import strawberry

from parkgrid.vocabulary import (
    ASSIGNMENT_ROLES,
    DUTIES,
    ISSUE_CATEGORIES,
    ISSUE_STATUSES,
    SEVERITIES,
)


def members(values: tuple[str, ...]) -> list[tuple[str, str]]:
    """The members of an enum of stored values: VALUE = "value" for each."""
    return [(value.upper(), value) for value in values]


Role = Enum("Role", members(ASSIGNMENT_ROLES))  # type: ignore[misc]
strawberry.enum(Role, description="How a cadre serves an area or enterprise.")

Duty = Enum("Duty", members(DUTIES))  # type: ignore[misc]
strawberry.enum(Duty, description="The four duties a cadre exercises on a visit.")

IssueCategory = Enum("IssueCategory", members(ISSUE_CATEGORIES))  # type: ignore[misc]
strawberry.enum(IssueCategory)

IssueStatus = Enum("IssueStatus", members(ISSUE_STATUSES))  # type: ignore[misc]
strawberry.enum(
    IssueStatus, description="reported → accepted → in_progress → resolved → verified → closed."
)

Severity = Enum("Severity", members(SEVERITIES))  # type: ignore[misc]
strawberry.enum(Severity)
