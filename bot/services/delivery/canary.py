"""The canary: a large broadcast first goes to a random few of its recipients, then waits while
its author sees how they took it; the rest goes when the wait ends unless too many of them
blocked the bot or failed (judged as the breaker judges), or at once with «Продолжить».
Where a broadcast stands is kept in the database (its phase, the wait's end, the canary's
recipients), so a restart picks it up where it was; like quiet hours, the engine asks which
broadcasts it holds at every look."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta

import asyncpg

from bot.config import Safeguards
from bot.db import audit, safeguards
from bot.db import broadcasts as db
from bot.db.pool import transaction
from bot.services.delivery.breaker import Judged, UsualRates

log = logging.getLogger(__name__)

# phases of a broadcast's canary (message_history.canary_phase)
SENDING, WAITING, STOPPED, PASSED = "sending", "waiting", "stopped", "passed"


async def begin(conn: asyncpg.Connection, broadcast: db.Broadcast, rules: Safeguards,
                admin_id: int) -> bool:
    """At the start: a broadcast to enough people goes to its canary first (a message to one
    person never). True if it does."""
    if not rules.canary_first(broadcast.total) \
            or (broadcast.audience is not None and broadcast.audience.personal):
        return False
    size = await safeguards.choose_canary(conn, broadcast.id,
                                          safeguards.canary_size(broadcast.total))
    await audit.record_action(conn, admin_id, "broadcast.canary_start",
                              f"broadcast:{broadcast.id}",
                              {"canary": size, "recipients": broadcast.total,
                               "wait_minutes": rules.canary_wait_minutes})
    return True


async def go_on(conn: asyncpg.Connection, broadcast_id: int, admin_id: int) -> bool:
    """The author lets the rest go now, before the wait ends."""
    if not await safeguards.canary_passed(conn, broadcast_id):
        return False
    figures = await safeguards.canary_figures(conn, broadcast_id)
    await audit.record_action(conn, admin_id, "broadcast.canary_go", f"broadcast:{broadcast_id}",
                              _figures(figures))
    return True


def _figures(f: safeguards.CanaryFigures) -> dict[str, int]:
    return {"canary": f.size, "sent": f.sent, "blocked": f.blocked, "failed": f.failed,
            "clicks": f.clicks}


class CanaryWatch:
    def __init__(self, pool: asyncpg.Pool, rules: Safeguards, clock: Callable[[], datetime],
                 usual: UsualRates, report: Callable[[int], Awaitable[object]],
                 every: float) -> None:
        self.pool, self.rules, self.clock, self.usual = pool, rules, clock, usual
        self.report, self.every = report, every  # shows a progress message; how often
        self._shown: dict[int, float] = {}  # broadcast id -> when its wait was last shown

    async def hold(self, sending: Mapping[int, db.Broadcast]) -> set[int]:
        """The broadcasts whose canary holds the rest back now."""
        held = set()
        for broadcast_id, broadcast in sending.items():
            if broadcast.canary_phase == SENDING and await safeguards.canary_done(
                    self.pool, broadcast_id):
                await self._wait(broadcast_id)
                held.add(broadcast_id)
            elif broadcast.canary_phase == WAITING:
                until = broadcast.canary_until
                if until is None or self.clock() < until:
                    held.add(broadcast_id)
                    await self._show_now_and_then(broadcast_id)
                elif not await self._judge(broadcast_id):
                    held.add(broadcast_id)
        return held

    async def _wait(self, broadcast_id: int) -> None:
        until = self.clock() + timedelta(minutes=self.rules.canary_wait_minutes)
        if await safeguards.canary_waits(self.pool, broadcast_id, until):
            log.info("canary out: broadcast waits", extra={"broadcast_id": broadcast_id,
                                                           "until": until.isoformat()})
            await self.report(broadcast_id)
            self._shown[broadcast_id] = time.monotonic()

    async def _show_now_and_then(self, broadcast_id: int) -> None:
        """The figures change while it waits (clicks, late answers): show them again."""
        if time.monotonic() - self._shown.get(broadcast_id, 0.0) >= self.every:
            self._shown[broadcast_id] = time.monotonic()
            await self.report(broadcast_id)

    async def _judge(self, broadcast_id: int) -> bool:
        """The wait is over: the rest goes (True), or the broadcast stays paused with why."""
        self._shown.pop(broadcast_id, None)
        usual = await self.usual.of(broadcast_id)
        async with transaction(self.pool) as conn:
            figures = await safeguards.canary_figures(conn, broadcast_id)
            judged = Judged(figures.blocked, figures.failed, figures.answered, usual,
                            self.rules.fail_percent or 0.0)
            target = f"broadcast:{broadcast_id}"
            if self.rules.fail_percent is not None and judged.crossed:
                note = judged.note("canary")
                if await safeguards.pause_for(conn, broadcast_id, note, canary=True):
                    await audit.record_action(conn, 0, "broadcast.canary_stop", target,
                                              {**note, **_figures(figures)})
                passed = False
            else:
                if await safeguards.canary_passed(conn, broadcast_id):
                    await audit.record_action(conn, 0, "broadcast.canary_pass", target,
                                              _figures(figures))
                passed = True
        log.info("canary judged", extra={"broadcast_id": broadcast_id, "passed": passed,
                                         "blocked": figures.blocked, "failed": figures.failed})
        if not passed:
            await self.report(broadcast_id)
        return passed
