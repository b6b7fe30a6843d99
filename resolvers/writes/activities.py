"""Park-wide service activities: recorded with the enterprises and cadres taking part and
what each enterprise gained (loans agreed, hazards found); a hazard found becomes a ledger
issue linked to the activity. Events go on the activity and on each enterprise reached, so
NOTIFY announces them to the grids concerned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlalchemy.engine import Connection

from parkgrid.errors import InvalidInput
from resolvers.records import IssueRecord
from resolvers.writes import ledger
from resolvers.writes.events import Change, act_as, append
from resolvers.writes.infrastructure import park_id
from resolvers.writes.ledger import enterprise_id_of, require
from resolvers.writes.versions import bump, locked

SUBJECT = "service_activity"
MOST_LOAN_CNY = 1e13
"""As an outcome's loan: more is a typing slip."""


@dataclass(frozen=True)
class Participant:
    uscc: str
    loan_cny: float
    hazards_found: int


@dataclass(frozen=True)
class NewActivity:
    park: str
    kind: str
    duty: str
    title: str
    held_on: date
    place: str | None
    organiser: str | None
    organiser_id: int | None
    enterprises: tuple[Participant, ...]
    cadres: tuple[int, ...]


def checked(new: NewActivity, today: date) -> None:
    if new.held_on > today:
        raise InvalidInput("record an activity once it has taken place", field="heldOn")
    if not new.enterprises:
        raise InvalidInput("name the enterprises the activity reached", field="enterprises")
    codes = [p.uscc for p in new.enterprises]
    if len(set(codes)) != len(codes):
        raise InvalidInput("names an enterprise twice", field="enterprises")
    for p in new.enterprises:
        if not 0 <= p.loan_cny <= MOST_LOAN_CNY:  # NaN too
            raise InvalidInput(f"must be between 0 and {MOST_LOAN_CNY:,.0f}", field="loanCny")
        if p.hazards_found < 0:
            raise InvalidInput("must not be negative", field="hazardsFound")


def record_activity(conn: Connection, new: NewActivity, today: date, actor: int | None) -> int:
    checked(new, today)
    park = park_id(conn, new.park)
    require(conn, "cadre", new.organiser_id, "organiserCadre")
    for cadre in new.cadres:
        require(conn, "cadre", cadre, "cadres")
    firms = [(enterprise_id_of(conn, p.uscc), p) for p in new.enterprises]
    act_as(conn, actor)
    activity_id = int(conn.execute(
        text(
            "INSERT INTO service_activity (park_id, kind, duty, title, held_on, place, organiser,"
            " organiser_id) VALUES (:park, :kind, :duty, :title, :held_on, :place, :organiser,"
            " :organiser_id) RETURNING id"
        ),
        {"park": park, "kind": new.kind, "duty": new.duty, "title": new.title,
         "held_on": new.held_on, "place": new.place, "organiser": new.organiser,
         "organiser_id": new.organiser_id},
    ).scalar_one())  # fmt: skip
    conn.execute(
        text("INSERT INTO activity_enterprise VALUES (:a, :e, :loan, :hazards)"),
        [{"a": activity_id, "e": e, "loan": p.loan_cny, "hazards": p.hazards_found}
         for e, p in firms],
    )  # fmt: skip
    if new.cadres:
        conn.execute(text("INSERT INTO activity_cadre VALUES (:a, :c)"),
                     [{"a": activity_id, "c": c} for c in sorted(set(new.cadres))])  # fmt: skip
    summary = {"kind": new.kind, "duty": new.duty, "held_on": new.held_on.isoformat(),
               "enterprises": len(firms)}  # fmt: skip
    append(conn, Change(SUBJECT, activity_id, None, "recorded", actor, summary))
    for enterprise, p in firms:
        reached = {"activity": activity_id, "duty": new.duty, "loan_cny": p.loan_cny,
                   "hazards_found": p.hazards_found}  # fmt: skip
        append(conn, Change("enterprise", enterprise, enterprise, "activity_reached", actor,
                            reached))  # fmt: skip
    return activity_id


def report_hazard(conn: Connection, activity_id: int, version: int, issue: ledger.NewIssue,
                  actor: int | None) -> int:  # fmt: skip
    """A hazard the activity found at one of its enterprises, entered as a ledger issue
    linked to the activity."""
    locked(conn, SUBJECT, "id", activity_id, version)
    enterprise = enterprise_id_of(conn, issue.enterprise_uscc)
    taking_part = conn.execute(
        text("SELECT 1 FROM activity_enterprise WHERE activity_id = :a AND enterprise_id = :e"),
        {"a": activity_id, "e": enterprise},
    ).first()
    if taking_part is None:
        raise InvalidInput("the enterprise did not take part in the activity", field="enterprise")
    found: IssueRecord = ledger.report_issue(conn, issue, actor)
    conn.execute(text("INSERT INTO activity_issue VALUES (:a, :i)"),
                 {"a": activity_id, "i": found.id})  # fmt: skip
    bump(conn, SUBJECT, "id", activity_id, stamp=False)
    append(conn, Change(SUBJECT, activity_id, None, "hazard_reported", actor, {"issue": found.id}))
    return activity_id
