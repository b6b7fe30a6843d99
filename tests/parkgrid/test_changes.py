"""Change notifications (migration 0005) and the process's listener (parkgrid.changes) on real
PostGIS: committed events are announced with the areas they concern, rolled-back ones not at
all; a statement of many events stays within NOTIFY's payload limit; a subscriber that falls
behind is dropped; the listener listens again after its connection is killed and says so."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Iterator
from typing import Any, TypeVar

import psycopg2
import pytest
from sqlalchemy import Engine, create_engine, text

from parkgrid.changes import Changes, Interest, Notice, Signal, Subscriber
from parkgrid.cluster import libpq_dsn
from tests.conftest import Databases

T = TypeVar("T")
WAIT_S = 10.0
ISSUE_EVENT = (
    "INSERT INTO event (subject, subject_id, enterprise_id, action)"
    " SELECT 'issue', i.id, i.enterprise_id, 'commented' FROM issue i WHERE i.id = :id"
    " RETURNING id"
)
AREAS = """
SELECT ARRAY[g.id] AS grids, ARRAY[g.zone_id] AS zones, ARRAY[z.park_id] AS parks
FROM issue i JOIN enterprise e ON e.id = i.enterprise_id JOIN grid g ON g.id = e.grid_id
JOIN zone z ON z.id = g.zone_id WHERE i.id = :id
"""


@pytest.fixture(scope="module")
def url(databases: Databases, demo_template: str) -> str:
    return databases.url(databases.create(template=demo_template))


@pytest.fixture(scope="module")
def engine(url: str) -> Iterator[Engine]:
    engine = create_engine(url)
    yield engine
    engine.dispose()


def run(work: Awaitable[T]) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(work, 60)

    return asyncio.run(bounded())


def write(engine: Engine, statement: str, commit: bool = True, **params: Any) -> list[int]:
    with engine.connect() as conn:
        ids = [row[0] for row in conn.execute(text(statement), params)]
        (conn.commit if commit else conn.rollback)()
    return ids


async def started(url: str, queue_size: int = 256) -> Changes:
    changes = Changes(libpq_dsn(url), queue_size)
    changes.start()
    await asyncio.wait_for(changes.listening.wait(), WAIT_S)
    return changes


async def received(subscriber: Subscriber) -> Notice | Signal:
    return await asyncio.wait_for(subscriber.next(), WAIT_S)


async def notices(subscriber: Subscriber, count: int) -> list[Notice]:
    found: list[Notice] = []
    while len(found) < count:
        item = await received(subscriber)
        if item is not Signal.GAP:
            assert isinstance(item, Notice), item
            found.append(item)
    return found


def test_committed_events_are_announced_with_their_areas(url: str, engine: Engine) -> None:
    async def scenario() -> list[Notice]:
        changes = await started(url)
        try:
            with changes.subscribed(Interest()) as subscriber:
                await asyncio.to_thread(write, engine, ISSUE_EVENT, False, id=1)
                await asyncio.to_thread(write, engine, ISSUE_EVENT, True, id=2)
                found = await notices(subscriber, 1)
                await asyncio.sleep(0.5)
                assert subscriber.queue.empty()  # nothing of the rolled-back one
                return found
        finally:
            await changes.stop()

    [notice] = run(scenario())
    with engine.connect() as conn:
        areas = conn.execute(text(AREAS), {"id": 2}).one()
        enterprise = conn.execute(text("SELECT enterprise_id FROM issue WHERE id = 2")).scalar()
    assert (notice.subject, notice.subject_id, notice.action) == ("issue", 2, "commented")
    assert notice.enterprise_id == enterprise
    assert (sorted(notice.grids), sorted(notice.zones), sorted(notice.parks)) == (
        areas.grids, areas.zones, areas.parks,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("subject", "action", "target", "expected"),
    [
        ("grid", "upserted", "SELECT id FROM grid ORDER BY code LIMIT 1",
         "SELECT ARRAY[g.id], ARRAY[g.zone_id], ARRAY[z.park_id] FROM grid g"
         " JOIN zone z ON z.id = g.zone_id ORDER BY g.code LIMIT 1"),
        ("zone", "upserted", "SELECT id FROM zone ORDER BY code LIMIT 1",
         "SELECT ARRAY[]::bigint[], ARRAY[id], ARRAY[park_id] FROM zone ORDER BY code LIMIT 1"),
        ("assignment", "assigned", "SELECT min(id) FROM assignment WHERE role = 'zone_lead'",
         "SELECT ARRAY[]::bigint[], ARRAY[z.id], ARRAY[z.park_id] FROM assignment a"
         " JOIN zone z ON z.id = a.zone_id WHERE a.id = (SELECT min(id) FROM assignment"
         " WHERE role = 'zone_lead')"),
    ],
)  # fmt: skip
def test_each_subject_concerns_its_areas(
    engine: Engine, subject: str, action: str, target: str, expected: str
) -> None:
    with engine.connect() as conn:
        subject_id = conn.execute(text(target)).scalar_one()
        notice = conn.execute(
            text(
                "SELECT parkgrid_event_notice(CAST(ROW(0, now(), NULL, :s, :i, NULL, :a, '{}',"
                " NULL, NULL) AS event))"
            ),
            {"s": subject, "i": subject_id, "a": action},
        ).scalar_one()
        grids, zones, parks = conn.execute(text(expected)).one()
    assert (notice["grids"], notice["zones"], notice["parks"]) == (grids, zones, parks)


def test_a_move_across_grids_concerns_both(engine: Engine) -> None:
    with engine.connect() as conn:
        codes = conn.execute(text("SELECT code, id FROM grid ORDER BY code LIMIT 2")).all()
        changes = json.dumps({"grid": [codes[0].code, codes[1].code]})
        notice = conn.execute(
            text(
                "SELECT parkgrid_event_notice(CAST(ROW(0, now(), NULL, 'enterprise', 1, 1,"
                " 'grid_changed', CAST(:c AS jsonb), NULL, NULL) AS event))"
            ),
            {"c": changes},
        ).scalar_one()
    assert {codes[0].id, codes[1].id} <= set(notice["grids"])  # and enterprise 1's own


def test_many_events_in_one_statement_fit_the_payload_limit(url: str, engine: Engine) -> None:
    listener = psycopg2.connect(libpq_dsn(url))
    listener.autocommit = True
    listener.cursor().execute("LISTEN parkgrid_events")
    ids = write(engine, "INSERT INTO event (subject, subject_id, enterprise_id, action)"
                " SELECT 'visit', v.id, v.enterprise_id, 'logged' FROM visit v RETURNING id")  # fmt: skip
    payloads: list[str] = []
    deadline = time.monotonic() + WAIT_S
    while sum(len(json.loads(p)) for p in payloads) < len(ids) and time.monotonic() < deadline:
        listener.poll()
        payloads += [n.payload for n in listener.notifies]
        del listener.notifies[:]
        time.sleep(0.02)
    listener.close()
    assert len(ids) > 2000
    assert max(len(p.encode()) for p in payloads) < 8000
    assert len(payloads) < len(ids) / 20  # many notices to a notification
    assert [n["id"] for p in payloads for n in json.loads(p)] == sorted(ids)


def test_a_subscriber_that_falls_behind_is_dropped(url: str, engine: Engine) -> None:
    async def scenario() -> tuple[list[Notice | Signal], list[Notice]]:
        changes = await started(url, queue_size=3)
        try:
            with (
                changes.subscribed(Interest()) as slow,
                changes.subscribed(Interest(subjects=frozenset({"issue"}))) as issues,
            ):
                many = ISSUE_EVENT.replace("i.id = :id", "i.id <= 2")
                zones = ("INSERT INTO event (subject, subject_id, action) VALUES ('zone', 1, 'x'),"
                         " ('zone', 1, 'y') RETURNING id")  # fmt: skip
                await asyncio.to_thread(write, engine, many)
                await asyncio.to_thread(write, engine, zones)
                kept = await notices(issues, 2)
                await asyncio.sleep(0.3)
                return [slow.queue.get_nowait() for _ in range(slow.queue.qsize())], kept
        finally:
            await changes.stop()

    slow, kept = run(scenario())
    assert slow == [Signal.DROPPED]
    assert [n.subject_id for n in kept] == [1, 2]


def test_the_listener_listens_again_after_losing_its_connection(url: str, engine: Engine) -> None:
    async def scenario() -> list[Notice | Signal]:
        changes = await started(url)
        try:
            with changes.subscribed(Interest()) as subscriber:
                killed = await asyncio.to_thread(
                    write, engine, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND query = 'LISTEN parkgrid_events'"
                )  # fmt: skip
                assert killed == [True]
                gap = await received(subscriber)
                [event_id] = await asyncio.to_thread(write, engine, ISSUE_EVENT, id=3)
                notice = await received(subscriber)
                assert isinstance(notice, Notice) and notice.id == event_id
                return [gap, notice]
        finally:
            await changes.stop()

    gap, _ = run(scenario())
    assert gap is Signal.GAP


def test_offer_keeps_what_is_wanted_and_drops_a_full_queue() -> None:
    def notice(n: int, grid: int) -> Notice:
        return Notice(n, "issue", n, "commented", grids=frozenset({grid}))

    async def scenario() -> tuple[int, bool, list[Notice | Signal]]:
        subscriber = Subscriber(Interest(grid=7), size=2)
        subscriber.offer(notice(1, 8))  # not wanted
        subscriber.offer(notice(2, 7))
        wanted = subscriber.queue.qsize()
        subscriber.offer(notice(3, 7))
        subscriber.offer(notice(4, 7))  # the third waiting: dropped
        subscriber.offer(notice(5, 7))  # after that, nothing
        left = [subscriber.queue.get_nowait() for _ in range(subscriber.queue.qsize())]
        return wanted, subscriber.dropped, left

    assert run(scenario()) == (1, True, [Signal.DROPPED])
