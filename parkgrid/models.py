"""The ORM model: what the database holds. Rules that must hold on every write path
(geometry validity, code checks, grid membership, append-only events) live in the
database itself; see the initial migration."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from geo.srid import STORAGE_SRID
from parkgrid.vocabulary import (
    ASSIGNMENT_ROLES,
    DEFAULT_SEVERITY,
    DUTIES,
    ISSUE_CATEGORIES,
    ISSUE_STATUSES,
    PARTY_KINDS,
    SEVERITIES,
    TOKEN_ROLES,
    all_in,
    in_list,
    is_open,
)


def area_type() -> Geometry:
    return Geometry("MULTIPOLYGON", srid=STORAGE_SRID, spatial_index=False)


def point_type() -> Geometry:
    return Geometry("POINT", srid=STORAGE_SRID, spatial_index=False)


def stamped_now() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


ROLE_TARGETS = {"zone_lead": "zone_id", "grid_lead": "grid_id", "liaison": "enterprise_id"}


def only_target(role: str, column: str) -> str:
    """The SQL condition: this role's target column is set and the others are not."""
    unset = [f"{other} IS NULL" for other in ROLE_TARGETS.values() if other != column]
    return f"(role = '{role}' AND {column} IS NOT NULL AND {' AND '.join(unset)})"


class Base(DeclarativeBase):
    pass


def table_of(model: type[Base]) -> Table:
    """The Core table of a model, for bulk statements."""
    return cast(Table, model.__table__)


class AreaColumns:
    """What parks, zones and grids share: a unique code, a name and a valid boundary."""

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(Text)
    boundary: Mapped[Any] = mapped_column(area_type())
    created_at: Mapped[datetime] = stamped_now()
    updated_at: Mapped[datetime] = stamped_now()

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:  # noqa: N805 (a class-level directive)
        table = cls.__tablename__  # type: ignore[attr-defined]
        return (
            CheckConstraint("ST_IsValid(boundary)", name=f"{table}_boundary_valid"),
            Index(f"{table}_boundary_gist", "boundary", postgresql_using="gist"),
        )


class Park(AreaColumns, Base):
    __tablename__ = "park"

    timezone: Mapped[str] = mapped_column(Text, server_default="Asia/Shanghai")


class Zone(AreaColumns, Base):
    __tablename__ = "zone"

    park_id: Mapped[int] = mapped_column(ForeignKey("park.id", ondelete="RESTRICT"), index=True)


class Grid(AreaColumns, Base):
    __tablename__ = "grid"

    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id", ondelete="RESTRICT"), index=True)


class Enterprise(Base):
    __tablename__ = "enterprise"
    __table_args__ = (
        CheckConstraint("parkgrid_uscc_valid(uscc)", name="enterprise_uscc_valid"),
        CheckConstraint("ST_IsValid(location)", name="enterprise_location_valid"),
        Index("enterprise_location_gist", "location", postgresql_using="gist"),
        Index("enterprise_grid_uscc", "grid_id", "uscc", postgresql_include=["id"]),
        Index(
            "enterprise_location_geography",
            text("(location::geography)"),
            postgresql_using="gist",
        ),
        Index(
            "enterprise_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ),
        Index(
            "enterprise_uscc_trgm",
            "uscc",
            postgresql_using="gin",
            postgresql_ops={"uscc": "gin_trgm_ops"},
        ),
        Index("enterprise_industry", "industry"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(Text)
    industry: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    location: Mapped[Any] = mapped_column(point_type())
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = stamped_now()
    updated_at: Mapped[datetime] = stamped_now()


class PartyOrganisation(Base):
    """An enterprise's party organisation: none, a branch of its own (three or more full
    members) or a joint branch shared with neighbouring firms."""

    __tablename__ = "party_organisation"
    __table_args__ = (
        CheckConstraint(in_list("kind", PARTY_KINDS), name="party_organisation_kind_known"),
        CheckConstraint("members >= 0", name="party_organisation_members_not_negative"),
        CheckConstraint(
            "kind <> 'none' OR (established IS NULL AND members = 0)",
            name="party_organisation_none_is_empty",
        ),
        CheckConstraint(
            "kind <> 'own_branch' OR members >= 3", name="party_organisation_own_branch_members"
        ),
    )

    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprise.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(Text)
    established: Mapped[date | None] = mapped_column(Date)
    members: Mapped[int] = mapped_column(Integer, server_default="0")
    updated_at: Mapped[datetime] = stamped_now()


class Cadre(Base):
    __tablename__ = "cadre"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = stamped_now()


class Assignment(Base):
    """A cadre's duty on a zone (zone lead), a grid (grid lead) or an enterprise (liaison).

    History is kept: an assignment ends by setting valid_to, never by deletion. An
    exclusion constraint keeps at most one holder of each role per target at any time."""

    __tablename__ = "assignment"
    __table_args__ = (
        CheckConstraint(in_list("role", ASSIGNMENT_ROLES), name="assignment_role_known"),
        CheckConstraint(
            " OR ".join(only_target(role, column) for role, column in ROLE_TARGETS.items()),
            name="assignment_target_matches_role",
        ),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="assignment_period"),
        Index("assignment_cadre", "cadre_id"),
        Index("assignment_zone", "zone_id", postgresql_where="zone_id IS NOT NULL"),
        Index("assignment_grid", "grid_id", postgresql_where="grid_id IS NOT NULL"),
        Index(
            "assignment_enterprise", "enterprise_id", postgresql_where="enterprise_id IS NOT NULL"
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadre.id", ondelete="RESTRICT"))
    role: Mapped[str] = mapped_column(Text)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zone.id", ondelete="CASCADE"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id", ondelete="CASCADE"))
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprise.id", ondelete="CASCADE")
    )
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = stamped_now()


class Visit(Base):
    __tablename__ = "visit"
    __table_args__ = (
        CheckConstraint(
            f"cardinality(duties) > 0 AND {all_in('duties', DUTIES)}",
            name="visit_duties_known",
        ),
        Index("visit_enterprise_at", "enterprise_id", "visited_at"),
        Index("visit_cadre_at", "cadre_id", "visited_at"),
        Index("visit_at", "visited_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("cadre.id", ondelete="RESTRICT"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="RESTRICT"))
    visited_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    duties: Mapped[list[str]] = mapped_column(ARRAY(Text))
    note: Mapped[str | None] = mapped_column(Text)
    check_in: Mapped[Any | None] = mapped_column(point_type())
    created_at: Mapped[datetime] = stamped_now()


class Issue(Base):
    __tablename__ = "issue"
    __table_args__ = (
        CheckConstraint(in_list("category", ISSUE_CATEGORIES), name="issue_category_known"),
        CheckConstraint(in_list("status", ISSUE_STATUSES), name="issue_status_known"),
        CheckConstraint(in_list("severity", SEVERITIES), name="issue_severity_known"),
        CheckConstraint(
            "status <> 'rejected' OR rejection_reason IS NOT NULL",
            name="issue_rejection_has_reason",
        ),
        Index("issue_enterprise_status", "enterprise_id", "status"),
        Index("issue_reported_at", "reported_at"),
        Index("issue_open_enterprise", "enterprise_id", postgresql_where=is_open()),
        Index("issue_open_due", "due_date", postgresql_where=is_open()),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id", ondelete="RESTRICT"))
    category: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(Text, server_default=DEFAULT_SEVERITY)
    status: Mapped[str] = mapped_column(Text, server_default="reported")
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("cadre.id", ondelete="RESTRICT"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("cadre.id", ondelete="RESTRICT"))
    responsible_unit: Mapped[str | None] = mapped_column(Text)
    due_date: Mapped[date | None] = mapped_column(Date)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    reported_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    updated_at: Mapped[datetime] = stamped_now()
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, server_default="1")


class Outcome(Base):
    """What came of an issue, in quantities the park reports: people hired, loans, hazards."""

    __tablename__ = "outcome"
    __table_args__ = (
        CheckConstraint(
            "people_hired >= 0 AND loan_cny >= 0 AND hazards_rectified >= 0",
            name="outcome_quantities_not_negative",
        ),
        Index("outcome_issue", "issue_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id", ondelete="RESTRICT"))
    recorded_at: Mapped[datetime] = stamped_now()
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("cadre.id", ondelete="RESTRICT"))
    people_hired: Mapped[int] = mapped_column(Integer, server_default="0")
    loan_cny: Mapped[float] = mapped_column(Numeric(18, 2), server_default="0")
    hazards_rectified: Mapped[int] = mapped_column(Integer, server_default="0")
    note: Mapped[str | None] = mapped_column(Text)


class Event(Base):
    """Append-only log of every change: a trigger refuses UPDATE and DELETE, and another
    announces the rows each statement inserts on channel `parkgrid_events`, delivered at
    commit (migration 0005; parkgrid.changes listens)."""

    __tablename__ = "event"
    __table_args__ = (
        Index("event_subject", "subject", "subject_id", "id"),
        Index(
            "event_enterprise", "enterprise_id", "id", postgresql_where="enterprise_id IS NOT NULL"
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    occurred_at: Mapped[datetime] = stamped_now()
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("cadre.id", ondelete="RESTRICT"))
    subject: Mapped[str] = mapped_column(Text)
    subject_id: Mapped[int] = mapped_column(BigInteger)
    enterprise_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(Text)
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    note: Mapped[str | None] = mapped_column(Text)
    token_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_token.id", ondelete="RESTRICT"),
        server_default=text(
            "CAST(nullif(current_setting('parkgrid.token_id', true), '') AS bigint)"
        ),
    )


class ApiToken(Base):
    """A bearer token, stored only as its SHA-256 digest."""

    __tablename__ = "api_token"
    __table_args__ = (
        CheckConstraint(in_list("role", TOKEN_ROLES), name="api_token_role_known"),
        CheckConstraint(
            "role <> 'cadre' OR cadre_id IS NOT NULL", name="api_token_cadre_has_cadre"
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    role: Mapped[str] = mapped_column(Text)
    cadre_id: Mapped[int | None] = mapped_column(ForeignKey("cadre.id", ondelete="RESTRICT"))
    label: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = stamped_now()
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
