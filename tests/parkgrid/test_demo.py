"""The demo park: shaped like the Xiangyin report, complete, deterministic, loaded once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from parkgrid.demo import seed_demo
from parkgrid.uscc import is_valid


def scalar(engine, query: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(query)).scalar_one()


def test_hierarchy_matches_the_report(demo_url: str, engine_for) -> None:
    engine = engine_for(demo_url)
    assert [
        scalar(engine, f"SELECT count(*) FROM {t}") for t in ("park", "zone", "grid", "enterprise")
    ] == [1, 3, 13, 216]
    assert scalar(engine, "SELECT count(*) FROM enterprise WHERE grid_id IS NULL") == 0
    assert 35 <= scalar(engine, "SELECT count(*) FROM cadre") <= 45


def test_grids_tile_their_zones_and_zones_tile_the_park(demo_url: str, engine_for) -> None:
    engine = engine_for(demo_url)
    gaps = scalar(
        engine,
        """
        SELECT sum(ST_Area(ST_Difference(z.boundary, (SELECT ST_Union(g.boundary) FROM grid g WHERE g.zone_id = z.id))::geography))
        FROM zone z""",
    )
    overlaps = scalar(
        engine,
        """
        SELECT count(*) FROM grid a JOIN grid b ON a.id < b.id AND ST_Overlaps(a.boundary, b.boundary)""",
    )
    park_gap = scalar(
        engine,
        "SELECT ST_Area(ST_Difference(p.boundary, (SELECT ST_Union(boundary) FROM zone))::geography) FROM park p",
    )
    assert (gaps, overlaps, park_gap) == (0, 0, 0)


def test_every_code_is_valid_and_every_target_is_assigned(demo_url: str, engine_for) -> None:
    engine = engine_for(demo_url)
    with engine.connect() as conn:
        codes = conn.execute(text("SELECT uscc FROM enterprise")).scalars().all()
    assert all(is_valid(code) for code in codes)
    for target, role in (("zone", "zone_lead"), ("grid", "grid_lead"), ("enterprise", "liaison")):
        unassigned = scalar(
            engine,
            f"""
            SELECT count(*) FROM {target} t WHERE NOT EXISTS (
                SELECT 1 FROM assignment a WHERE a.{target}_id = t.id AND a.role = '{role}'
                AND a.valid_from <= now() AND (a.valid_to IS NULL OR a.valid_to > now()))""",
        )
        assert unassigned == 0, target


def test_a_year_of_records_like_the_report(demo_url: str, engine_for) -> None:
    engine = engine_for(demo_url)
    totals = scalar(
        engine,
        """
        SELECT json_build_array((SELECT sum(hires) FROM recruitment_hire),
            (SELECT sum(loan_cny)::bigint FROM activity_enterprise), sum(hazards_rectified),
            sum(people_hired) + sum(loan_cny))
        FROM outcome""",
    )
    # hires are held by recruitment events and loans by financing salons, once each
    assert totals == [637, 390_000_000, 432, 0]
    helped = scalar(
        engine, "SELECT count(DISTINCT enterprise_id) FROM recruitment_hire WHERE hires > 0"
    )
    assert helped == 52
    solved = scalar(
        engine, "SELECT count(*) FROM issue WHERE status = 'closed' AND category <> 'safety_hazard'"
    )
    assert solved >= 100
    assert scalar(engine, "SELECT count(DISTINCT status) FROM issue") == 7
    assert scalar(engine, "SELECT count(DISTINCT category) FROM issue") == 10
    assert (
        scalar(engine, "SELECT count(*) FROM visit WHERE visited_at > now() - interval '1 year'")
        > 2000
    )


def test_every_issue_has_a_consistent_event_trail(demo_url: str, engine_for) -> None:
    engine = engine_for(demo_url)
    mismatched = scalar(
        engine,
        """
        SELECT count(*) FROM issue i
        WHERE i.status <> (SELECT v.changes->'status'->>1 FROM event v
                           WHERE v.subject = 'issue' AND v.subject_id = i.id ORDER BY v.occurred_at DESC, v.id DESC LIMIT 1)
           OR i.version <> (SELECT count(*) FROM event v WHERE v.subject = 'issue' AND v.subject_id = i.id)""",
    )
    assert mismatched == 0


def test_loading_twice_changes_nothing(fresh_demo_url: str, engine_for) -> None:
    assert "not loaded" in seed_demo(fresh_demo_url, only_if_empty=False)
    assert "not loaded" in seed_demo(fresh_demo_url, only_if_empty=True)
    assert scalar(engine_for(fresh_demo_url), "SELECT count(*) FROM enterprise") == 216


def test_content_is_deterministic(demo_url: str, empty_url: str, engine_for) -> None:
    seed_demo(empty_url)
    query = "SELECT md5(string_agg(uscc || name || ST_AsText(location), ',' ORDER BY uscc)) FROM enterprise"
    assert scalar(engine_for(empty_url), query) == scalar(engine_for(demo_url), query)
