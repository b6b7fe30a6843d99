"""issues(filter:) checked against Python over the issue rows read with plain SQL; areas by
Shapely on the stored grid boundaries; newest first and complete across pages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from shapely import wkt
from shapely.geometry import Point, box
from sqlalchemy import create_engine, text

from tests.conftest import GraphQL, app_client, graphql_client

PARK = "430624101"
ZONE_3 = "430624101003"
GRID_2 = "430624101001002"
PARK_TZ = ZoneInfo("Asia/Shanghai")
CLOSED = ("closed", "rejected")
MAX_PAGES = 100

ISSUES = """query ($f: IssueFilterInput, $first: Int, $after: String) {
  issues(filter: $f, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id status category overdue } } }"""


@dataclass(frozen=True)
class Row:
    id: int
    status: str
    category: str
    due: date | None
    reported_at: datetime
    lon: float
    lat: float
    grid: str | None
    zone: str | None
    park: str | None

    @property
    def open(self) -> bool:
        return self.status not in CLOSED

    def overdue(self, today: date) -> bool:
        return self.open and self.due is not None and self.due < today


ISSUE_ROWS = """
    SELECT i.id, i.status, i.category, i.due_date, i.reported_at,
           ST_X(e.location), ST_Y(e.location)
    FROM issue i JOIN enterprise e ON e.id = i.enterprise_id
"""
GRID_ROWS = """
    SELECT g.code, z.code, p.code, ST_AsText(g.boundary)
    FROM grid g JOIN zone z ON z.id = g.zone_id JOIN park p ON p.id = z.park_id
"""


def read_issues(url: str) -> list[Row]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            grids = [(g, z, p, wkt.loads(s)) for g, z, p, s in conn.execute(text(GRID_ROWS))]
            rows = conn.execute(text(ISSUE_ROWS)).all()
    finally:
        engine.dispose()
    found = []
    for issue_id, status, category, due, reported_at, lon, lat in rows:
        covering = sorted(g[:3] for g in grids if g[3].covers(Point(lon, lat)))
        grid, zone, park = covering[0] if covering else (None, None, None)
        found.append(Row(issue_id, status, category, due, reported_at, lon, lat, grid, zone, park))
    return found


@pytest.fixture(scope="module")
def issues(demo_url: str) -> list[Row]:
    found = read_issues(demo_url)
    assert len(found) > 500  # more than one page of the largest size
    return found


def today() -> date:
    return datetime.now(PARK_TZ).date()


def walk(gql: GraphQL, where: dict[str, Any] | None, first: int = 500) -> list[dict[str, Any]]:
    """Every node over all pages; each page's totalCount must equal the number of nodes."""
    nodes: list[dict[str, Any]] = []
    totals: set[int] = set()
    after: str | None = None
    for _ in range(MAX_PAGES):
        found = gql(ISSUES, {"f": where, "first": first, "after": after})["data"]["issues"]
        totals.add(found["totalCount"])
        assert len(found["nodes"]) <= first
        nodes += found["nodes"]
        if not found["pageInfo"]["hasNextPage"]:
            assert totals == {len(nodes)}
            return nodes
        assert len(found["nodes"]) == first
        after = found["pageInfo"]["endCursor"]
    raise AssertionError("paging never ended")


@contextmanager
def client_for(url: str) -> Iterator[GraphQL]:
    with app_client(url) as client:
        yield graphql_client(client)


def newest_first(rows: list[Row]) -> list[str]:
    return [str(r.id) for r in sorted(rows, key=lambda r: r.id, reverse=True)]


def assert_matches(gql: GraphQL, where: dict[str, Any] | None, expected: list[Row]) -> None:
    assert [n["id"] for n in walk(gql, where)] == newest_first(expected)


# --- order and paging ----------------------------------------------------------------------------


def test_every_issue_newest_first_each_once_across_small_pages(gql, issues) -> None:
    nodes = walk(gql, None, first=77)
    ids = [n["id"] for n in nodes]
    assert len(ids) == len(set(ids))
    assert ids == newest_first(issues)


def test_filtered_paging_is_complete(gql, issues) -> None:
    expected = [r for r in issues if r.status == "closed"]
    assert len(expected) > 3 * 50
    nodes = walk(gql, {"status": ["CLOSED"]}, first=50)
    assert [n["id"] for n in nodes] == newest_first(expected)


# --- status, category, overdue ---------------------------------------------------------------


@pytest.mark.parametrize(
    "statuses",
    [["REPORTED"], ["IN_PROGRESS", "VERIFIED"], ["REJECTED", "ACCEPTED", "RESOLVED"], []],
    ids=str,
)
def test_status(gql, issues, statuses) -> None:
    wanted = {s.lower() for s in statuses}
    expected = [r for r in issues if r.status in wanted]
    nodes = walk(gql, {"status": statuses})
    assert [n["id"] for n in nodes] == newest_first(expected)
    assert {n["status"] for n in nodes} == {
        s for s in statuses if s.lower() in {r.status for r in expected}
    }


@pytest.mark.parametrize(
    "categories",
    [["SAFETY_HAZARD"], ["FINANCING", "PERMITS", "OTHER"], ["PARTY_BUILDING"]],
    ids=str,
)
def test_category(gql, issues, categories) -> None:
    wanted = {c.lower() for c in categories}
    expected = [r for r in issues if r.category in wanted]
    assert expected
    nodes = walk(gql, {"category": categories})
    assert [n["id"] for n in nodes] == newest_first(expected)
    assert {n["category"] for n in nodes} <= set(categories)


def test_overdue_true_is_open_and_past_due_in_park_time(gql, issues) -> None:
    expected = [r for r in issues if r.overdue(today())]
    assert expected
    nodes = walk(gql, {"overdue": True})
    assert [n["id"] for n in nodes] == newest_first(expected)
    assert all(n["overdue"] for n in nodes)


def test_overdue_false_includes_closed_and_open_not_yet_due(gql, issues) -> None:
    expected = [r for r in issues if not r.overdue(today())]
    assert any(not r.open for r in expected)
    assert any(r.open and r.due is not None and r.due >= today() for r in expected)
    nodes = walk(gql, {"overdue": False})
    assert [n["id"] for n in nodes] == newest_first(expected)
    assert not any(n["overdue"] for n in nodes)
    assert {n["status"] for n in nodes} >= {"CLOSED", "REJECTED"}


# --- areas and bbox --------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "code"), [("park", PARK), ("zone", ZONE_3), ("grid", GRID_2)])
def test_area_codes_follow_the_shapely_membership(gql, issues, field, code) -> None:
    expected = [r for r in issues if getattr(r, field) == code]
    assert expected
    assert_matches(gql, {field: code}, expected)


def inside(row: Row, bbox: list[float]) -> bool:
    west, south, east, north = bbox
    return west <= row.lon <= east and south <= row.lat <= north


def test_bbox_on_the_enterprise_location(gql, issues) -> None:
    bbox = [112.8714, 28.6816, 112.9217, 28.7133]
    outline = box(*bbox).exterior
    assert all(outline.distance(Point(r.lon, r.lat)) > 1e-4 for r in issues)
    expected = [r for r in issues if inside(r, bbox)]
    assert 0 < len(expected) < len(issues)
    assert_matches(gql, {"bbox": bbox}, expected)


def test_bbox_edge_through_an_enterprise_includes_its_issues(gql, issues) -> None:
    row = sorted(issues, key=lambda r: r.id)[len(issues) // 2]
    bbox = [row.lon, row.lat - 0.005, row.lon + 0.005, row.lat]  # west and north edges on it
    expected = [r for r in issues if inside(r, bbox)]
    assert row in expected
    assert_matches(gql, {"bbox": bbox}, expected)


def test_bbox_edge_just_beside_an_enterprise_excludes_its_issues(gql, issues) -> None:
    row = sorted(issues, key=lambda r: r.id)[len(issues) // 2]
    bbox = [row.lon + 1e-6, row.lat - 0.005, row.lon + 0.005, row.lat + 0.005]
    expected = [r for r in issues if inside(r, bbox)]
    assert row not in expected
    assert_matches(gql, {"bbox": bbox}, expected)


def test_bad_bbox_is_refused(gql) -> None:
    body = gql(ISSUES, {"f": {"bbox": [112.9, 28.7, 112.8, 28.8]}}, ok=False)
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "filter.bbox"}


# --- time windows ------------------------------------------------------------------------------


def median_report(issues: list[Row]) -> datetime:
    return sorted(r.reported_at for r in issues)[len(issues) // 2]


def test_reported_after_is_inclusive_and_before_is_exclusive(gql, issues) -> None:
    moment = median_report(issues)
    after = [r for r in issues if r.reported_at >= moment]
    before = [r for r in issues if r.reported_at < moment]
    assert any(r.reported_at == moment for r in after)
    assert_matches(gql, {"reportedAfter": moment.isoformat()}, after)
    assert_matches(gql, {"reportedBefore": moment.isoformat()}, before)


def test_reported_window_in_park_local_time(gql, issues) -> None:
    start = median_report(issues) - timedelta(days=20)
    end = start + timedelta(days=45, hours=5)
    expected = [r for r in issues if start <= r.reported_at < end]
    assert 0 < len(expected) < len(issues)
    where = {
        "reportedAfter": start.astimezone(PARK_TZ).isoformat(),
        "reportedBefore": end.astimezone(PARK_TZ).isoformat(),
    }
    assert_matches(gql, where, expected)


def test_due_before_is_exclusive(gql, issues) -> None:
    due = sorted(r.due for r in issues if r.due is not None)[len(issues) // 3]
    expected = [r for r in issues if r.due is not None and r.due < due]
    assert 0 < len(expected) < len(issues)
    assert not any(r.due == due for r in expected)
    assert_matches(gql, {"dueBefore": due.isoformat()}, expected)


# --- combined -----------------------------------------------------------------------------------


def test_conditions_combine_with_and(gql, issues) -> None:
    moment = median_report(issues) - timedelta(days=60)
    where = {
        "status": ["CLOSED", "IN_PROGRESS", "REPORTED"],
        "category": ["SAFETY_HAZARD", "RECRUITMENT"],
        "zone": ZONE_3,
        "reportedAfter": moment.isoformat(),
        "overdue": False,
    }
    expected = [
        r
        for r in issues
        if r.status in {"closed", "in_progress", "reported"}
        and r.category in {"safety_hazard", "recruitment"}
        and r.zone == ZONE_3
        and r.reported_at >= moment
        and not r.overdue(today())
    ]
    assert expected
    assert_matches(gql, where, expected)
    wider = [r for r in issues if r.zone == ZONE_3 and r.reported_at >= moment]
    assert len(wider) > len(expected)


# --- the due-date boundary (on a database of the test's own) --------------------------------


def test_an_issue_due_today_is_not_yet_overdue(fresh_demo_url, engine_for) -> None:
    """Overdue means due before today in the park's time zone: due today is still on time."""
    day = today()
    with engine_for(fresh_demo_url).begin() as conn:
        due_today, due_yesterday, closed_late = conn.execute(
            text(
                "(SELECT id FROM issue WHERE status NOT IN ('closed', 'rejected') ORDER BY id LIMIT 2)"
                " UNION ALL (SELECT id FROM issue WHERE status = 'closed' ORDER BY id LIMIT 1)"
            )
        ).scalars()
        conn.execute(
            text("UPDATE issue SET due_date = :d WHERE id = :i"),
            [
                {"d": day, "i": due_today},
                {"d": day - timedelta(days=1), "i": due_yesterday},
                {"d": day - timedelta(days=30), "i": closed_late},
            ],
        )
    rows = {r.id: r for r in read_issues(fresh_demo_url)}
    assert not rows[due_today].overdue(day) and rows[due_yesterday].overdue(day)
    with client_for(fresh_demo_url) as run:
        overdue = {n["id"]: n for n in walk(run, {"overdue": True})}
        on_time = {n["id"]: n for n in walk(run, {"overdue": False})}
        assert list(overdue) == newest_first([r for r in rows.values() if r.overdue(day)])
        assert list(on_time) == newest_first([r for r in rows.values() if not r.overdue(day)])
        assert str(due_today) in on_time and not on_time[str(due_today)]["overdue"]
        assert str(due_yesterday) in overdue and overdue[str(due_yesterday)]["overdue"]
        assert str(closed_late) in on_time
        due = run(ISSUES, {"f": {"dueBefore": day.isoformat()}, "first": 500})["data"]["issues"]
        assert str(due_today) not in [n["id"] for n in due["nodes"]]
