"""The demo park: deterministic content (fixed seed), dated relative to the day it is loaded
so that its year of records ends today."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, insert, select, text
from sqlalchemy.engine import Connection

from geo.shape import to_ewkt
from parkgrid import models
from parkgrid.db import one_off
from parkgrid.demo import drives, geometry, ledger, party, people, story
from parkgrid.demo.ledger import PARK_TZ, DemoIssue, Staffing
from parkgrid.models import table_of

SEED = 20231
ZONE_LEADS, GRID_LEADS, STAFF = 3, 13, 24


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return [row.id for row in conn.execute(statement, list(rows))]


def insert_areas(conn: Connection) -> dict[str, int]:
    ids: dict[str, int] = {}
    for table, shapes, parent in (
        (table_of(models.Park), [geometry.park()], None),
        (table_of(models.Zone), geometry.zones(), "park_id"),
        (table_of(models.Grid), geometry.grids(), "zone_id"),
    ):
        rows = [
            {"code": s.code, "name": s.name, "boundary": to_ewkt(s.boundary)}
            | ({parent: ids[s.parent_code]} if parent and s.parent_code else {})
            for s in shapes
        ]
        ids |= dict(zip([s.code for s in shapes], insert_rows(conn, table, rows), strict=True))
    return ids


def insert_enterprises(conn: Connection, made: list[people.DemoEnterprise]) -> list[int]:
    rows = [
        {"uscc": e.uscc, "name": e.name, "industry": e.industry, "address": e.address,
         "location": to_ewkt(e.location)}
        for e in made
    ]  # fmt: skip
    return insert_rows(conn, table_of(models.Enterprise), rows)


def insert_cadres(conn: Connection, made: list[people.DemoCadre]) -> list[int]:
    rows = [{"name": c.name, "title": c.title, "unit": c.unit, "phone": c.phone} for c in made]
    return insert_rows(conn, table_of(models.Cadre), rows)


def assignment(
    cadre: int, role: str, target: str, target_id: int, start: datetime, end: datetime | None = None
) -> dict[str, Any]:
    targets = {"zone_id": None, "grid_id": None, "enterprise_id": None} | {target: target_id}
    return {"cadre_id": cadre, "role": role, "valid_from": start, "valid_to": end} | targets


def liaison_history(
    pool: list[int], index: int, start: datetime, change: datetime
) -> list[tuple[datetime, datetime | None, int]]:
    first = pool[index % len(pool)]
    if index % 20 != 7 or len(pool) < 2:
        return [(start, None, first)]
    return [(start, change, first), (change, None, pool[(index + 1) % len(pool)])]


def staff_assignments(
    conn: Connection,
    ids: dict[str, int],
    enterprises: list[people.DemoEnterprise],
    enterprise_ids: list[int],
    cadre_ids: list[int],
    anchor: datetime,
) -> Staffing:
    start, change = anchor - timedelta(days=400), anchor - timedelta(days=150)
    zones, grids = geometry.zones(), geometry.grids()
    leads = cadre_ids[ZONE_LEADS : ZONE_LEADS + GRID_LEADS]
    staff = cadre_ids[ZONE_LEADS + GRID_LEADS :]
    rows = [
        assignment(cadre_ids[n], "zone_lead", "zone_id", ids[z.code], start)
        for n, z in enumerate(zones)
    ]
    rows += [
        assignment(leads[n], "grid_lead", "grid_id", ids[g.code], start)
        for n, g in enumerate(grids)
    ]
    pools = {g.code: [leads[n], *staff[n :: len(grids)]] for n, g in enumerate(grids)}
    periods: dict[int, list[tuple[datetime, int]]] = {}
    seen: dict[str, int] = {}
    for enterprise, eid in zip(enterprises, enterprise_ids, strict=True):
        index = seen[enterprise.grid_code] = seen.get(enterprise.grid_code, -1) + 1
        history = liaison_history(pools[enterprise.grid_code], index, start, change)
        rows += [assignment(c, "liaison", "enterprise_id", eid, a, b) for a, b, c in history]
        periods[eid] = [(a, c) for a, _, c in history]
    insert_rows(conn, table_of(models.Assignment), rows)
    lead_of = {
        eid: pools[e.grid_code][0] for e, eid in zip(enterprises, enterprise_ids, strict=True)
    }
    return Staffing(liaison_periods=periods, grid_lead=lead_of)


def event(
    subject: str,
    subject_id: int,
    enterprise: int,
    action: str,
    actor: int | None,
    at: datetime,
    changes: dict[str, Any],
    note: str | None = None,
) -> dict[str, Any]:
    return {"subject": subject, "subject_id": subject_id, "enterprise_id": enterprise,
            "action": action, "actor_id": actor, "occurred_at": at, "changes": changes,
            "note": note}  # fmt: skip


def insert_visits(conn: Connection, visits: list[ledger.DemoVisit]) -> None:
    rows = [
        {"cadre_id": v.cadre, "enterprise_id": v.enterprise, "visited_at": v.at,
         "duties": v.duties, "note": v.note}
        for v in visits
    ]  # fmt: skip
    ids = insert_rows(conn, table_of(models.Visit), rows)
    events = [
        event("visit", vid, v.enterprise, "logged", v.cadre, v.at, {"duties": v.duties})
        for vid, v in zip(ids, visits, strict=True)
    ]
    conn.execute(insert(table_of(models.Event)), events)


def issue_row(issue: DemoIssue) -> dict[str, Any]:
    return {
        "enterprise_id": issue.enterprise, "category": issue.category, "title": issue.title,
        "description": issue.description, "severity": issue.severity, "status": issue.status,
        "reporter_id": issue.reporter, "assignee_id": issue.assignee,
        "responsible_unit": ledger.UNITS[issue.category], "due_date": issue.due_date,
        "rejection_reason": issue.rejection_reason, "reported_at": issue.reported_at,
        "resolved_at": issue.when("resolved"), "closed_at": issue.when("closed"),
        "version": 1 + len(issue.steps),
    }  # fmt: skip


def issue_events(issue_id: int, issue: DemoIssue) -> Iterable[dict[str, Any]]:
    yield event("issue", issue_id, issue.enterprise, "reported", issue.reporter,
                issue.reported_at, {"status": [None, "reported"]})  # fmt: skip
    previous = "reported"
    for status, at, note in issue.steps:
        yield event("issue", issue_id, issue.enterprise, "status_changed", issue.assignee, at,
                    {"status": [previous, status]}, note)  # fmt: skip
        previous = status


def outcome_row(issue_id: int, issue: DemoIssue) -> dict[str, Any] | None:
    hazards = 1 if issue.category == "safety_hazard" and issue.status == "closed" else 0
    if not (hazards or issue.people_hired or issue.loan_cny):
        return None
    return {"issue_id": issue_id, "recorded_by": issue.assignee,
            "recorded_at": issue.when("resolved"), "people_hired": issue.people_hired,
            "loan_cny": issue.loan_cny, "hazards_rectified": hazards}  # fmt: skip


def insert_issues(conn: Connection, issues: list[DemoIssue]) -> None:
    ids = insert_rows(conn, table_of(models.Issue), [issue_row(i) for i in issues])
    pairs = list(zip(ids, issues, strict=True))
    conn.execute(insert(table_of(models.Event)), [e for p in pairs for e in issue_events(*p)])
    outcomes = [row for p in pairs if (row := outcome_row(*p))]
    conn.execute(insert(table_of(models.Outcome)), outcomes)


@dataclass(frozen=True)
class Made:
    """What the demo made before its story: areas, firms, cadres, liaisons, organisations."""

    ids: dict[str, int]
    enterprises: list[people.DemoEnterprise]
    enterprise_ids: list[int]
    cadre_ids: list[int]
    staffing: Staffing
    organisations: list[dict[str, Any]]

    def zones(self) -> dict[int, list[int]]:
        found: dict[int, list[int]] = {}
        for firm, eid in zip(self.enterprises, self.enterprise_ids, strict=True):
            zone = self.ids[firm.grid_code[: len(geometry.zone_code(""))]]
            found.setdefault(zone, []).append(eid)
        return found


def insert_story(conn: Connection, made: Made, anchor: datetime,
                 gains: tuple[list[drives.DemoEvent], list[drives.DemoEvent]]) -> None:  # fmt: skip
    """Lines, projects, drives, activities and the party-building record (parkgrid.demo.story
    and .drives), on a random stream of their own so the other demo figures stay put."""
    rng, today, park = random.Random(SEED + 2), anchor.date(), made.ids[geometry.PARK_CODE]
    leads = made.cadre_ids[:ZONE_LEADS]
    story.insert_lines(conn, park, today)
    story.insert_projects(conn, made.enterprise_ids[:3], today, leads[0])
    branches = [o["enterprise_id"] for o in made.organisations if o["kind"] == "own_branch"]
    story.insert_party_record(conn, branches[:6], today)
    story.insert_standardisation(conn, made.enterprise_ids[10:18], today)
    hires, salons = gains
    drives.insert_recruitment(conn, park, hires)
    for salon in salons:
        drives.insert_activity(conn, park, salon, leads, "县金融办、合作银行")
    for sweep in drives.sweeps(made.zones(), anchor, rng):
        activity = drives.insert_activity(conn, park, sweep, leads, "园区管委会")
        if sweep.kind == "safety_inspection":
            drives.link_hazards(conn, activity, list(sweep.gains), sweep.held_on)
    liaisons = {e: periods[-1][1] for e, periods in made.staffing.liaison_periods.items()}
    planning = rng.sample(made.enterprise_ids, 24)
    drives.insert_plans(conn, planning, today.replace(day=1), liaisons, rng)


def already_loaded(conn: Connection, only_if_empty: bool) -> bool:
    park = table_of(models.Park)
    if only_if_empty and conn.execute(select(park.c.id).limit(1)).first():
        return True
    return (
        conn.execute(select(park.c.id).where(park.c.code == geometry.PARK_CODE)).first() is not None
    )


def load(conn: Connection, anchor: datetime) -> str:
    rng = random.Random(SEED)
    ids = insert_areas(conn)
    enterprises = people.enterprises(rng, geometry.grids())
    enterprise_ids = insert_enterprises(conn, enterprises)
    cadre_ids = insert_cadres(conn, people.cadres(rng, ZONE_LEADS, GRID_LEADS, STAFF))
    staffing = staff_assignments(conn, ids, enterprises, enterprise_ids, cadre_ids, anchor)
    visits = ledger.visits(enterprise_ids, staffing, anchor, rng)
    insert_visits(conn, visits)
    issues = ledger.issues(enterprise_ids, staffing, anchor, rng)
    gains = drives.hiring_events(issues), drives.financing_salons(issues)
    insert_issues(conn, issues)
    organisations = party.organisations(enterprise_ids, anchor.date(), SEED + 1)
    conn.execute(insert(table_of(models.PartyOrganisation)), organisations)
    made = Made(ids, enterprises, enterprise_ids, cadre_ids, staffing, organisations)
    insert_story(conn, made, anchor, gains)
    return (
        f"demo park {geometry.PARK_CODE} loaded: {len(ids)} areas, {len(enterprises)} enterprises,"
        f" {len(cadre_ids)} cadres, {len(visits)} visits, {len(issues)} issues"
    )


def seed_demo(url: str, only_if_empty: bool = True, anchor: datetime | None = None) -> str:
    """Load the demo park unless it (or, with only_if_empty, any park) is already there."""
    with one_off(url) as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('parkgrid.seed'))"))
        if already_loaded(conn, only_if_empty):
            return "demo park not loaded: the database already holds a park"
        moment = anchor or datetime.now(PARK_TZ).replace(minute=0, second=0, microsecond=0)
        return load(conn, moment)
