"""`stats`: a hand-made park whose answers are known by construction, the demo park against
Python over plain table reads (tests/schema/stats_oracle.py), grids adding up to their park,
and the refused arguments."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from tests.conftest import GraphQL, app_client, graphql_client
from tests.schema import stats_small_park as small_park
from tests.schema.stats_oracle import (
    CATEGORIES,
    Tables,
    Window,
    expected_stats,
    read_tables,
    rounded,
)
from tests.schema.stats_small_park import FIRST, LAST, today

PARK = "430624101"
COUNTS = "reported closed closedOnTime rejected open overdue due dueClosed dueClosedOnTime"
FIGURES = f"category {COUNTS} closureRate onTimeClosureRate meanDaysToClose p90DaysToClose"
STATS = """query ($park: String, $zone: String, $grid: String, $from: Date, $to: Date,
  $days: Int) {
  stats(park: $park, zone: $zone, grid: $grid, from: $from, to: $to, hardCaseDays: $days) {
    from to hardCaseDays area { code }
    visits { visits byDuty { duty visits } enterprises enterprisesVisited
      enterprisesNotVisited months enterprisesVisitedMonthly monthlyVisitedShare }
    issues { total { %s } byCategory { %s } }
    safetyHazards { found rectified rectifiedOnTime }
    hardCases { ageDays issue { id } }
    outcomes { recruitedEnterprises peopleHired financedEnterprises loanCny hazardsRectified }
  } }""" % (FIGURES, FIGURES)


def stats(run: GraphQL, **variables: Any) -> dict[str, Any]:
    found: dict[str, Any] = run(STATS, variables)["data"]["stats"]
    return found


@contextmanager
def client_for(url: str) -> Iterator[GraphQL]:
    with app_client(url) as client:
        yield graphql_client(client)


# --- a hand-made park (tests/schema/stats_small_park.py) -------------------------------------


# shorter periods of the small park for the monthly figures: name -> first and last day
MONTHLY_PERIODS = {
    "one-full-month": (date(2024, 2, 1), date(2024, 2, 29)),
    "edges-around-february": (date(2024, 1, 20), date(2024, 3, 5)),
    "ten-days": (date(2024, 1, 1), date(2024, 1, 10)),
    "straddling": (date(2024, 1, 5), date(2024, 2, 5)),
}


@dataclass(frozen=True)
class Small:
    issues: dict[str, int]  # issue ids by name
    park: dict[str, Any]  # park P over the period
    everything: dict[str, Any]  # no area, over the period
    grids: dict[str, dict[str, Any]]  # G-B and G-A over the period
    recent: dict[str, Any]  # park P over the default period, hard cases older than 70 days
    # per MONTHLY_PERIODS name, the visits of park P and of everything
    monthly: dict[str, tuple[dict[str, Any], dict[str, Any]]]
    tables: Tables  # its rows, for the oracle


def dates(first: date, last: date) -> dict[str, str]:
    return {"from": first.isoformat(), "to": last.isoformat()}


@pytest.fixture
def small(empty_url: str, engine_for) -> Small:
    issues = small_park.build(engine_for(empty_url))
    period = dates(FIRST, LAST)
    with client_for(empty_url) as run:
        return Small(
            issues=issues,
            park=stats(run, park="P", **period),
            everything=stats(run, **period),
            grids={code: stats(run, grid=code, **period) for code in ("G-B", "G-A")},
            recent=stats(run, park="P", days=70),
            monthly={
                name: (
                    stats(run, park="P", **dates(*days))["visits"],
                    stats(run, **dates(*days))["visits"],
                )
                for name, days in MONTHLY_PERIODS.items()
            },
            tables=read_tables(empty_url),
        )


def figures(category: str | None, **counts: Any) -> dict[str, Any]:
    """An IssueFigures answer: zeros and nulls but for `counts`."""
    zero = dict.fromkeys(COUNTS.split(), 0)
    nulls = dict.fromkeys(("closureRate", "onTimeClosureRate", "meanDaysToClose", "p90DaysToClose"))
    return {**zero, **nulls, "category": category, **counts}


def test_small_park_period_and_area(small) -> None:
    assert (small.park["from"], small.park["to"]) == ("2024-01-01", "2024-03-31")
    assert small.park["area"] == {"code": "P"} and small.everything["area"] is None
    assert small.park["hardCaseDays"] == 60 and small.recent["hardCaseDays"] == 70
    # no dates: the 365 days ending today, which hold none of the 2024 visits
    assert small.recent["to"] == today().isoformat()
    assert small.recent["from"] == (today() - timedelta(days=364)).isoformat()
    assert small.recent["visits"]["visits"] == 0
    # full months only: today's month is partial and so, unless the period starts on a 1st,
    # is the one a year back, leaving the 11 between them (12 from a 1st to a month's end)
    full = default_window().full_months()
    assert small.recent["visits"]["months"] == len(full) and len(full) in (11, 12)
    assert small.recent["visits"]["enterprisesVisitedMonthly"] == 0


def test_small_park_visits(small) -> None:
    # in the period: E1 x4, E2 x2, E3 x1 (E2's April 1, E3's December 31 left out)
    assert small.park["visits"] == {
        "visits": 7,
        "byDuty": [
            {"duty": "POLICY", "visits": 2},  # E1 Jan 1, Jan 5
            {"duty": "LIAISON", "visits": 3},  # E1 Jan 5, Mar 5; E2 Jan 20
            {"duty": "SAFETY", "visits": 3},  # E1 Feb 5, E2 Mar 20, E3 Feb 29
            {"duty": "SUPPORT", "visits": 2},  # E1 Mar 5, E2 Mar 20
        ],
        "enterprises": 4,  # E1, E2, E3, E5
        "enterprisesVisited": 3,
        "enterprisesNotVisited": 1,  # E5
        "months": 3,  # January, February, March 2024: all three entirely inside
        "enterprisesVisitedMonthly": 1,  # E1 (E2 has no February visit, E3 one in February)
        "monthlyVisitedShare": 0.25,  # 1 of 4
    }
    # everything adds E4: one more enterprise, visited once for support, not monthly
    everything = small.everything["visits"]
    assert (everything["visits"], everything["enterprises"]) == (8, 5)
    assert everything["byDuty"][3] == {"duty": "SUPPORT", "visits": 3}
    assert everything["monthlyVisitedShare"] == 0.2  # still only E1, of 5
    # G-B (E1, E2) was visited 6 times, E1 every month; G-A (E3, E5) once
    west, east = (small.grids[code]["visits"] for code in ("G-B", "G-A"))
    assert (west["visits"], west["enterprisesVisitedMonthly"]) == (6, 1)
    assert (east["visits"], east["enterprisesVisitedMonthly"]) == (1, 0)


def monthly_figures(visits: dict[str, Any]) -> tuple[Any, ...]:
    keys = "visits enterprisesVisited months enterprisesVisitedMonthly monthlyVisitedShare"
    return tuple(visits[key] for key in keys.split())


def check_monthly(
    small: Small, name: str, park: tuple[Any, ...], everything: tuple[Any, ...]
) -> None:
    """The figures of monthly_figures for park P and for everything, as literals and as the
    oracle has them."""
    window = Window(*MONTHLY_PERIODS[name], today())
    answers, literals = small.monthly[name], (park, everything)
    for code, answer, literal in zip(("P", None), answers, literals, strict=True):
        assert monthly_figures(answer) == literal, code
        assert answer == expected_stats(small.tables, code, window)["visits"], code


def test_small_park_one_full_month(small) -> None:
    # February 2024 exactly, one full month: P has E1 (Feb 5) and E3 (Feb 29, the last day),
    # each visited in it, of 4 enterprises; everything adds E4 (Feb 1), of 5
    check_monthly(small, "one-full-month", park=(2, 2, 1, 2, 0.5), everything=(3, 3, 1, 3, 0.6))


def test_small_park_partial_edge_months_do_not_count(small) -> None:
    # January 20 .. March 5: January and March are partial, only February is full. In P:
    # E2 Jan 20, E1 Feb 5, E3 Feb 29, E1 Mar 5, so 4 visits to 3 enterprises; monthly are E1
    # and E3 (a February visit), not E2 (seen only in the partial January). Everything adds
    # E4 (Feb 1). Counting the partial months too, nobody would have been monthly.
    check_monthly(
        small, "edges-around-february", park=(4, 3, 1, 2, 0.5), everything=(5, 4, 1, 3, 0.6)
    )


def test_small_park_ten_days_are_the_one_month(small) -> None:
    # January 1 .. 10 holds no full month, so the period is the one month: E1 (Jan 1 00:30,
    # Jan 5) counts, once; E3's Dec 31 23:30 lies before. 1 of 4 in P, 1 of 5 in everything
    check_monthly(small, "ten-days", park=(2, 1, 1, 1, 0.25), everything=(2, 1, 1, 1, 0.2))


def test_small_park_no_full_month_across_two_months(small) -> None:
    # January 5 .. February 5 holds no full month either: one visit anywhere in it suffices.
    # P: E1 (Jan 5, Feb 5: both partial months, counted once) and E2 (Jan 20); everything
    # adds E4 (Feb 1)
    check_monthly(small, "straddling", park=(3, 2, 1, 2, 0.5), everything=(4, 3, 1, 3, 0.6))


# closed in the period: I1 (10 d), I2 (9.625 d), I7 (29 1/12 d), I9 (40.5625 d)
DAYS = sorted([10, 9.625, 29 + 2 / 24, 40.5625])


def test_small_park_issue_totals(small) -> None:
    assert rounded(small.park["issues"]["total"]) == rounded(
        figures(
            None,
            reported=7,  # I1 I2 I3 I4 I8 I9 I10
            closed=4,  # I1 I2 I7 I9
            closedOnTime=2,  # I1 I7
            rejected=1,  # I3
            open=4,  # I4 I5 I6 I12
            overdue=3,  # I4 I5 I12
            due=6,  # I1 I2 I4 I7 I9 I10 (I3 rejected, I8 due in April)
            dueClosed=4,  # I1 I2 I7 I9 (I10 closed after the period)
            dueClosedOnTime=2,  # I1 I7
            closureRate=4 / 6,
            onTimeClosureRate=2 / 6,
            meanDaysToClose=sum(DAYS) / 4,
            p90DaysToClose=DAYS[2] + 0.7 * (DAYS[3] - DAYS[2]),  # position 0.9 x 3 = 2.7
        )
    )
    # I11 (E4's hazard, closed on time) counts only for everything
    total = small.everything["issues"]["total"]
    assert [total[k] for k in ("reported", "closed", "due", "dueClosedOnTime")] == [8, 5, 7, 3]
    # G-B: I1 I2 I3 I4 I8 I9; G-A: I5 I6 I7 I10 I12
    west, east = (small.grids[code]["issues"]["total"] for code in ("G-B", "G-A"))
    assert (west["reported"], west["open"], east["reported"], east["open"]) == (6, 1, 1, 3)


EXPECTED_CATEGORIES = {
    "SAFETY_HAZARD": figures(  # I1 I2 I5
        "SAFETY_HAZARD", reported=2, closed=2, closedOnTime=1, open=1, overdue=1, due=2,
        dueClosed=2, dueClosedOnTime=1, closureRate=1.0, onTimeClosureRate=0.5,
        meanDaysToClose=(10 + 9.625) / 2, p90DaysToClose=9.625 + 0.9 * 0.375,
    ),
    "RECRUITMENT": figures(  # I3 I7 I9
        "RECRUITMENT", reported=2, closed=2, closedOnTime=1, rejected=1, due=2, dueClosed=2,
        dueClosedOnTime=1, closureRate=1.0, onTimeClosureRate=0.5,
        meanDaysToClose=(DAYS[2] + DAYS[3]) / 2,
        p90DaysToClose=DAYS[2] + 0.9 * (DAYS[3] - DAYS[2]),
    ),
    "FINANCING": figures(  # I4 I8
        "FINANCING", reported=2, open=1, overdue=1, due=1, closureRate=0.0,
        onTimeClosureRate=0.0,
    ),
    "PERMITS": figures("PERMITS", open=1),  # I6
    "TALENT": figures("TALENT", open=1, overdue=1),  # I12
    "OTHER": figures("OTHER", reported=1, due=1, closureRate=0.0, onTimeClosureRate=0.0),  # I10
}  # fmt: skip


def test_small_park_issues_by_category(small) -> None:
    by_category = {c["category"]: c for c in small.park["issues"]["byCategory"]}
    assert list(by_category) == [c.upper() for c in CATEGORIES]
    for category, answer in by_category.items():
        expected = EXPECTED_CATEGORIES.get(category, figures(category))
        assert rounded(answer) == rounded(expected), category


def test_small_park_hazards_and_hard_cases(small) -> None:
    assert small.park["safetyHazards"] == {"found": 2, "rectified": 2, "rectifiedOnTime": 1}
    # everything adds I11, closed on time
    assert small.everything["safetyHazards"] == {"found": 3, "rectified": 3, "rectifiedOnTime": 2}
    # open and older than 60 days: I4 (reported 2024-03-01), then I5 (70 days); I12 is 60
    i4 = {"ageDays": (today() - date(2024, 3, 1)).days, "issue": {"id": str(small.issues["I4"])}}
    i5 = {"ageDays": 70, "issue": {"id": str(small.issues["I5"])}}
    assert small.park["hardCases"] == [i4, i5]
    assert small.recent["hardCases"] == [i4]  # older than 70 days: not I5
    assert small.grids["G-A"]["hardCases"] == [i5]


def test_small_park_outcomes(small) -> None:
    # in the period: hired 5 (I7, E3) + 7 + 3 (I9, E2); loan 1,500,000.50 (I8, E1); 2 hazards;
    # I4's loan was recorded 30 minutes after the period
    assert small.park["outcomes"] == {
        "recruitedEnterprises": 2,
        "peopleHired": 15,
        "financedEnterprises": 1,
        "loanCny": 1_500_000.5,
        "hazardsRectified": 2,
    }
    # everything adds I11's outcome at E4: a loan of 100 and a hazard
    assert small.everything["outcomes"] == {
        "recruitedEnterprises": 2,
        "peopleHired": 15,
        "financedEnterprises": 2,
        "loanCny": 1_500_100.5,
        "hazardsRectified": 3,
    }
    assert small.grids["G-B"]["outcomes"]["peopleHired"] == 10  # I9
    assert small.grids["G-A"]["outcomes"]["peopleHired"] == 5  # I7


# --- the demo park against plain table reads ------------------------------------------------


@pytest.fixture(scope="module")
def tables(demo_url: str) -> Tables:
    return read_tables(demo_url)


def default_window() -> Window:
    return Window(today() - timedelta(days=364), today(), today())


def test_demo_park_matches_the_tables_and_the_report(gql, tables) -> None:
    found = stats(gql, park=PARK)
    assert rounded(found) == rounded(expected_stats(tables, PARK, default_window()))
    hazards, outcomes = found["safetyHazards"], found["outcomes"]
    assert hazards["rectified"] == outcomes["hazardsRectified"] == 432
    assert 100 <= hazards["found"] < 1000 and hazards["rectifiedOnTime"] < 432
    assert (outcomes["peopleHired"], outcomes["recruitedEnterprises"]) == (637, 52)
    loans = [o for o in tables.outcomes if o[3] > 0]
    assert (outcomes["loanCny"], len(loans)) == (390_000_000.0, 31)
    # 31 loans to 31 distinct enterprises, as the park's report has it ("30+")
    assert outcomes["financedEnterprises"] == len({o[0] for o in loans}) == 31
    assert found["issues"]["total"]["closed"] - hazards["rectified"] >= 100
    assert found["visits"]["enterprises"] == 216 and found["visits"]["visits"] > 1000
    assert found["hardCases"] and found["issues"]["total"]["overdue"]


@pytest.mark.parametrize(
    ("first", "last"),
    [(-100, -10), (-45, 0), (-20, 40)],
    ids=["months-ago", "recent", "into-the-future"],
)
@pytest.mark.parametrize(
    ("kind", "code"), [(None, None), ("zone", "430624101002"), ("grid", "430624101002002")]
)
def test_demo_periods_and_areas_match_the_tables(gql, tables, kind, code, first, last) -> None:
    window = Window(today() + timedelta(first), today() + timedelta(last), today())
    area = {kind: code} if kind else {}
    found = stats(
        gql, **area, days=30, **{"from": window.first.isoformat(), "to": window.last.isoformat()}
    )
    expected = expected_stats(tables, code, window, days=30)
    assert rounded(found) == rounded(expected)
    assert expected["visits"]["visits"] and expected["issues"]["total"]["reported"]


def test_monthly_visits_are_not_vacuous_on_the_demo(gql, tables) -> None:
    """A window of three whole months: some enterprises are visited in each, some are not."""
    window = Window(*last_whole_months(3), today())
    found = stats(
        gql, park=PARK, **{"from": window.first.isoformat(), "to": window.last.isoformat()}
    )
    expected = expected_stats(tables, PARK, window)
    assert found["visits"] == expected["visits"]
    assert found["visits"]["months"] == 3
    assert 0 < found["visits"]["enterprisesVisitedMonthly"] < found["visits"]["enterprises"]


def test_monthly_share_of_the_demo_default_year_is_informative(gql, tables) -> None:
    """The default 365 days span 13 calendar months, two of them partial; only the full ones
    count, so the share is neither 0 nor 1. The demo visits each enterprise about once a
    calendar month and skips about one month in eight, with the same pattern whatever day it
    is loaded, so about a fifth of the enterprises are visited in every full month."""
    found = stats(gql, park=PARK)["visits"]
    expected = expected_stats(tables, PARK, default_window())["visits"]
    assert rounded(found) == rounded(expected)
    assert found["months"] == len(default_window().full_months())
    assert found["months"] in (11, 12)
    assert 0 < found["enterprisesVisitedMonthly"] < found["enterprises"]
    assert 0.1 < found["monthlyVisitedShare"] < 0.35


def last_whole_months(count: int) -> tuple[date, date]:
    end = today().replace(day=1) - timedelta(days=1)
    start = end.replace(day=1)
    for _ in range(count - 1):
        start = (start - timedelta(days=1)).replace(day=1)
    return start, end


# --- grids add up to the park ----------------------------------------------------------------


ADDITIVE = """visits { visits byDuty { visits } enterprises enterprisesVisited
  enterprisesNotVisited enterprisesVisitedMonthly }
  issues { total { %s } byCategory { %s } }
  safetyHazards { found rectified rectifiedOnTime }
  hardCases { issue { id } }
  outcomes { recruitedEnterprises peopleHired financedEnterprises loanCny hazardsRectified }"""


def added(parts: list[Any]) -> Any:
    """Numbers add, dicts and lists add item by item."""
    first = parts[0]
    if isinstance(first, dict):
        return {key: added([p[key] for p in parts]) for key in first}
    if isinstance(first, list):
        return [added(list(items)) for items in zip(*parts, strict=True)]
    return sum(parts)


def test_grid_stats_add_up_to_the_park(gql, tables) -> None:
    grids = sorted(code for code in tables.members if code and len(code) == 15)
    fields = ADDITIVE % (COUNTS, COUNTS)
    aliases = " ".join(
        f'g{n}: stats(grid: "{code}") {{ {fields} }}' for n, code in enumerate(grids)
    )
    data = gql(f'{{ park: stats(park: "{PARK}") {{ {fields} }} {aliases} }}')["data"]
    park = data.pop("park")
    assert len(data) == 13
    hard_cases = {case["issue"]["id"] for part in data.values() for case in part.pop("hardCases")}
    assert hard_cases == {case["issue"]["id"] for case in park.pop("hardCases")}
    assert len(hard_cases) > 1
    assert added(list(data.values())) == park
    assert all(
        part["issues"]["total"]["reported"] < park["issues"]["total"]["reported"]
        for part in data.values()
    )


# --- refused arguments --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "code", "field"),
    [
        ('park: "999"', "NOT_FOUND", "park"),
        ('zone: "430624101009"', "NOT_FOUND", "zone"),
        ('grid: "430624101001099"', "NOT_FOUND", "grid"),
        ('park: "430624101", grid: "430624101001001"', "BAD_USER_INPUT", "grid"),
        ('zone: "430624101001", grid: "430624101001001"', "BAD_USER_INPUT", "grid"),
        ('from: "2024-03-02", to: "2024-03-01"', "BAD_USER_INPUT", "from"),
        ('from: "2099-01-01"', "BAD_USER_INPUT", "from"),
        ("hardCaseDays: -1", "BAD_USER_INPUT", "hardCaseDays"),
    ],
)
def test_refused_arguments(gql, arguments, code, field) -> None:
    body = gql("{ stats(%s) { from visits { visits } } }" % arguments, ok=False)
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": code, "field": field}


def test_a_single_day_is_a_period(gql, tables) -> None:
    day = today() - timedelta(days=3)
    found = stats(gql, park=PARK, **{"from": day.isoformat(), "to": day.isoformat()})
    # no full month: the day is the one month, so every enterprise visited that day counts
    assert found["visits"]["months"] == 1
    assert found["visits"]["enterprisesVisitedMonthly"] == found["visits"]["enterprisesVisited"]
    assert rounded(found) == rounded(expected_stats(tables, PARK, Window(day, day, today())))


def test_hard_cases_first_keeps_the_oldest(gql, tables) -> None:
    query = '{ stats(park: "%s") { all: hardCases { issue { id } } two: hardCases(first: 2) { issue { id } } } }'
    found = gql(query % PARK)["data"]["stats"]
    expected = expected_stats(tables, PARK, default_window())["hardCases"]
    assert len(expected) > 2
    assert found["all"] == [{"issue": case["issue"]} for case in expected]
    assert found["two"] == found["all"][:2]
