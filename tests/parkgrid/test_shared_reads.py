"""parkgrid.changes.Shared: the reads subscribers of one process share (one per key while it
runs and for a while after), with failures never kept and a waiter's departure never
cancelling the read for the others."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from parkgrid.changes import Shared


class Reads:
    """A read that counts its runs, waits for `gate`, and answers or fails as told."""

    def __init__(self) -> None:
        self.runs = 0
        self.gate = asyncio.Event()
        self.fail = False

    async def __call__(self) -> int:
        self.runs += 1
        await self.gate.wait()
        if self.fail:
            raise RuntimeError("the database went away")
        return self.runs


def run(work: Any) -> Any:
    async def bounded() -> Any:
        return await asyncio.wait_for(work(), 10)

    return asyncio.run(bounded())


def test_callers_with_one_key_share_one_read() -> None:
    async def work() -> tuple[list[int], int, int]:
        shared, reads = Shared(), Reads()
        waiting = [asyncio.create_task(shared.once("k", reads)) for _ in range(50)]
        await asyncio.sleep(0.01)
        reads.gate.set()
        answers = await asyncio.gather(*waiting)
        later = await shared.once("k", reads)  # kept: no new read
        other = await shared.once("other", reads)
        return answers, later, other

    answers, later, other = run(work)
    assert answers == [1] * 50 and later == 1
    assert other == 2  # another key is read again


def test_a_failure_is_not_kept() -> None:
    async def work() -> tuple[int, int]:
        shared, reads = Shared(), Reads()
        reads.fail = True
        reads.gate.set()
        with pytest.raises(RuntimeError):
            await shared.once("k", reads)
        reads.fail = False
        return await shared.once("k", reads), reads.runs

    assert run(work) == (2, 2)


def test_a_waiter_leaving_does_not_cancel_the_read() -> None:
    async def work() -> tuple[bool, int, int]:
        shared, reads = Shared(), Reads()
        first = asyncio.create_task(shared.once("k", reads))
        second = asyncio.create_task(shared.once("k", reads))
        await asyncio.sleep(0.01)
        first.cancel()
        reads.gate.set()
        answer = await second
        return first.cancelled(), answer, reads.runs

    assert run(work) == (True, 1, 1)


def test_answers_and_moments_expire() -> None:
    async def work() -> tuple[int, bool, bool, int]:
        shared, reads = Shared(keep_s=0.05), Reads()
        reads.gate.set()
        await shared.once("k", reads)
        moment = shared.moment("notice 1")
        same = shared.moment("notice 1") == moment
        made = shared.remember("plan", lambda: object())
        kept = shared.remember("plan", lambda: object()) is made
        await asyncio.sleep(0.1)
        again = await shared.once("k", reads)
        return again, same, kept and shared.remember("plan", lambda: 1) == 1, reads.runs

    again, same, kept, runs = run(work)
    assert (again, runs) == (2, 2)  # read again once the answer expired
    assert same and kept
