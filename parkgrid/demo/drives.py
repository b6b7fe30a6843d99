"""The demo park's hiring drives and service activities. The hires (637 for 52 enterprises)
and loans (390 million CNY for 31 enterprises) that the demo's closed recruitment and
financing issues achieved are recorded where the park's report says they came from: job
fairs and online pushes, and financing salons with the county's banks. So each figure is
held once, and `stats` adds outcomes, hires and loans into one total."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.engine import Connection

from parkgrid.demo.ledger import PARK_TZ, DemoIssue


@dataclass
class DemoEvent:
    """A recruitment event or service activity: when, and what each enterprise gained."""

    kind: str
    title: str
    held_on: date
    gains: dict[int, float] = field(default_factory=dict)


def by_month(issues: Sequence[DemoIssue], amount: str) -> dict[date, list[DemoIssue]]:
    months: dict[date, list[DemoIssue]] = defaultdict(list)
    for issue in issues:
        resolved = issue.when("resolved")
        if getattr(issue, amount) and resolved is not None:
            months[resolved.astimezone(PARK_TZ).date().replace(day=1)].append(issue)
    return months


def events_from(
    issues: Sequence[DemoIssue], amount: str, kinds: tuple[str, ...], title: str
) -> list[DemoEvent]:
    """One event a month, on the last resolution day of the month's issues, holding their
    gains; the issues give theirs up (the event holds them now)."""
    found = []
    for n, (_, group) in enumerate(sorted(by_month(issues, amount).items())):
        day = max(i.when("resolved") for i in group if i.when("resolved"))  # type: ignore[type-var]
        event = DemoEvent(kinds[n % len(kinds)], title, day.astimezone(PARK_TZ).date())  # type: ignore[union-attr]
        for issue in group:
            event.gains[issue.enterprise] = event.gains.get(issue.enterprise, 0) + getattr(
                issue, amount
            )
            setattr(issue, amount, 0)
        found.append(event)
    return found


def hiring_events(issues: Sequence[DemoIssue]) -> list[DemoEvent]:
    return events_from(
        issues, "people_hired", ("job_fair", "online_push", "media_release"), "园区企业专场招聘"
    )


def financing_salons(issues: Sequence[DemoIssue]) -> list[DemoEvent]:
    return events_from(issues, "loan_cny", ("financing_salon",), "企业家沙龙融资帮扶专场")


def insert_recruitment(conn: Connection, park: int, events: list[DemoEvent]) -> None:
    for event in events:
        found = conn.execute(
            text(
                "INSERT INTO recruitment_event (park_id, kind, title, held_on, organiser)"
                " VALUES (:park, :kind, :title, :on, '县人力资源和社会保障局') RETURNING id"
            ),
            {"park": park, "kind": event.kind, "title": event.title, "on": event.held_on},
        )
        event_id = found.scalar_one()
        conn.execute(
            text("INSERT INTO recruitment_hire VALUES (:e, :firm, :n)"),
            [{"e": event_id, "firm": f, "n": int(n)} for f, n in event.gains.items()],
        )


ACTIVITY = text(
    "INSERT INTO service_activity (park_id, kind, duty, title, held_on, place, organiser,"
    " organiser_id) VALUES (:park, :kind, :duty, :title, :on, :place, :organiser, :cadre)"
    " RETURNING id"
)
DUTY = {
    "financing_salon": "support",
    "safety_inspection": "safety",
    "policy_briefing": "policy",
    "party_theme_day": "policy",
}


def insert_activity(
    conn: Connection, park: int, event: DemoEvent, cadres: list[int], organiser: str
) -> int:
    activity_id: int = conn.execute(
        ACTIVITY,
        {
            "park": park,
            "kind": event.kind,
            "duty": DUTY[event.kind],
            "title": event.title,
            "on": event.held_on,
            "place": "园区党群服务中心",
            "organiser": organiser,
            "cadre": cadres[0],
        },
    ).scalar_one()
    conn.execute(
        text("INSERT INTO activity_enterprise VALUES (:a, :e, :loan, :hazards)"),
        [
            {
                "a": activity_id,
                "e": e,
                "loan": gain if event.kind == "financing_salon" else 0,
                "hazards": int(gain) if event.kind == "safety_inspection" else 0,
            }
            for e, gain in event.gains.items()
        ],
    )
    conn.execute(
        text("INSERT INTO activity_cadre VALUES (:a, :c)"),
        [{"a": activity_id, "c": c} for c in cadres],
    )
    return activity_id


def sweeps(zones: dict[int, list[int]], anchor: datetime, rng: random.Random) -> list[DemoEvent]:
    """A safety inspection sweeping a third of each zone's firms every quarter, and a policy
    briefing and a theme party day for a sample of firms each month."""
    found = []
    for quarter in range(4):
        for zone, firms in zones.items():
            day = anchor.date().replace(day=1) - timedelta(days=quarter * 91 + zone % 7)
            found.append(
                DemoEvent(
                    "safety_inspection",
                    "片区安全生产拉网式排查",
                    day,
                    {f: rng.choice((0, 0, 1, 2)) for f in rng.sample(firms, len(firms) // 3)},
                )
            )
    for month in range(12):
        day = anchor.date() - timedelta(days=month * 30 + 3)
        for kind, title in (
            ("policy_briefing", "惠企政策宣讲会"),
            ("party_theme_day", "非公企业主题党日"),
        ):
            sample = rng.sample([f for firms in zones.values() for f in firms], 12)
            found.append(DemoEvent(kind, title, day, dict.fromkeys(sample, 0.0)))
    return found


def link_hazards(conn: Connection, activity_id: int, firms: list[int], day: date) -> None:
    """The safety hazards found on the sweep's day at the firms it reached become its issues."""
    conn.execute(
        text(
            "INSERT INTO activity_issue SELECT :a, i.id FROM issue i"
            " WHERE i.enterprise_id = ANY(:firms) AND i.category = 'safety_hazard'"
            " AND (i.reported_at AT TIME ZONE 'Asia/Shanghai')::date = :day"
            " AND NOT EXISTS (SELECT 1 FROM activity_issue x WHERE x.issue_id = i.id)"
        ),
        {"a": activity_id, "firms": firms, "day": day},
    )


def insert_plans(
    conn: Connection, firms: list[int], month: date, cadre_of: dict[int, int], rng: random.Random
) -> None:
    positions = (
        ("普工", 4200, 5500),
        ("焊工", 5500, 7500),
        ("质检员", 4800, 6200),
        ("叉车司机", 5000, 6500),
        ("机修电工", 6000, 8500),
    )
    rows = []
    for firm in firms:
        for position, low, high in rng.sample(positions, rng.randint(1, 3)):
            rows.append(
                {
                    "e": firm,
                    "m": month,
                    "p": position,
                    "n": rng.randint(2, 25),
                    "low": low,
                    "high": high,
                    "by": cadre_of.get(firm),
                }
            )
    conn.execute(
        text(
            "INSERT INTO hiring_plan (enterprise_id, month, position, headcount, requirements,"
            " wage_min, wage_max, entered_by) VALUES (:e, :m, :p, :n, '身体健康，能适应倒班',"
            " :low, :high, :by)"
        ),
        rows,
    )
