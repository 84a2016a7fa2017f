"""Answers written back: the requests' outcomes gathered into batches, each batch one write of
statuses, the users found unreachable remembered, and the sending rate kept for the progress
message."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import NamedTuple

import asyncpg

from bot.db import broadcasts as db
from bot.db import reachability
from bot.db.broadcasts import Recipient
from bot.metrics import Metrics
from bot.services.delivery.lanes import Lane
from bot.services.delivery.sender import Outcome

BATCH = 1000  # answers written in one statement at most


class Done(NamedTuple):
    """A request's answer, waiting to be written."""
    lane: Lane
    recipient: Recipient
    attempt: int
    outcome: Outcome


# the engine's: try a recipient again after a delay (its lane, or the queue if it stopped)
RetryLater = Callable[[Lane, Recipient, int, float], Awaitable[None]]
# the breaker's: (broadcast id, status) of the results just written
Judge = Callable[[list[tuple[int, str]]], Awaitable[None]]


class ResultWriter:
    def __init__(self, pool: asyncpg.Pool, metrics: Metrics, *, retry_later: RetryLater,
                 paid: Callable[[], bool], written: Callable[[], None],
                 judge: Judge | None = None) -> None:
        self.pool, self.metrics = pool, metrics
        self.retry_later, self.paid, self.written = retry_later, paid, written
        self.judge = judge  # shown each batch's (broadcast, status) once written
        self.queue: asyncio.Queue[Done] = asyncio.Queue()
        self._sent_at: deque[float] = deque(maxlen=5000)

    def put(self, done: Done) -> None:
        self.queue.put_nowait(done)

    async def drain(self, timeout: float) -> None:
        """Wait until what came back is written (at most `timeout` seconds)."""
        try:
            await asyncio.wait_for(self.queue.join(), timeout=timeout)
        except asyncio.TimeoutError:
            pass

    async def run(self) -> None:
        while True:
            items = [await self.queue.get()]
            # let a batch gather; short at the free pace: results still in memory at a
            # kill -9 turn into 'unknown'
            await asyncio.sleep(0.1 if self.paid() else 0.03)
            while not self.queue.empty() and len(items) < BATCH:
                items.append(self.queue.get_nowait())
            try:
                await self._write(items)
            finally:
                for _ in items:
                    self.queue.task_done()
            self.written()  # room in the window: the dispatcher may claim more

    async def _write(self, items: list[Done]) -> None:
        refused = [done for done in items if done.outcome.retry_after is not None]
        if refused:  # a 429 delivered nothing: claimed again, then tried after the wait
            await db.off_wire(self.pool, [done.recipient.id for done in refused])
            for done in refused:
                assert done.outcome.retry_after is not None
                await self.retry_later(done.lane, done.recipient, done.attempt,
                                       done.outcome.retry_after)
        items = [done for done in items if done.outcome.retry_after is None]
        # attempts: those of earlier runs (the claim counted this run's first) and this run's
        results = [replace(outcome.result, attempts=recipient.attempts - 1
                           + lane.tries.pop(recipient.id, 1))
                   for lane, recipient, _, outcome in items if outcome.result is not None]
        await db.record(self.pool, results)
        blocked = [(d.recipient.user_id, d.outcome.unreachable) for d in items if d.outcome.unreachable]
        await reachability.mark_unreachable(self.pool, [u for u, _ in blocked], [why for _, why in blocked])
        now = time.monotonic()
        judged = []
        for lane, _, _, outcome in items:
            lane.outstanding -= 1
            status = outcome.result.status if outcome.result else "unknown"
            self.metrics.messages.labels(outcome=status).inc()
            judged.append((lane.id, status))
            if status == "sent":
                self._sent_at.append(now)
        if self.judge is not None:
            await self.judge(judged)

    def current_rate(self) -> float | None:
        """Messages delivered per second over the last few seconds."""
        now = time.monotonic()
        recent = [t for t in self._sent_at if t > now - 5.0]
        if len(recent) < 2:
            return None
        return len(recent) / max(now - recent[0], 1.0)
