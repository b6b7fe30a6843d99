"""Hiring plans (entered monthly by each enterprise's liaison) and recruitment events with
the hires each enterprise made there. A plan is one row per enterprise, month and position,
changed with its version; an event's hires feed the outcome totals of `stats`."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from parkgrid.errors import Conflict, InvalidInput
from resolvers.writes.events import Change, act_as, append
from resolvers.writes.infrastructure import park_id
from resolvers.writes.ledger import enterprise_id_of
from resolvers.writes.versions import bump, changed, locked

MOST_PEOPLE = 100_000
"""More people than one plan or one event could mean: a typing slip."""
MOST_WAGE = 10_000_000.0


@dataclass(frozen=True)
class NewPlan:
    enterprise_uscc: str
    month: date
    position: str
    headcount: int
    requirements: str | None
    wage_min: float | None
    wage_max: float | None


def checked_plan(plan: NewPlan) -> None:
    if plan.month.day != 1:
        raise InvalidInput("give the month as its first day (YYYY-MM-01)", field="month")
    if not 1 <= plan.headcount <= MOST_PEOPLE:
        raise InvalidInput(f"must be between 1 and {MOST_PEOPLE:,}", field="headcount")
    for field, wage in (("wageMin", plan.wage_min), ("wageMax", plan.wage_max)):
        if wage is not None and not 0 <= wage <= MOST_WAGE:  # NaN too
            raise InvalidInput(f"must be between 0 and {MOST_WAGE:,.0f}", field=field)
    if (plan.wage_min is None) != (plan.wage_max is None):
        raise InvalidInput("give both ends of the wage range, or neither", field="wageMax")
    if plan.wage_min is not None and plan.wage_max is not None and plan.wage_max < plan.wage_min:
        raise InvalidInput("must not be below wageMin", field="wageMax")


PLAN_KEY = "enterprise_id = :enterprise AND month = :month AND position = :position"
PLAN_VALUES = ("headcount", "requirements", "wage_min", "wage_max")


def save_plan(conn: Connection, plan: NewPlan, version: int | None, actor: int | None) -> int:
    """Enter the enterprise's plan for the month and position, or change it (`version`)."""
    checked_plan(plan)
    enterprise = enterprise_id_of(conn, plan.enterprise_uscc)
    params = asdict(plan) | {"enterprise": enterprise, "actor": actor}
    found = conn.execute(text(f"SELECT id FROM hiring_plan WHERE {PLAN_KEY}"), params).scalar()
    act_as(conn, actor)
    if found is None:
        if version is not None:
            raise InvalidInput("no such plan yet: leave version out to enter it", field="version")
        plan_id = int(conn.execute(text(
            "INSERT INTO hiring_plan (enterprise_id, month, position, headcount, requirements,"
            " wage_min, wage_max, entered_by) VALUES (:enterprise, :month, :position,"
            " :headcount, :requirements, :wage_min, :wage_max, :actor) RETURNING id"
        ), params).scalar_one())  # fmt: skip
        before: dict[str, Any] = {}
    else:
        if version is None:
            raise Conflict("the plan exists already: give its version to change it", "version")
        before = locked(conn, "hiring_plan", "id", found, version)
        plan_id = int(found)
        conn.execute(text(
            "UPDATE hiring_plan SET headcount = :headcount, requirements = :requirements,"
            " wage_min = :wage_min, wage_max = :wage_max, entered_by = :actor WHERE id = :id"
        ), params | {"id": plan_id})  # fmt: skip
        bump(conn, "hiring_plan", "id", plan_id)
    after = {name: getattr(plan, name) for name in PLAN_VALUES}
    before = {k: (float(v) if k.startswith("wage") and v is not None else v)
              for k, v in before.items()}  # fmt: skip
    changes = {"month": plan.month.isoformat(), "position": plan.position} | changed(before, after)
    action = "entered" if not before else "changed"
    append(conn, Change("hiring_plan", plan_id, enterprise, action, actor, changes))
    return plan_id


@dataclass(frozen=True)
class NewRecruitment:
    park: str
    kind: str
    title: str
    held_on: date
    place: str | None
    organiser: str | None
    hires: tuple[tuple[str, int], ...]


def checked_recruitment(new: NewRecruitment, today: date) -> None:
    if new.held_on > today:
        raise InvalidInput("record an event once it has taken place", field="heldOn")
    if not new.hires:
        raise InvalidInput("name the enterprises taking part", field="enterprises")
    codes = [code for code, _ in new.hires]
    if len(set(codes)) != len(codes):
        raise InvalidInput("names an enterprise twice", field="enterprises")
    for _, hires in new.hires:
        if not 0 <= hires <= MOST_PEOPLE:
            raise InvalidInput(f"must be between 0 and {MOST_PEOPLE:,}", field="hires")


def record_recruitment(conn: Connection, new: NewRecruitment, today: date,
                       actor: int | None) -> int:  # fmt: skip
    checked_recruitment(new, today)
    park = park_id(conn, new.park)
    firms = [(enterprise_id_of(conn, code), hires) for code, hires in new.hires]
    act_as(conn, actor)
    event_id = int(conn.execute(text(
        "INSERT INTO recruitment_event (park_id, kind, title, held_on, place, organiser)"
        " VALUES (:park, :kind, :title, :held_on, :place, :organiser) RETURNING id"
    ), asdict(new) | {"park": park}).scalar_one())  # fmt: skip
    conn.execute(text("INSERT INTO recruitment_hire VALUES (:e, :firm, :hires)"),
                 [{"e": event_id, "firm": f, "hires": n} for f, n in firms])  # fmt: skip
    summary = {"kind": new.kind, "held_on": new.held_on.isoformat(),
               "hires": sum(n for _, n in firms)}  # fmt: skip
    append(conn, Change("recruitment_event", event_id, None, "recorded", actor, summary))
    for firm, hires in firms:
        append(conn, Change("enterprise", firm, firm, "recruitment_hires", actor,
                            {"recruitment_event": event_id, "hires": hires}))  # fmt: skip
    return event_id
