"""The park story's figures for `stats`, per area and period (resolvers.reads.stats's
scopes, periods and batching): service activities by kind, the party-building record in the
report's shape, and safety standardisation. Counts only: no member is ever named."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from parkgrid.vocabulary import (
    ACTIVITY_KINDS,
    PARTY_HONOURS,
    PARTY_MEETING_KINDS,
    PIPELINE_STAGES,
    STANDARDISATION_LEVELS,
)
from resolvers.reads.stats import Period, Scope, run

# --- service activities ------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityCount:
    kind: str
    activities: int = 0
    enterprises_reached: int = 0
    loan_cny: float = 0.0


ACTIVITIES = """
    SELECT a.kind, count(DISTINCT a.id) AS activities,
           count(DISTINCT x.enterprise_id) AS enterprises_reached,
           CAST(coalesce(sum(x.loan_cny), 0) AS float8) AS loan_cny
    FROM service_activity a JOIN activity_enterprise x ON x.activity_id = a.id
    JOIN firms f ON f.id = x.enterprise_id
    WHERE a.held_on BETWEEN :first AND :last
    GROUP BY a.kind
"""


def activity_counts(
    conn: Connection, period: Period, scopes: Sequence[Scope]
) -> dict[Scope, tuple[ActivityCount, ...]]:
    """Per kind (every kind, zeros included): activities held in the period that reached an
    enterprise of the scope, the enterprises reached and the loans agreed there."""
    found = {}
    for scope in scopes:
        rows = {r.kind: ActivityCount(**r._mapping) for r in run(conn, scope, period, ACTIVITIES)}
        found[scope] = tuple(rows.get(k) or ActivityCount(k) for k in ACTIVITY_KINDS)
    return found


# --- the party-building record -----------------------------------------------------------------


@dataclass(frozen=True)
class PartyFigures:
    new_branches: int
    elections: int
    activists: int
    candidates: int
    confirmed: int
    theme_days_attended: int
    demonstration_sites: int
    benchmark_branches: int
    meetings: tuple[tuple[str, int], ...]


PIPELINE_SUMS = ", ".join(
    f"coalesce(sum(x.people) FILTER (WHERE x.stage = '{stage}'), 0) AS {column}"
    for stage, column in zip(PIPELINE_STAGES, ("activists", "candidates", "confirmed"), strict=True)
)
HONOUR_COUNTS = ", ".join(
    f"count(DISTINCT h.enterprise_id) FILTER (WHERE h.kind = '{kind}') AS {column}"
    for kind, column in zip(
        PARTY_HONOURS, ("demonstration_sites", "benchmark_branches"), strict=True
    )
)
PARTY = f"""
    SELECT * FROM
      (SELECT count(*) AS new_branches FROM party_organisation p
       JOIN firms f ON f.id = p.enterprise_id
       WHERE p.kind <> 'none' AND p.established BETWEEN :first AND :last) b,
      (SELECT count(*) AS elections FROM party_election x JOIN firms f ON f.id = x.enterprise_id
       WHERE x.held_on BETWEEN :first AND :last) e,
      (SELECT {PIPELINE_SUMS} FROM party_pipeline x JOIN firms f ON f.id = x.enterprise_id
       WHERE x.recorded_on BETWEEN :first AND :last) pl,
      (SELECT count(*) AS theme_days_attended FROM party_meeting m
       JOIN firms f ON f.id = m.enterprise_id WHERE m.kind = 'theme_day' AND m.liaison_attended
       AND m.held_on BETWEEN :first AND :last) t,
      (SELECT {HONOUR_COUNTS} FROM party_honour h JOIN firms f ON f.id = h.enterprise_id
       WHERE h.awarded_on <= :last) h
"""
MEETINGS = """
    SELECT m.kind, count(*) AS meetings FROM party_meeting m JOIN firms f ON f.id = m.enterprise_id
    WHERE m.held_on BETWEEN :first AND :last GROUP BY m.kind
"""


def party_figures(conn: Connection, period: Period, scope: Scope) -> PartyFigures:
    row = run(conn, scope, period, PARTY)[0]
    held = {r.kind: int(r.meetings) for r in run(conn, scope, period, MEETINGS)}
    meetings = tuple((kind, held.get(kind, 0)) for kind in PARTY_MEETING_KINDS)
    return PartyFigures(**{k: int(v) for k, v in row._mapping.items()}, meetings=meetings)


def party(conn: Connection, period: Period, scopes: Sequence[Scope]) -> dict[Scope, PartyFigures]:
    return {scope: party_figures(conn, period, scope) for scope in scopes}


# --- safety standardisation --------------------------------------------------------------------


@dataclass(frozen=True)
class Standardisation:
    standardised: int
    certified_in_period: int
    by_level: tuple[tuple[str, int], ...]


STANDARDISED = """
    SELECT s.level, count(*) AS held,
           count(*) FILTER (WHERE s.certified_on >= :first) AS in_period
    FROM safety_standardisation s JOIN firms f ON f.id = s.enterprise_id
    WHERE s.certified AND s.certified_on <= :last GROUP BY s.level
"""


def standardisation_figures(conn: Connection, period: Period, scope: Scope) -> Standardisation:
    rows = {r.level: r for r in run(conn, scope, period, STANDARDISED)}
    return Standardisation(
        standardised=sum(int(r.held) for r in rows.values()),
        certified_in_period=sum(int(r.in_period) for r in rows.values()),
        by_level=tuple(
            (level, int(rows[level].held) if level in rows else 0)
            for level in STANDARDISATION_LEVELS
        ),
    )


def standardisation(
    conn: Connection, period: Period, scopes: Sequence[Scope]
) -> dict[Scope, Standardisation]:
    return {scope: standardisation_figures(conn, period, scope) for scope in scopes}
