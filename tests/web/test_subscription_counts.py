"""areaCountsChanged against a real server on real PostGIS: the counts of the grid and zone a
change touches, coalesced to one message per area per second, equal to what a query reads."""

from __future__ import annotations

import time
from typing import Any

from tests.web.live_client import LiveClient, live
from tests.web.live_park import Park, base, graphql, park

__all__ = ["base", "park"]  # fixtures

COUNTS = """subscription($zone: String) {
  areaCountsChanged(zone: $zone) {
    eventId grid { code openIssueCount enterpriseCount } zone { code openIssueCount }
  }
}"""
QUERY = """query($grid: String!, $zone: String!) {
  grid(code: $grid) { code openIssueCount enterpriseCount } zone(code: $zone) { code openIssueCount }
}"""
REPORT = """mutation($u: String!) {
  reportIssue(enterprise: $u, category: OTHER, title: "counted") { __typename }
}"""
NUDGE = (
    "INSERT INTO event (subject, subject_id, enterprise_id, action)"
    " SELECT 'issue', i.id, i.enterprise_id, 'status_changed' FROM issue i WHERE i.id = :i"
    " RETURNING id"
)


def arrivals(client: LiveClient, seconds: float) -> list[tuple[float, dict[str, Any]]]:
    """(time, payload) of what arrives within `seconds`."""
    found = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = client.receive(left)
        except TimeoutError:
            break
        assert message["type"] == "next" and "errors" not in message["payload"], message
        found.append((time.monotonic(), message["payload"]["data"]["areaCountsChanged"]))
    return found


def live_now(client: LiveClient, park: Park) -> None:
    """Wait until the subscription is live (the protocol does not acknowledge a subscribe):
    nudge the log until a message comes, then let the areas' second pass."""
    for _ in range(40):
        park.scalar(NUDGE, i=park.inside)
        if arrivals(client, 0.25):
            time.sleep(1.2)
            arrivals(client, 0.1)
            return
    raise AssertionError("the subscription never delivered")


def test_counts_are_coalesced_to_one_message_per_area_per_second(park: Park, base: str) -> None:
    zone = park.scalar(
        "SELECT z.code FROM zone z JOIN grid g ON g.zone_id = z.id WHERE g.code = :g", g=park.grid
    )
    elsewhere = park.scalar(
        "SELECT e.uscc FROM enterprise e JOIN grid g ON g.id = e.grid_id JOIN zone z"
        " ON z.id = g.zone_id WHERE z.code <> :z ORDER BY e.uscc LIMIT 1",
        z=zone,
    )
    with live(base) as client:
        client.subscribe("1", COUNTS, {"zone": zone})
        live_now(client, park)
        start = park.head()
        for _ in range(3):
            graphql(base, REPORT, u=park.uscc)
        graphql(base, REPORT, u=elsewhere)  # another zone: no message
        got = arrivals(client, 2.5)
    mine = park.events_after(start, "issue")[:3]
    by_area: dict[str, list[tuple[float, dict[str, Any]]]] = {}
    for at, item in got:
        area = item["grid"] or item["zone"]
        assert not (item["grid"] and item["zone"])
        by_area.setdefault(area["code"], []).append((at, item))
    assert set(by_area) == {park.grid, zone}
    counted = graphql(base, QUERY, None, grid=park.grid, zone=zone)
    for code, sent in by_area.items():
        assert [item["eventId"] for _, item in sent] == [mine[0], mine[2]], code
        assert sent[1][0] - sent[0][0] >= 0.8  # the second waited out the first's second
        last = sent[-1][1]
        assert (last["grid"] or last["zone"]) == (
            counted["grid"] if last["grid"] else counted["zone"]
        )
