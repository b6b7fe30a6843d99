"""Subscriptions over WebSocket (graphql-transport-ws) against real servers (uvicorn on
127.0.0.1, as `parkgrid serve` runs it) on real PostGIS: changes made through GraphQL and by
plain SQL arrive once each, in commit order, and only committed; each item reads as the same
query reads for that caller; `since` replays the log; a revoked token ends the connection; two
server processes on one database each deliver what the other wrote."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.routing import WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from parkgrid.settings import DatabaseSettings
from tests.conftest import ADMIN_TOKEN, add_token
from tests.web.browser import served
from tests.web.live_client import PROTOCOL, live
from tests.web.live_park import CADRE_TOKEN, Park, base, comment, graphql, park, sql_change
from web.app import create_app

__all__ = ["base", "park"]  # fixtures

ISSUES = """subscription($since: ID, $grid: String, $status: [IssueStatus!]) {
  issueChanged(since: $since, grid: $grid, status: $status) {
    eventId issue { id title description status } event { id action note changes }
  }
}"""
ISSUE_QUERY = "query($id: ID!) { issue(id: $id) { id title description status } }"
EVENTS_QUERY = "query($id: ID!) { issue(id: $id) { events { id action note changes } } }"
REGISTER = """subscription($since: ID) {
  registerChanged(since: $since) { eventId subject enterprise { uscc name }
    assignment { id role } event { action } }
}"""
VISITS = """subscription($since: ID, $zone: String) {
  visitLogged(since: $since, zone: $zone) { eventId visit { id duties note } }
}"""


def test_each_committed_change_arrives_once_in_commit_order(park: Park, base: str) -> None:
    start = park.head()
    with live(base, ADMIN_TOKEN) as client:
        client.subscribe("1", ISSUES, {"since": str(start)})
        comment(base, park.inside, "through GraphQL")
        sql_change(park, park.outside, "rolled back", commit=False)
        sql_change(park, park.outside, "through SQL", commit=True)
        graphql(
            base, "mutation($u: String!) { reportIssue(enterprise: $u, category: OTHER,"
            ' title: "live") { __typename } }', u=park.uscc,
        )  # fmt: skip
        comment(base, park.inside, "again")
        expected = park.events_after(start, "issue")
        assert len(expected) == 4
        got = [item["issueChanged"] for item in client.items("1", len(expected))]
        client.quiet(1.0)
    assert [item["eventId"] for item in got] == expected
    assert [item["event"]["id"] for item in got] == expected
    assert [item["event"]["action"] for item in got] == [
        "commented", "assigned", "reported", "commented",
    ]  # fmt: skip
    assert got[1]["event"]["note"] == "through SQL"
    assert got[2]["issue"]["title"] == "live" and got[2]["issue"]["status"] == "REPORTED"


def test_each_item_reads_as_the_same_query_reads_for_that_caller(park: Park, base: str) -> None:
    start = park.head()
    with live(base, CADRE_TOKEN) as cadre, live(base) as anonymous:
        for client in (cadre, anonymous):
            client.subscribe("i", ISSUES, {"since": str(start)})
            client.subscribe("r", REGISTER, {"since": str(start)})
        comment(base, park.inside, "in the cadre's grid")
        comment(base, park.outside, "elsewhere")
        assignment = park.scalar("SELECT min(id) FROM assignment WHERE role = 'zone_lead'")
        park.scalar("INSERT INTO event (subject, subject_id, action) VALUES"
                    " ('assignment', :a, 'assigned') RETURNING id", a=assignment)  # fmt: skip
        for token, client in ((CADRE_TOKEN, cadre), (None, anonymous)):
            items = [item["issueChanged"] for item in client.items("i", 2)]
            for item in items:
                issue = item["issue"]
                assert issue == graphql(base, ISSUE_QUERY, token, id=issue["id"])["issue"]
                if token is None:
                    assert item["event"] is None  # anonymous callers read no events
                    continue
                events = graphql(base, EVENTS_QUERY, token, id=issue["id"])["issue"]["events"]
                assert item["event"] == next(e for e in events if e["id"] == item["eventId"])
            if token is None:
                assert [i["issue"]["title"] for i in items] == [None, None]
                anonymous.quiet(1.0)  # the assignment is not theirs to see
            else:
                assert items[0]["event"]["note"] == "in the cadre's grid"
                assert items[1]["event"]["note"] is None  # outside the cadre's grids
                change = cadre.items("r", 1)[0]["registerChanged"]
                assert change["subject"] == "assignment"
                assert change["assignment"]["role"] == "ZONE_LEAD"


def test_since_replays_the_log_then_goes_live(park: Park, base: str) -> None:
    start = park.head()
    comment(base, park.inside, "before")
    comment(base, park.outside, "before, too")
    with live(base, ADMIN_TOKEN) as client:
        client.subscribe("1", ISSUES, {"since": str(start)})
        replayed = client.items("1", 2)
        comment(base, park.inside, "after")
        current = client.items("1", 1)
        client.quiet(0.5)
    ids = [item["issueChanged"]["eventId"] for item in replayed + current]
    assert ids == park.events_after(start, "issue")


def first_error(client: Any, id: str) -> dict[str, Any]:
    """The error that ends subscription `id` (a `next` with errors, then `complete`)."""
    message = client.receive()
    assert (message["id"], message["type"]) == (id, "next"), message
    [error] = message["payload"]["errors"]
    assert client.receive() == {"id": id, "type": "complete"}
    return dict(error)


def test_a_replay_longer_than_the_bound_is_refused(park: Park, base: str) -> None:
    with live(base, ADMIN_TOKEN) as client:
        client.subscribe("1", ISSUES, {"since": "0"})
        error = first_error(client, "1")
        client.subscribe("2", ISSUES, {"since": "tomorrow"})
        refused = first_error(client, "2")
    assert error["extensions"]["code"] == "REPLAY_TOO_LONG"
    assert "more than 1,000 changes" in error["message"]
    assert refused["extensions"] == {"code": "BAD_USER_INPUT", "field": "since"}


def test_filters_by_area_and_status(park: Park, base: str) -> None:
    start = park.head()
    status = park.scalar("SELECT upper(status) FROM issue WHERE id = :i", i=park.inside)
    other = park.scalar(
        "SELECT i.id FROM issue i JOIN enterprise e ON e.id = i.enterprise_id JOIN grid g"
        " ON g.id = e.grid_id WHERE g.code <> :g AND upper(i.status) <> :s ORDER BY i.id LIMIT 1",
        g=park.grid, s=status,
    )  # fmt: skip
    zone = park.scalar("SELECT z.code FROM zone z JOIN grid g ON g.zone_id = z.id WHERE g.code = :g",
                       g=park.grid)  # fmt: skip
    with live(base, ADMIN_TOKEN) as client:
        client.subscribe("grid", ISSUES, {"since": str(start), "grid": park.grid})
        client.subscribe("status", ISSUES, {"since": str(start), "status": [status]})
        client.subscribe("zone", VISITS, {"since": str(start), "zone": zone})
        comment(base, other, "not in the grid, nor of the status")
        comment(base, park.inside, "in the grid")
        cadre = park.scalar("SELECT min(id) FROM cadre")
        graphql(
            base, "mutation($u: String!, $c: ID!) { logVisit(enterprise: $u, cadre: $c,"
            ' at: "2026-01-05T10:00:00+08:00", duties: [SAFETY]) { __typename } }',
            u=park.uscc, c=str(cadre),
        )  # fmt: skip
        got: dict[str, list[Any]] = {"grid": [], "status": [], "zone": []}
        for _ in range(3):
            message = client.receive()
            got[message["id"]].append(message["payload"]["data"])
        client.quiet(1.0)
    assert [g["issueChanged"]["issue"]["id"] for g in got["grid"]] == [str(park.inside)]
    assert [g["issueChanged"]["issue"]["id"] for g in got["status"]] == [str(park.inside)]
    assert got["zone"][0]["visitLogged"]["visit"]["duties"] == ["SAFETY"]


def test_an_unknown_area_and_bad_arguments_are_refused(base: str) -> None:
    with live(base) as client:
        client.subscribe("1", VISITS, {"zone": "nowhere"})
        unknown = first_error(client, "1")
        client.subscribe("2", VISITS, {"zone": "no\x00where"})
        nul = first_error(client, "2")
        client.subscribe("3", VISITS, {"since": "9" * 30})
        huge = first_error(client, "3")
    assert unknown["extensions"] == {"code": "NOT_FOUND", "field": "zone"}
    assert nul["extensions"]["code"] == "BAD_USER_INPUT"
    assert huge["extensions"] == {"code": "BAD_USER_INPUT", "field": "since"}


def test_a_revoked_token_ends_the_connection(park: Park, base: str) -> None:
    cadre = park.scalar("SELECT cadre_id FROM api_token WHERE label = 'test' AND role = 'cadre'")
    token_id = add_token(park.url, "pgt_live-revoked", "cadre", cadre)
    with live(base, "pgt_live-revoked") as client:
        client.subscribe("1", ISSUES, {"since": str(park.head())})
        park.scalar(
            "UPDATE api_token SET revoked_at = now() WHERE id = :t RETURNING id", t=token_id
        )
        comment(base, park.inside, "after the revocation")
        assert client.closed() == (4401, "the token was revoked")


def test_a_bad_token_is_refused_at_connection_init(base: str) -> None:
    with live(base, "pgt_no-such-token", acknowledged=False) as client:
        assert client.closed() == (4403, "unknown token")


def test_only_graphql_transport_ws_is_spoken(base: str) -> None:
    url = base.replace("http://", "ws://", 1) + "/graphql"
    legacy = [Subprotocol("graphql-ws")]
    with (
        connect(url, subprotocols=legacy, open_timeout=10) as socket,
        pytest.raises(ConnectionClosed) as closed,
    ):
        socket.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4406


def test_queries_and_mutations_go_over_http(base: str) -> None:
    with live(base) as client:
        client.subscribe("1", "{ parks { totalCount } }")
        message = client.receive()
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_two_server_processes_each_deliver_what_the_other_wrote(park: Park, base: str) -> None:
    """Once each has delivered a first change, its replay is over: what follows comes live."""
    start = park.head()
    with served(park.url) as other, live(base) as first, live(other) as second:
        for client in (first, second):
            client.subscribe("1", ISSUES, {"since": str(start)})
        comment(base, park.outside, "before")
        for client in (first, second):
            client.items("1", 1)
        comment(base, park.inside, "through the first")
        comment(other, park.inside, "through the second")
        expected = park.events_after(start, "issue")[1:]
        for client in (first, second):
            got = [item["issueChanged"]["eventId"] for item in client.items("1", 2)]
            assert got == expected
            client.quiet(0.5)


def test_a_change_committed_while_the_listener_reconnects_still_arrives(
    park: Park, base: str
) -> None:
    """The server's listening connection is killed (as a database restart would): once it
    listens again, the subscription reads what it missed from the log."""
    start = park.head()
    with live(base, ADMIN_TOKEN) as client:
        client.subscribe("1", ISSUES, {"since": str(start)})
        comment(base, park.inside, "before")
        client.items("1", 1)
        killed = park.scalar(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND query = 'LISTEN parkgrid_events'"
        )
        assert killed == 1
        sql_change(park, park.inside, "while it reconnects", commit=True)
        got = [item["issueChanged"]["eventId"] for item in client.items("1", 1)]
        client.quiet(0.5)
    assert got == park.events_after(start, "issue")[1:]


def test_an_idle_connection_is_pinged_and_closed_once_its_token_expires(park: Park) -> None:
    cadre = park.scalar("SELECT cadre_id FROM api_token WHERE label = 'test' AND role = 'cadre'")
    token_id = add_token(park.url, "pgt_live-expiring", "cadre", cadre)
    app = create_app(DatabaseSettings(url=park.url))
    view: Any = next(r.app for r in app.routes if isinstance(r, WebSocketRoute))
    view.keep_alive_interval, view.token_check_s = 0.1, 0.3
    init = {"type": "connection_init", "payload": {"Authorization": "Bearer pgt_live-expiring"}}
    with TestClient(app) as client, client.websocket_connect("/graphql", [PROTOCOL]) as socket:
        socket.send_json(init)
        assert socket.receive_json() == {"type": "connection_ack"}
        socket.send_json({"id": "1", "type": "subscribe", "payload": {"query": VISITS}})
        assert socket.receive_json() == {"type": "ping"}
        park.scalar(
            "UPDATE api_token SET expires_at = now() WHERE id = :t RETURNING id", t=token_id
        )
        with pytest.raises(WebSocketDisconnect) as closed:
            for _ in range(100):  # pings every 0.1 s bound the wait
                assert socket.receive_json() == {"type": "ping"}
                socket.send_json({"type": "pong"})
    assert (closed.value.code, closed.value.reason) == (4401, "the token has expired")
