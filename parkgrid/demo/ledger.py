"""A year of the park's work: visits in the four duties and issues through their lifecycle,
sized like the park's own report (432 hazards rectified, 637 people hired for 52
enterprises, 390 million CNY of loans to 31 enterprises, 100+ other problems solved)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from parkgrid.settings import DEADLINE_DAYS, URGENT_HAZARD_DAYS, due_in_days
from parkgrid.vocabulary import OPEN_STATUSES

PARK_TZ = ZoneInfo("Asia/Shanghai")
UNITS = {
    "recruitment": "县人力资源和社会保障局", "permits": "县行政审批服务局",
    "construction": "县住房和城乡建设局", "financing": "合作银行",
    "infrastructure": "供电公司", "safety_hazard": "园区安全生产监督管理局",
    "talent": "县委人才工作领导小组办公室", "policy": "园区经济发展局",
    "party_building": "园区党群工作部", "other": "园区管委会办公室",
}  # fmt: skip
TITLES = {
    "recruitment": "一线操作工招聘缺口", "permits": "厂房扩建施工许可办理",
    "construction": "园区道路未贯通影响物流", "financing": "流动资金贷款需求",
    "infrastructure": "专用电力线路增容", "safety_hazard": "安全隐患整改",
    "talent": "技术人才引进与住房保障", "policy": "研发费用加计扣除政策咨询",
    "party_building": "筹建企业党支部", "other": "周边交通与环境问题",
}  # fmt: skip
HAZARDS = ("消防通道堵塞", "配电箱未接地", "危化品存放不规范", "灭火器过期", "安全出口标识缺失")
# category: (closed, open, rejected)
PLAN = {
    "safety_hazard": (432, 9, 2), "recruitment": (52, 4, 1), "financing": (31, 5, 2),
    "permits": (17, 3, 1), "construction": (10, 3, 1), "infrastructure": (9, 4, 0),
    "talent": (8, 2, 1), "policy": (12, 1, 0), "party_building": (6, 2, 0), "other": (10, 2, 2),
}  # fmt: skip
PEOPLE_HIRED, LOANS_CNY = 637, 390_000_000


@dataclass
class DemoIssue:
    enterprise: int
    category: str
    title: str
    description: str
    severity: str
    reporter: int
    assignee: int
    reported_at: datetime
    due_date: date
    steps: list[tuple[str, datetime, str | None]] = field(default_factory=list)
    rejection_reason: str | None = None
    people_hired: int = 0
    loan_cny: int = 0

    @property
    def status(self) -> str:
        return self.steps[-1][0] if self.steps else "reported"

    def when(self, status: str) -> datetime | None:
        return next((at for s, at, _ in reversed(self.steps) if s == status), None)


@dataclass(frozen=True)
class DemoVisit:
    enterprise: int
    cadre: int
    at: datetime
    duties: list[str]
    note: str


def office_hours(day: date, rng: random.Random) -> datetime:
    clock = time(rng.randint(9, 16), rng.choice((0, 15, 30, 45)))
    return datetime.combine(day, clock, PARK_TZ)


def later(at: datetime, rng: random.Random, low: int, high: int) -> datetime:
    return at + timedelta(days=rng.randint(low, high), hours=rng.randint(1, 6))


def partition(total: int, parts: int, rng: random.Random) -> list[int]:
    cuts = sorted(rng.sample(range(1, total), parts - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]


def closed_path(issue: DemoIssue, rng: random.Random, late: bool) -> None:
    at = later(issue.reported_at, rng, 0, 2)
    issue.steps += [("accepted", at, "已受理"), ("in_progress", later(at, rng, 0, 3), "开始办理")]
    budget = (issue.due_date - issue.reported_at.date()).days
    work = rng.randint(budget + 1, budget + 12) if late else rng.randint(1, max(1, budget - 6))
    resolved = issue.steps[-1][1] + timedelta(days=work)
    if rng.random() < 0.06:
        issue.steps += [
            ("resolved", resolved, "已办结"),
            ("in_progress", later(resolved, rng, 1, 2), "复核未通过，重新办理"),
        ]
        resolved = later(issue.steps[-1][1], rng, 1, 4)
    verified = later(resolved, rng, 0, 2)
    issue.steps += [("resolved", resolved, "已办结"), ("verified", verified, "企业确认满意")]
    issue.steps.append(("closed", later(verified, rng, 0, 1), "结案"))


def open_path(issue: DemoIssue, rng: random.Random, anchor: datetime) -> None:
    target = rng.choice(OPEN_STATUSES)
    at = issue.reported_at
    for status in OPEN_STATUSES[1 : OPEN_STATUSES.index(target) + 1]:
        at = min(later(at, rng, 0, 3), anchor - timedelta(hours=1))
        issue.steps.append((status, at, None))


def rejected_path(issue: DemoIssue, rng: random.Random) -> None:
    issue.rejection_reason = "不属于园区职责范围，已告知企业向属地部门反映"
    if rng.random() < 0.5:
        issue.steps.append(("accepted", later(issue.reported_at, rng, 0, 1), None))
    start = issue.steps[-1][1] if issue.steps else issue.reported_at
    issue.steps.append(("rejected", later(start, rng, 0, 2), issue.rejection_reason))


def new_issue(
    category: str,
    enterprise: int,
    reporter: int,
    assignee: int,
    reported_at: datetime,
    rng: random.Random,
) -> DemoIssue:
    severity = (
        rng.choice(("low", "medium", "medium", "high")) if category == "safety_hazard" else "medium"
    )
    days = due_in_days(category, severity, DEADLINE_DAYS, URGENT_HAZARD_DAYS)
    detail = rng.choice(HAZARDS) if category == "safety_hazard" else TITLES[category]
    return DemoIssue(
        enterprise=enterprise, category=category, title=detail,
        description=f"走访中企业反映：{detail}，请相关单位协调解决。", severity=severity,
        reporter=reporter, assignee=assignee, reported_at=reported_at,
        due_date=reported_at.date() + timedelta(days=days),
    )  # fmt: skip


@dataclass(frozen=True)
class Staffing:
    """Who serves each enterprise: its liaison (by time) and its grid lead."""

    liaison_periods: dict[int, list[tuple[datetime, int]]]
    grid_lead: dict[int, int]

    def liaison(self, enterprise: int, at: datetime) -> int:
        periods = self.liaison_periods[enterprise]
        return next((c for start, c in reversed(periods) if start <= at), periods[0][1])


def reported_time(category: str, closed: bool, anchor: datetime, rng: random.Random) -> datetime:
    if closed:
        newest = DEADLINE_DAYS[category] + 40
        day = anchor.date() - timedelta(days=rng.randint(newest, 360))
    elif rng.random() < 0.3:
        day = anchor.date() - timedelta(days=rng.randint(61, 200))  # hard cases
    else:
        day = anchor.date() - timedelta(days=rng.randint(1, 45))
    return office_hours(day, rng)


def fill_outcomes(issues: list[DemoIssue], rng: random.Random) -> None:
    hired = [i for i in issues if i.category == "recruitment" and i.status == "closed"]
    for issue, people in zip(hired, partition(PEOPLE_HIRED, len(hired), rng), strict=True):
        issue.people_hired = people
    financed = [i for i in issues if i.category == "financing" and i.status == "closed"]
    for issue, tens in zip(
        financed, partition(LOANS_CNY // 10_000, len(financed), rng), strict=True
    ):
        issue.loan_cny = tens * 10_000


def category_issues(
    category: str, enterprises: list[int], staffing: Staffing, anchor: datetime, rng: random.Random
) -> list[DemoIssue]:
    closed, still_open, rejected = PLAN[category]
    distinct = category in {"recruitment", "financing"}  # the report counts enterprises helped
    targets = rng.sample(enterprises, closed) if distinct else None
    made = []
    for n, fate in enumerate(["closed"] * closed + ["open"] * still_open + ["rejected"] * rejected):
        enterprise = targets[n] if targets and n < closed else rng.choice(enterprises)
        at = reported_time(category, fate == "closed", anchor, rng)
        issue = new_issue(category, enterprise, staffing.liaison(enterprise, at),
                          staffing.grid_lead[enterprise], at, rng)  # fmt: skip
        if fate == "closed":
            closed_path(issue, rng, late=rng.random() < 0.12)
        elif fate == "open":
            open_path(issue, rng, anchor)
        else:
            rejected_path(issue, rng)
        made.append(issue)
    return made


def issues(
    enterprises: list[int], staffing: Staffing, anchor: datetime, rng: random.Random
) -> list[DemoIssue]:
    made = [
        issue
        for category in PLAN
        for issue in category_issues(category, enterprises, staffing, anchor, rng)
    ]
    fill_outcomes(made, rng)
    return sorted(made, key=lambda issue: issue.reported_at)


def visit_duties(rng: random.Random) -> list[str]:
    duties = ["liaison"] + [d for d in ("policy", "safety", "support") if rng.random() < 0.45]
    return duties


VISIT_NOTES = ("了解生产经营情况", "宣讲最新惠企政策", "检查消防与用电安全", "跟进诉求办理进度")


def month_back(anchor: date, months: int) -> date:
    """The first day of the calendar month `months` before the anchor's."""
    index = anchor.year * 12 + anchor.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def day_in_month(first: date, anchor: date, draw: int) -> date | None:
    """Day number `draw` (wrapped) of the month starting at `first`, before the anchor day;
    None when the month has no such day (the anchor is its 1st)."""
    last = min(month_back(first, -1), anchor) - timedelta(days=1)
    if last < first:
        return None
    return first + timedelta(days=draw % ((last - first).days + 1))


def visits(
    enterprises: list[int], staffing: Staffing, anchor: datetime, rng: random.Random
) -> list[DemoVisit]:
    """About one visit a calendar month per enterprise over the last twelve months, roughly
    one month in eight missed. Every month draws the same random numbers whether visited or
    not, so which months are visited does not depend on the day the demo is loaded."""
    made = []
    for enterprise in enterprises:
        for month in range(12):
            skipped, draw = rng.random() < 0.12, rng.randint(0, 30)
            clock, duties, note = (
                office_hours(anchor.date(), rng),
                visit_duties(rng),
                rng.choice(VISIT_NOTES),
            )
            day = day_in_month(month_back(anchor.date(), month), anchor.date(), draw)
            if skipped or day is None:
                continue
            at = datetime.combine(day, clock.timetz())
            made.append(DemoVisit(enterprise, staffing.liaison(enterprise, at), at, duties, note))
    return sorted(made, key=lambda visit: visit.at)
