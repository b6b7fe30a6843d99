"""The rest of the demo park's story, in the report's figures: 4 trunk roads, 3 dedicated
power lines and 2 gas pipelines; a flagship plant at 90% of its main works (started nine
months ago, production due next month) and two other projects, one behind schedule; the
party-building record (2 branch elections, 51 activists, 17 development candidates, 23
members confirmed, 4 demonstration sites, a benchmark branch) and 8 enterprises
safety-standardised. Synthetic names only."""

from __future__ import annotations

from datetime import date, timedelta

from shapely.geometry import LineString
from sqlalchemy import text
from sqlalchemy.engine import Connection

from geo.shape import to_ewkt
from parkgrid.demo.geometry import EAST, NORTH, SOUTH, WEST

LINES = [  # code, name, kind, operator, positions
    ("ROAD-1", "园区一号主干道", "road", "园区投资集团", [(WEST, 28.690), (EAST, 28.692)]),
    ("ROAD-2", "园区二号主干道", "road", "园区投资集团", [(WEST, 28.712), (EAST, 28.709)]),
    ("ROAD-3", "金龙大道", "road", "园区投资集团", [(112.900, SOUTH), (112.901, NORTH)]),
    ("ROAD-4", "滨湖路", "road", "园区投资集团", [(112.926, SOUTH), (112.930, NORTH)]),
    ("POWER-1", "城北110千伏专线", "power", "县电力公司", [(112.861, 28.671), (112.885, 28.728)]),
    ("POWER-2", "金龙专线", "power", "县电力公司", [(112.888, 28.672), (112.912, 28.700)]),
    ("POWER-3", "滨湖专线", "power", "县电力公司", [(112.914, 28.700), (112.939, 28.729)]),
    ("GAS-1", "城北燃气管道", "gas", "县燃气公司", [(WEST, 28.680), (112.900, 28.681)]),
    ("GAS-2", "滨湖燃气管道", "gas", "县燃气公司", [(112.913, 28.720), (EAST, 28.721)]),
]


def insert_lines(conn: Connection, park: int, today: date) -> None:
    rows = [
        {
            "park": park,
            "code": code,
            "name": name,
            "kind": kind,
            "operator": operator,
            "started": today - timedelta(days=300 + 20 * n),
            "completed": today - timedelta(days=30 + 25 * n),
            "geometry": to_ewkt(LineString(points)),
        }
        for n, (code, name, kind, operator, points) in enumerate(LINES)
    ]
    conn.execute(
        text(
            "INSERT INTO infrastructure_line (park_id, code, name, kind, status, operator, started,"
            " completed, geometry) VALUES (:park, :code, :name, :kind, 'in_service', :operator,"
            " :started, :completed, ST_Multi(ST_GeomFromEWKT(:geometry)))"
        ),
        rows,
    )


def insert_project(
    conn: Connection,
    firm: int,
    name: str,
    stage: str,
    started: date,
    reports: list[tuple[date, float]],
    milestones: list[tuple[str, date, date | None]],
    reporter: int | None,
) -> int:
    project: int = conn.execute(
        text(
            "INSERT INTO construction_project (enterprise_id, name, stage, started, site)"
            " SELECT e.id, :name, :stage, :started, ST_Multi(ST_Envelope(ST_Buffer(e.location,"
            " 0.0015))) FROM enterprise e WHERE e.id = :firm RETURNING id"
        ),
        {"firm": firm, "name": name, "stage": stage, "started": started},
    ).scalar_one()
    conn.execute(
        text(
            "INSERT INTO project_progress (project_id, reported_on, percent_complete,"
            " reported_by) VALUES (:p, :on, :pct, :by)"
        ),
        [{"p": project, "on": d, "pct": pct, "by": reporter} for d, pct in reports],
    )
    conn.execute(
        text(
            "INSERT INTO project_milestone (project_id, name, planned, actual)"
            " VALUES (:p, :name, :planned, :actual)"
        ),
        [{"p": project, "name": n, "planned": p, "actual": a} for n, p, a in milestones],
    )
    conn.execute(
        text(
            "INSERT INTO project_issue SELECT :p, i.id FROM issue i WHERE"
            " i.enterprise_id = :firm AND i.category = 'construction'"
        ),
        {"p": project, "firm": firm},
    )
    return project


def insert_projects(conn: Connection, firms: list[int], today: date, reporter: int) -> None:
    start = today - timedelta(days=255)
    reports = [
        (start + timedelta(days=30 * n), pct)
        for n, pct in enumerate((5.0, 15.0, 25.0, 38.0, 50.0, 61.0, 72.0, 83.0))
    ]
    insert_project(
        conn,
        firms[0],
        "标杆工厂项目一期（演示）",
        "main_works",
        start,
        [*reports, (today - timedelta(days=5), 90.0)],
        [
            ("开工", start, start),
            ("主体封顶", today - timedelta(days=60), today - timedelta(days=52)),
            ("投产", today + timedelta(days=25), None),
        ],
        reporter,
    )
    insert_project(
        conn,
        firms[1],
        "智能装备产业园（演示）",
        "site_preparation",
        today - timedelta(days=120),
        [(today - timedelta(days=20), 12.0)],
        [("场地平整", today - timedelta(days=30), None)],
        reporter,
    )
    insert_project(
        conn,
        firms[2],
        "新材料生产线技改（演示）",
        "fit_out",
        today - timedelta(days=200),
        [(today - timedelta(days=10), 70.0)],
        [("设备安装", today + timedelta(days=40), None)],
        reporter,
    )


PIPELINE = {
    "activist": (12, 9, 8, 8, 7, 7),
    "candidate": (4, 4, 3, 3, 3),
    "confirmed": (5, 5, 4, 3, 3, 3),
}
"""51 activists, 17 development candidates, 23 members confirmed, over the branches."""


def insert_party_record(conn: Connection, branches: list[int], today: date) -> None:
    rows = [
        {
            "e": branches[n % len(branches)],
            "stage": stage,
            "n": people,
            "on": today - timedelta(days=40 + 45 * n),
        }
        for stage, counts in PIPELINE.items()
        for n, people in enumerate(counts)
    ]
    conn.execute(
        text(
            "INSERT INTO party_pipeline (enterprise_id, stage, recorded_on, people)"
            " VALUES (:e, :stage, :on, :n)"
        ),
        rows,
    )
    conn.execute(
        text("INSERT INTO party_election (enterprise_id, held_on) VALUES (:e, :on)"),
        [{"e": branches[n], "on": today - timedelta(days=70 + 90 * n)} for n in range(2)],
    )
    honours = [(b, "demonstration_site") for b in branches[:4]] + [
        (branches[2], "benchmark_branch")
    ]
    conn.execute(
        text(
            "INSERT INTO party_honour (enterprise_id, kind, awarded_on, awarded_by)"
            " VALUES (:e, :kind, :on, '市委组织部')"
        ),
        [{"e": e, "kind": k, "on": today - timedelta(days=400)} for e, k in honours],
    )
    meetings = [
        {"e": b, "on": today - timedelta(days=30 * m + 2), "n": 5 + m % 4}
        for b in branches
        for m in range(12)
    ]
    conn.execute(
        text(
            "INSERT INTO party_meeting (enterprise_id, kind, held_on, attendance,"
            " liaison_attended) VALUES (:e, 'theme_day', :on, :n, true)"
        ),
        meetings,
    )


def insert_standardisation(conn: Connection, firms: list[int], today: date) -> None:
    levels = (
        "level_3",
        "level_3",
        "level_3",
        "level_2",
        "level_3",
        "level_2",
        "level_3",
        "level_3",
    )
    conn.execute(
        text(
            "INSERT INTO safety_standardisation (enterprise_id, certified, level,"
            " certified_on) VALUES (:e, true, :level, :on)"
        ),
        [
            {"e": e, "level": level, "on": today - timedelta(days=20 + 35 * n)}
            for n, (e, level) in enumerate(zip(firms, levels, strict=True))
        ],
    )
