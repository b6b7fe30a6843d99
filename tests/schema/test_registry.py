"""The register through GraphQL on real PostGIS: enterprises registered, updated and moved,
zones and grids upserted (members re-derived, leaks refused), cadres assigned and relieved
with the history kept. Every refusal is a typed error and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import shapely
from shapely.geometry import Point, box, mapping
from sqlalchemy import text

from tests.schema.registry_client import (
    Park,
    client_of,
    geodesic_measures,
    geojson_box,
    geojson_point,
    grid_by_rule,
    new_uscc,
    refused_as,
)

ZONE = "430624101001"  # x 112.860-112.887; grid bands 28.670 / .686 / .701 / .716 / .730
GRID_1, GRID_2 = ZONE + "001", ZONE + "002"
EAST_GRID = "430624101002001"  # x 112.887-112.913, y 28.670-28.684
ZONE_BOX = (112.860, 28.670, 112.887, 28.730)
METRE_LON = 1 / 97_700  # degrees of longitude per metre near 28.7 N


@pytest.fixture
def park(fresh_demo_url: str, engine_for: Any) -> Iterator[Park]:
    yield from client_of(fresh_demo_url, engine_for)


@pytest.fixture
def empty_park(empty_url: str, engine_for: Any) -> Iterator[Park]:
    yield from client_of(empty_url, engine_for)


def an_enterprise_of(park: Park, grid: str) -> tuple[str, float, float]:
    """The first enterprise of the grid by credit code, and its location."""
    query = (
        "SELECT e.uscc, ST_X(e.location), ST_Y(e.location) FROM enterprise e"
        " JOIN grid g ON g.id = e.grid_id WHERE g.code = :grid ORDER BY e.uscc LIMIT 1"
    )
    uscc, lon, lat = park.rows(query, grid=grid)[0]
    return uscc, lon, lat


# --- enterprises ---------------------------------------------------------------------------


def test_register_derives_the_grid_and_logs_the_registration(park: Park) -> None:
    marker, at, cadre_3 = park.last_event(), Point(112.900, 28.677), park.acting_for(3)
    result = cadre_3("registerEnterprise", uscc=new_uscc(1).lower(), name=" 演示新企业 ",
                     location=geojson_point(at.x, at.y), industry="新材料")  # fmt: skip
    expected_grid = grid_by_rule(at, park.grids())
    assert expected_grid == EAST_GRID
    enterprise = result["enterprise"]
    assert (enterprise["uscc"], enterprise["name"], enterprise["grid"]["code"]) == (
        new_uscc(1), "演示新企业", expected_grid)  # fmt: skip
    assert result["previousGrid"] is None
    assert park.members()[new_uscc(1)] == expected_grid
    [(subject, subject_id, owner, action, actor, changes, token)] = park.events_since(marker)
    stored_id = park.value("SELECT id FROM enterprise WHERE uscc = :u", u=new_uscc(1))
    assert (subject, subject_id, owner, action, actor, token) == (
        "enterprise", stored_id, stored_id, "registered", 3, cadre_3.token_id)  # fmt: skip
    assert changes["grid"] == [None, expected_grid]
    assert changes["location"] == [None, [at.x, at.y]]
    assert changes["industry"] == [None, "新材料"] and changes["address"] == [None, None]


EXISTING = "91430624MA0QC60PNP"
WRONG_CHECK = "1" if new_uscc(2).endswith("0") else "0"
GOOD = {"uscc": new_uscc(2), "name": "某企业", "location": geojson_point(112.9, 28.7)}


@pytest.mark.parametrize(
    ("args", "kind", "field", "says"),
    [
        ({"uscc": new_uscc(2)[:17] + WRONG_CHECK}, "BAD_USER_INPUT", "uscc", "check character"),
        ({"uscc": "914306"}, "BAD_USER_INPUT", "uscc", "18 characters"),
        ({"uscc": EXISTING}, "CONFLICT", "uscc", "exists"),
        ({"uscc": EXISTING.lower()}, "CONFLICT", "uscc", "exists"),
        ({"name": "  "}, "BAD_USER_INPUT", "name", "blank"),
        ({"location": geojson_box(112.9, 28.7, 112.91, 28.71)}, "INVALID_GEOMETRY", "location", "Point"),
        ({"location": geojson_point(28.7, 112.9)}, "INVALID_GEOMETRY", "location", "latitude"),
    ],
)  # fmt: skip
def test_registration_refused(park: Park, args: dict, kind: str, field: str, says: str) -> None:
    message = park.refused(refused_as(kind, field), "registerEnterprise", **{**GOOD, **args})
    assert says in message


def test_update_changes_only_the_given_fields(park: Park) -> None:
    uscc, _, _ = an_enterprise_of(park, GRID_1)
    before = park.rows("SELECT name, industry, address, location, grid_id FROM enterprise"
                       " WHERE uscc = :u", u=uscc)[0]  # fmt: skip
    marker = park.last_event()
    cadre_4 = park.acting_for(4)
    result = cadre_4("updateEnterprise", uscc=uscc.lower(), name="改名后", address=None)
    after = park.rows("SELECT name, industry, address, location, grid_id FROM enterprise"
                      " WHERE uscc = :u", u=uscc)[0]  # fmt: skip
    assert tuple(after) == ("改名后", before.industry, None, before.location, before.grid_id)
    assert result["enterprise"]["name"] == "改名后"
    assert result["previousGrid"]["code"] == result["enterprise"]["grid"]["code"] == GRID_1
    [event] = park.events_since(marker)
    assert (event.action, event.actor_id, event.token_id, event.subject) == (
        "updated", 4, cadre_4.token_id, "enterprise")  # fmt: skip
    assert event.changes == {"name": [before.name, "改名后"], "address": [before.address, None]}
    # the same values again are no change: nothing written
    snapshot = park.snapshot()
    park("updateEnterprise", uscc=uscc, name="改名后", industry=before.industry)
    assert park.snapshot() == snapshot


@pytest.mark.parametrize(
    ("args", "kind", "field"),
    [
        ({"uscc": new_uscc(3), "name": "无此企业"}, "NOT_FOUND", "uscc"),
        ({"uscc": EXISTING}, "BAD_USER_INPUT", None),
        ({"uscc": EXISTING, "name": None}, "BAD_USER_INPUT", "name"),
    ],
)
def test_update_refused(park: Park, args: dict, kind: str, field: str | None) -> None:
    park.refused(refused_as(kind, field), "updateEnterprise", **args)


def test_a_token_of_no_cadre_is_recorded_with_no_actor(park: Park) -> None:
    uscc, _, _ = an_enterprise_of(park, GRID_1)
    marker = park.last_event()
    assert park("updateEnterprise", uscc=uscc, name="改名后")["__typename"] == "EnterprisePayload"
    [event] = park.events_since(marker)
    assert (event.action, event.actor_id, event.token_id) == ("updated", None, park.token_id)


def test_moving_across_a_grid_boundary_changes_the_grid_with_the_actor(park: Park) -> None:
    uscc, lon, lat = an_enterprise_of(park, GRID_1)
    target = Point(112.8875, 28.6755)  # just east of the shared edge at x = 112.887
    expected = grid_by_rule(target, park.grids())
    assert expected == EAST_GRID
    marker = park.last_event()
    cadre_7 = park.acting_for(7)
    result = cadre_7("moveEnterprise", uscc=uscc, location=geojson_point(target.x, target.y))
    grids = (result["previousGrid"]["code"], result["enterprise"]["grid"]["code"])
    assert grids == (GRID_1, expected)
    assert result["enterprise"]["location"]["coordinates"] == [target.x, target.y]
    assert park.members()[uscc] == expected
    events = park.events_since(marker)
    assert [(e.action, e.actor_id, e.token_id, e.subject) for e in events] == [
        ("moved", 7, cadre_7.token_id, "enterprise"),
        ("grid_changed", 7, cadre_7.token_id, "enterprise")]  # fmt: skip
    assert events[0].changes == {"location": [[lon, lat], [target.x, target.y]]}
    assert events[1].changes == {"grid": [GRID_1, expected]}
    assert len({e.enterprise_id for e in events}) == 1


def test_moving_within_a_grid_writes_no_grid_change(park: Park) -> None:
    uscc, lon, lat = an_enterprise_of(park, GRID_1)
    marker = park.last_event()
    result = park("moveEnterprise", uscc=uscc, location=geojson_point(lon + 1e-5, lat))
    assert result["previousGrid"]["code"] == result["enterprise"]["grid"]["code"] == GRID_1
    assert [e.action for e in park.events_since(marker)] == ["moved"]


@pytest.mark.parametrize(
    ("args", "kind", "field"),
    [
        ({"uscc": new_uscc(4)}, "NOT_FOUND", "uscc"),
        ({"location": {"type": "Point", "coordinates": [181, 28.7]}}, "INVALID_GEOMETRY", "location"),
        ({"location": {"type": "Point"}}, "INVALID_GEOMETRY", "location"),
    ],
)  # fmt: skip
def test_move_refused(park: Park, args: dict, kind: str, field: str) -> None:
    given = {"uscc": EXISTING, "location": geojson_point(112.9, 28.677), **args}
    park.refused(refused_as(kind, field), "moveEnterprise", **given)


# --- zones and grids -----------------------------------------------------------------------


def stored_name(park: Park, table: str, code: str) -> str:
    return str(park.value(f"SELECT name FROM {table} WHERE code = :c", c=code))


def test_reshaping_a_grid_reports_exactly_the_enterprises_that_changed_grid(park: Park) -> None:
    grids, points = park.grids(), park.points()
    reshaped = box(112.860, 28.670, 112.882, 28.693)  # gives up its east strip, takes GRID_2's
    after = {**grids, GRID_1: reshaped}
    assert park.members() == {uscc: grid_by_rule(p, grids) for uscc, p in points.items()}
    expected = {u for u, p in points.items() if grid_by_rule(p, grids) != grid_by_rule(p, after)}
    lost = {uscc for uscc in expected if grid_by_rule(points[uscc], after) is None}
    assert lost and expected - lost  # some leave every grid, some come over from GRID_2
    marker = park.last_event()
    cadre_2 = park.acting_for(2)
    result = cadre_2("upsertGrid", code=GRID_1, name=stored_name(park, "grid", GRID_1), zone=ZONE,
                     boundary=dict(mapping(reshaped)))  # fmt: skip
    assert (result["created"], result["enterprisesChangedGrid"]) == (False, len(expected))
    assert park.members() == {uscc: grid_by_rule(p, after) for uscc, p in points.items()}
    events = park.events_since(marker)
    ids = dict(park.rows("SELECT uscc, id FROM enterprise"))
    changed = [e for e in events if e.action == "grid_changed"]
    assert sorted(e.subject_id for e in changed) == sorted(ids[uscc] for uscc in expected)
    assert {(e.actor_id, e.token_id) for e in events} == {(2, cadre_2.token_id)}
    [upserted] = [e for e in events if e.action == "upserted"]
    grid_id = park.value("SELECT id FROM grid WHERE code = :c", c=GRID_1)
    assert (upserted.subject, upserted.subject_id, upserted.enterprise_id) == (
        "grid",
        grid_id,
        None,
    )
    assert upserted.changes["boundary_changed"] is True and "name" not in upserted.changes
    assert upserted.changes["enterprises_changed_grid"] == len(expected)


@pytest.mark.parametrize("metres", [2, 10, 40, 100])
def test_a_grid_may_stray_outside_its_zone_only_within_the_tolerance(
    park: Park, metres: int
) -> None:
    west, south, east, north = 112.860, 28.670, 112.887, 28.686  # GRID_1, on the zone's west edge
    leaked = box(west - metres * METRE_LON, south, east, north)
    strip = box(west - metres * METRE_LON, south, west, north)
    allowed, outside = 5.0 * geodesic_measures(leaked)[0], geodesic_measures(strip)[1]
    args = {"code": GRID_1, "name": stored_name(park, "grid", GRID_1), "zone": ZONE,
            "boundary": dict(mapping(leaked))}  # fmt: skip
    if outside <= allowed:
        assert park("upsertGrid", **args)["__typename"] == "GridPayload"
        stored = park.value("SELECT ST_AsText(boundary) FROM grid WHERE code = :c", c=GRID_1)
        assert shapely.from_wkt(stored).equals(leaked)
    else:
        message = park.refused(refused_as("INVALID_GEOMETRY", "boundary"), "upsertGrid", **args)
        assert f"outside its zone {ZONE}" in message
    assert (metres <= 10) == (outside <= allowed)  # both sides of the rule are exercised


BOWTIE = {"type": "Polygon", "coordinates": [[[112.86, 28.67], [112.87, 28.68], [112.87, 28.67],
                                              [112.86, 28.68], [112.86, 28.67]]]}  # fmt: skip


@pytest.mark.parametrize(
    ("args", "kind", "field", "says"),
    [
        ({"zone": "430624101009"}, "NOT_FOUND", "zone", "430624101009"),
        ({"boundary": BOWTIE}, "INVALID_GEOMETRY", "boundary", "Self-intersection"),
        ({"boundary": geojson_point(112.87, 28.68)}, "INVALID_GEOMETRY", "boundary", "Polygon"),
        ({"boundary": geojson_box(112.890, 28.670, 112.900, 28.680)}, "INVALID_GEOMETRY", "boundary", "outside its zone"),
        ({"code": "9" * 33}, "BAD_USER_INPUT", "code", "32"),
        ({"name": ""}, "BAD_USER_INPUT", "name", "blank"),
    ],
)  # fmt: skip
def test_grid_upsert_refused(park: Park, args: dict, kind: str, field: str, says: str) -> None:
    given = {"code": ZONE + "009", "name": "新网格", "zone": ZONE,
             "boundary": geojson_box(112.860, 28.670, 112.870, 28.680), **args}  # fmt: skip
    assert says in park.refused(refused_as(kind, field), "upsertGrid", **given)


PARK_CODE = "430624101"


def test_renaming_a_zone_logs_what_changed(park: Park) -> None:
    old_name, marker = stored_name(park, "zone", ZONE), park.last_event()
    args = {"code": ZONE, "park": PARK_CODE, "boundary": geojson_box(*ZONE_BOX)}
    cadre_1 = park.acting_for(1)
    result = cadre_1("upsertZone", name="城北新片区", **args)
    assert (result["created"], result["enterprisesChangedGrid"]) == (False, 0)
    assert (result["zone"]["name"], result["zone"]["park"]["code"]) == ("城北新片区", PARK_CODE)
    [event] = park.events_since(marker)
    zone_id = park.value("SELECT id FROM zone WHERE code = :c", c=ZONE)
    assert tuple(event)[:5] == ("zone", zone_id, None, "upserted", 1)
    assert event.token_id == cadre_1.token_id
    assert event.changes == {"name": [old_name, "城北新片区"], "enterprises_changed_grid": 0}
    snapshot = park.snapshot()
    assert cadre_1("upsertZone", name="城北新片区", **args)["created"] is False
    assert park.snapshot() == snapshot  # the same again is no change


@pytest.mark.parametrize(
    ("args", "kind", "field", "says"),
    [
        ({"park": "nowhere"}, "NOT_FOUND", "park", "nowhere"),
        ({"boundary": geojson_box(112.860, 28.670, 112.887, 28.740)}, "INVALID_GEOMETRY", "boundary", "outside its park"),
        ({"boundary": geojson_box(112.860, 28.670, 112.887, 28.700)}, "INVALID_GEOMETRY", "boundary", "3 of its grids"),
    ],
)  # fmt: skip
def test_zone_upsert_refused(park: Park, args: dict, kind: str, field: str, says: str) -> None:
    given = {"code": ZONE, "name": "城北片区", "park": PARK_CODE,
             "boundary": geojson_box(*ZONE_BOX), **args}  # fmt: skip
    assert says in park.refused(refused_as(kind, field), "upsertZone", **given)


def test_a_park_is_laid_out_from_nothing(empty_park: Park) -> None:
    with empty_park.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO park (code, name, boundary) VALUES ('P', '园', "
                "ST_Multi(ST_MakeEnvelope(112.90, 28.70, 112.92, 28.72, 4326)))"
            )
        )
        actor = int(conn.execute(text("INSERT INTO cadre (name) VALUES ('甲') RETURNING id")).scalar_one())  # fmt: skip
    as_actor = empty_park.acting_for(actor)
    zone = as_actor("upsertZone", code="Z", name="片区", park="P",
                    boundary=geojson_box(112.90, 28.70, 112.92, 28.72))  # fmt: skip
    assert (zone["created"], zone["enterprisesChangedGrid"], zone["zone"]["code"]) == (True, 0, "Z")
    inside, outside = new_uscc(5), new_uscc(6)
    for uscc, lon in ((inside, 112.905), (outside, 112.915)):
        registered = empty_park(
            "registerEnterprise", uscc=uscc, name=uscc, location=geojson_point(lon, 28.71)
        )
        assert registered["enterprise"]["grid"] is None
    args = {
        "code": "G",
        "name": "网格",
        "zone": "Z",
        "boundary": geojson_box(112.90, 28.70, 112.91, 28.72),
    }
    marker = empty_park.last_event()
    grid = as_actor("upsertGrid", **args)
    assert (grid["created"], grid["enterprisesChangedGrid"], grid["grid"]["zone"]["code"]) == (
        True,
        1,
        "Z",
    )
    assert empty_park.members() == {inside: "G", outside: None}
    events = [
        (e.subject, e.action, e.actor_id, e.token_id) for e in empty_park.events_since(marker)
    ]
    assert events == [("enterprise", "grid_changed", actor, as_actor.token_id),
                      ("grid", "upserted", actor, as_actor.token_id)]  # fmt: skip
    snapshot = empty_park.snapshot()
    again = as_actor("upsertGrid", **args)
    assert (again["created"], again["enterprisesChangedGrid"]) == (False, 0)
    assert empty_park.snapshot() == snapshot


# --- assignments ---------------------------------------------------------------------------


def current_lead(park: Park, grid: str) -> Any:
    [lead] = park.rows(
        "SELECT a.id, a.cadre_id, c.name, a.valid_from FROM assignment a"
        " JOIN cadre c ON c.id = a.cadre_id JOIN grid g ON g.id = a.grid_id"
        " WHERE g.code = :g AND a.role = 'grid_lead' AND a.valid_to IS NULL", g=grid,
    )  # fmt: skip
    return lead


def another_cadre(park: Park, than: int) -> str:
    return str(park.value("SELECT max(id) FROM cadre WHERE id <> :c", c=than))


def grid_leads_at(park: Park, grid: str, at: datetime) -> list[str]:
    query = "query ($g: String!, $at: DateTime) { grid(code: $g) { cadres(at: $at) { id role } } }"
    served = park.gql(query, {"g": grid, "at": at.isoformat()})["data"]["grid"]["cadres"]
    return [cadre["id"] for cadre in served if cadre["role"] == "GRID_LEAD"]


@pytest.mark.parametrize("start", [None, timedelta(days=-3), timedelta(days=30)])
def test_a_second_current_grid_lead_is_refused_and_the_first_stays(
    park: Park, start: timedelta | None
) -> None:
    lead = current_lead(park, GRID_1)
    args = {"cadre": another_cadre(park, lead.cadre_id), "level": "GRID", "target": GRID_1}
    if start is not None:
        args["validFrom"] = (datetime.now(UTC) + start).isoformat()
    message = park.refused(refused_as("CONFLICT", "target"), "assignCadre", **args)
    assert lead.name in message and f"assignment {lead.id}" in message
    assert "end that assignment first" in message
    assert current_lead(park, GRID_1) == lead
    assert grid_leads_at(park, GRID_1, datetime.now(UTC)) == [str(lead.cadre_id)]


def test_ending_then_reassigning_keeps_the_history(park: Park) -> None:
    lead = current_lead(park, GRID_1)
    successor = another_cadre(park, lead.cadre_id)
    switch = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    assert lead.valid_from < switch - timedelta(hours=1)
    count = "SELECT count(*) FROM assignment WHERE grid_id = (SELECT id FROM grid WHERE code = :g)"
    held, marker = park.value(count, g=GRID_1), park.last_event()
    cadre_1 = park.acting_for(1)
    ended = cadre_1("endAssignment", id=str(lead.id), validTo=switch.isoformat())
    assert datetime.fromisoformat(ended["assignment"]["validTo"]) == switch
    started = cadre_1("assignCadre", cadre=successor, level="GRID", target=GRID_1,
                      validFrom=switch.isoformat())["assignment"]  # fmt: skip
    assert (started["role"], started["grid"]["code"], started["validTo"]) == (
        "GRID_LEAD",
        GRID_1,
        None,
    )
    assert park.value(count, g=GRID_1) == held + 1  # nothing deleted
    events = [(*tuple(e)[:5], e.token_id) for e in park.events_since(marker)]
    token = cadre_1.token_id
    assert events == [("assignment", lead.id, None, "assignment_ended", 1, token),
                      ("assignment", int(started["id"]), None, "assigned", 1, token)]  # fmt: skip
    assert grid_leads_at(park, GRID_1, switch - timedelta(hours=1)) == [str(lead.cadre_id)]
    assert grid_leads_at(park, GRID_1, switch + timedelta(hours=1)) == [successor]
    message = park.refused(refused_as("BAD_USER_INPUT", "id"), "endAssignment", id=str(lead.id))
    assert "already ended" in message


def test_a_liaison_change_is_logged_on_the_enterprise(park: Park) -> None:
    [(enterprise_id, assignment_id, liaison)] = park.rows(
        "SELECT e.id, a.id, a.cadre_id FROM assignment a JOIN enterprise e ON e.id = a.enterprise_id"
        " WHERE e.uscc = :u AND a.role = 'liaison' AND a.valid_to IS NULL", u=EXISTING,
    )  # fmt: skip
    successor, marker = another_cadre(park, liaison), park.last_event()
    cadre_5 = park.acting_for(5)
    assert cadre_5("endAssignment", id=str(assignment_id))["assignment"]["validTo"]
    started = cadre_5("assignCadre", cadre=successor, level="ENTERPRISE",
                      target=EXISTING.lower())["assignment"]  # fmt: skip
    assert started["enterprise"]["uscc"] == EXISTING
    events = park.events_since(marker)
    assert [(e.action, e.enterprise_id, e.actor_id, e.token_id) for e in events] == [
        ("assignment_ended", enterprise_id, 5, cadre_5.token_id),
        ("assigned", enterprise_id, 5, cadre_5.token_id)]  # fmt: skip
    assert events[1].changes["cadre"] == int(successor)
    query = '{ enterprise(uscc: "%s") { liaison { id } events { action } } }' % EXISTING
    found = park.gql(query)["data"]["enterprise"]
    assert found["liaison"]["id"] == successor
    assert [e["action"] for e in found["events"]][-2:] == ["assignment_ended", "assigned"]


def test_assignment_refusals(park: Park) -> None:
    lead = current_lead(park, GRID_1)
    bad_input, not_found = "BAD_USER_INPUT", "NOT_FOUND"
    ends = [
        ({"validTo": (lead.valid_from - timedelta(days=1)).isoformat()}, bad_input, "validTo"),
        ({"validTo": lead.valid_from.isoformat()}, bad_input, "validTo"),
        ({"validTo": "2030-01-01T00:00:00"}, bad_input, "validTo"),
        ({"id": "999999"}, not_found, "id"),
        ({"id": "abc"}, bad_input, "id"),
    ]
    for args, kind, field in ends:
        park.refused(refused_as(kind, field), "endAssignment", **{"id": str(lead.id), **args})
    assigns = [
        ({"target": "nowhere"}, not_found, "target"),
        ({"level": "ZONE", "target": GRID_1}, not_found, "target"),
        ({"level": "ENTERPRISE", "target": new_uscc(9)}, not_found, "target"),
        ({"cadre": "9999"}, not_found, "cadre"),
        ({"validFrom": "2030-01-01T00:00:00"}, bad_input, "validFrom"),
    ]
    for args, kind, field in assigns:
        given = {"cadre": "1", "level": "GRID", "target": GRID_1, **args}
        park.refused(refused_as(kind, field), "assignCadre", **given)
