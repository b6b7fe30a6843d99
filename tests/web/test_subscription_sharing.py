"""Subscribers of one server process share their reads and the execution of each message
(parkgrid.changes.Shared, schema.live_events): what they share must never cross callers or
documents. Many connections on one real server (uvicorn, one process, real PostGIS), with
the same and different documents, tokens and variables, all receive one change: each gets
what the same query gives its own caller, shaped by its own document."""

from __future__ import annotations

from typing import Any

from tests.conftest import ADMIN_TOKEN
from tests.web.live_client import LiveClient, live
from tests.web.live_park import CADRE_TOKEN, Park, base, comment, graphql, park

__all__ = ["base", "park"]  # fixtures

TITLES = """subscription($since: ID) {
  issueChanged(since: $since) { eventId issue { id title description status } } }"""
NAMES = """subscription($since: ID) {
  issueChanged(since: $since) { eventId issue { id enterprise { name } } } }"""
BY_STATUS = """subscription($since: ID, $status: [IssueStatus!]) {
  issueChanged(since: $since, status: $status) { eventId issue { id title description status } } }"""
ISSUE = """query($id: ID!) {
  issue(id: $id) { id title description status enterprise { name } } }"""


def subscribed(client: LiveClient, query: str, variables: dict[str, Any], since: int) -> None:
    """Subscribed from `since`: what commits after it arrives, however late the subscription
    goes live."""
    client.subscribe("1", query, {**variables, "since": str(since)})


def test_shared_work_never_crosses_callers_or_documents(park: Park, base: str) -> None:
    status = str(park.scalar("SELECT upper(status) FROM issue WHERE id = :i", i=park.outside))
    other = "CLOSED" if status != "CLOSED" else "REPORTED"
    start = park.head()
    callers: list[tuple[str | None, str, dict[str, Any]]] = [
        (None, TITLES, {}), (None, TITLES, {}), (None, NAMES, {}),
        (CADRE_TOKEN, TITLES, {}), (CADRE_TOKEN, TITLES, {}), (ADMIN_TOKEN, TITLES, {}),
        (ADMIN_TOKEN, NAMES, {}), (ADMIN_TOKEN, BY_STATUS, {"status": [status]}),
        (ADMIN_TOKEN, BY_STATUS, {"status": [other]}),
    ]  # fmt: skip
    with (
        live(base, callers[0][0]) as c0, live(base, callers[1][0]) as c1,
        live(base, callers[2][0]) as c2, live(base, callers[3][0]) as c3,
        live(base, callers[4][0]) as c4, live(base, callers[5][0]) as c5,
        live(base, callers[6][0]) as c6, live(base, callers[7][0]) as c7,
        live(base, callers[8][0]) as c8,
    ):  # fmt: skip
        clients = [c0, c1, c2, c3, c4, c5, c6, c7, c8]
        for client, (_, query, variables) in zip(clients, callers, strict=True):
            subscribed(client, query, variables, start)
        comment(base, park.outside, "shared")  # outside the cadre's grid
        [event] = park.events_after(start, "issue")
        got = [client.items("1", 1)[0]["issueChanged"] for client in clients[:8]]
        c8.quiet(1.0)  # its status filter leaves the change out
    for item, (token, query, _) in zip(got, callers[:8], strict=True):
        assert item["eventId"] == event
        truth = graphql(base, ISSUE, token, id=str(park.outside))["issue"]
        wanted = (
            ("id", "title", "description", "status") if query != NAMES else ("id", "enterprise")
        )
        assert item["issue"] == {key: truth[key] for key in wanted}, (token, query)
    assert got[0]["issue"]["title"] is None and got[3]["issue"]["title"] is not None
    # the cadre may not read this description, the admin may: their reads were not shared
    assert got[3]["issue"]["description"] is None and got[5]["issue"]["description"]
