"""GraphQL enums of the stored vocabularies, derived from parkgrid.vocabulary: each member is
the value in upper case, and its value is the string the database stores. Each value's
meaning is stated here once, next to the enum; a vocabulary value without one fails at import.

Because the members are computed, mypy cannot list them (hence the ignore on each `Enum(...)`
call, which still makes the name a proper enum type): code converts a stored string with
`IssueStatus(value)` and sends `.value` back, and never names a member statically."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry

from parkgrid.vocabulary import (
    ASSIGNMENT_ROLES,
    DEFAULT_SEVERITY,
    DUTIES,
    ISSUE_CATEGORIES,
    ISSUE_STATUSES,
    SEVERITIES,
)


def members(values: tuple[str, ...]) -> list[tuple[str, str]]:
    """The members of an enum of stored values: VALUE = "value" for each."""
    return [(value.upper(), value) for value in values]


def describe_values(enum: Any, meanings: dict[str, str]) -> None:
    """Give each value of a strawberry enum its meaning, keyed by the stored value; every
    value must have one (so a value added to the vocabulary is described with it)."""
    for value in enum.__strawberry_definition__.values:
        value.description = meanings[value.value]


Role = Enum("Role", members(ASSIGNMENT_ROLES))  # type: ignore[misc]
strawberry.enum(Role, description="How a cadre serves an area or enterprise.")
describe_values(Role, {
    "zone_lead": "Leads a zone (片区): every grid and enterprise in it.",
    "grid_lead": "Leads a grid (网格): every enterprise in it.",
    "liaison": "The cadre linked to an enterprise (联点), who visits it.",
})  # fmt: skip

Duty = Enum("Duty", members(DUTIES))  # type: ignore[misc]
strawberry.enum(Duty, description="The four duties a cadre exercises on a visit.")
describe_values(Duty, {
    "policy": "Explains policy and guides the enterprise's party organisation (宣讲员).",
    "liaison": "Collects needs (hiring, permits, construction) and relays them (联络员).",
    "safety": "Inspects safety and environment, finds hazards, follows rectification (安全员).",
    "support": "Works on problems until solved: financing, infrastructure, ... (帮扶员).",
})  # fmt: skip

IssueCategory = Enum("IssueCategory", members(ISSUE_CATEGORIES))  # type: ignore[misc]
strawberry.enum(
    IssueCategory, description="What an issue is about; each has a default time to resolve."
)
describe_values(IssueCategory, {
    "recruitment": "Hiring staff.",
    "permits": "Licences and approvals.",
    "construction": "Building works and their approvals.",
    "financing": "Loans and funding.",
    "infrastructure": "Roads, power, water, networks around the enterprise.",
    "safety_hazard": "A safety or environmental hazard found on site, to be rectified.",
    "talent": "Attracting and keeping skilled people.",
    "policy": "Questions about, or access to, a policy.",
    "party_building": "The enterprise's party organisation and its activities.",
    "other": "Anything else.",
})  # fmt: skip

IssueStatus = Enum("IssueStatus", members(ISSUE_STATUSES))  # type: ignore[misc]
strawberry.enum(
    IssueStatus, description="reported → accepted → in_progress → resolved → verified → closed."
)
describe_values(IssueStatus, {
    "reported": "Raised, not yet accepted. Open.",
    "accepted": "Accepted by a cadre; work not started. Open.",
    "in_progress": "Being worked on. Open.",
    "resolved": "Done, awaiting verification. Open.",
    "verified": "The enterprise confirmed the resolution. Open until closed.",
    "closed": "Finished. Final: no longer open.",
    "rejected": "Refused, with a rejection reason (from reported or accepted). Final.",
})  # fmt: skip

Severity = Enum("Severity", members(SEVERITIES))  # type: ignore[misc]
strawberry.enum(Severity, description=f"How serious an issue is; {DEFAULT_SEVERITY} by default.")
describe_values(Severity, {
    "low": "Can wait.",
    "medium": "The usual case.",
    "high": "Needs attention soon.",
    "critical": "Needs attention now (for a hazard: work may have to stop).",
})  # fmt: skip
