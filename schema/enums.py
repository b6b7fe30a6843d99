"""GraphQL enums; each value is the string the database stores."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(description="How a cadre serves an area or enterprise.")
class Role(Enum):
    ZONE_LEAD = "zone_lead"
    GRID_LEAD = "grid_lead"
    LIAISON = "liaison"


@strawberry.enum(description="The four duties a cadre exercises on a visit.")
class Duty(Enum):
    POLICY = "policy"
    LIAISON = "liaison"
    SAFETY = "safety"
    SUPPORT = "support"


@strawberry.enum
class IssueCategory(Enum):
    RECRUITMENT = "recruitment"
    PERMITS = "permits"
    CONSTRUCTION = "construction"
    FINANCING = "financing"
    INFRASTRUCTURE = "infrastructure"
    SAFETY_HAZARD = "safety_hazard"
    TALENT = "talent"
    POLICY = "policy"
    PARTY_BUILDING = "party_building"
    OTHER = "other"


@strawberry.enum(description="reported → accepted → in_progress → resolved → verified → closed.")
class IssueStatus(Enum):
    REPORTED = "reported"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    VERIFIED = "verified"
    CLOSED = "closed"
    REJECTED = "rejected"


@strawberry.enum
class Severity(Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"
