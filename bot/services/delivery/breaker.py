"""The circuit breaker: a broadcast whose recent results are blocked or failed well above the
setting and above what its audience usually gives pauses, with the numbers, and goes on
with «Продолжить». The same judgement decides whether a canary lets the rest go."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import asyncpg

from bot.db import audit, safeguards
from bot.db import broadcasts as db
from bot.db.pool import transaction

log = logging.getLogger(__name__)

WINDOW = 300        # the last results judged
MIN_JUDGED = 100    # ... once at least this many are in
MARGIN = 0.02       # "clearly above the usual": more than twice the usual and 2 points


@dataclass(frozen=True)
class Judged:
    """Blocked and failed among `seen` answers, against the audience's `usual` share."""

    blocked: int
    failed: int
    seen: int
    usual: float | None
    limit_percent: float

    @property
    def share(self) -> float:
        return (self.blocked + self.failed) / self.seen if self.seen else 0.0

    @property
    def crossed(self) -> bool:
        """Above the setting and clearly above what this audience usually gives."""
        return (self.seen > 0 and self.share * 100 > self.limit_percent
                and self.share > 2 * (self.usual or 0.0) + MARGIN)

    def note(self, by: str) -> dict[str, Any]:
        """What the progress message and the audit log say about a stop."""
        return {"by": by, "blocked": self.blocked, "failed": self.failed, "seen": self.seen,
                "usual": None if self.usual is None else round(self.usual, 4),
                "limit": self.limit_percent}


class UsualRates:
    """Each broadcast's audience's usual share of blocked and failed, read once."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._known: dict[int, float | None] = {}

    async def of(self, broadcast_id: int) -> float | None:
        if broadcast_id not in self._known:
            broadcast = await db.get(self.pool, broadcast_id)
            self._known[broadcast_id] = None if broadcast is None else \
                await safeguards.usual_fail_share(self.pool, broadcast)
        return self._known[broadcast_id]


class Breaker:
    """Watches the results the writer records (`observe`), a rolling window per broadcast;
    a window starts afresh whenever a broadcast's lane opens again (`forget`), so a resumed
    broadcast is not stopped again by the results that stopped it."""

    def __init__(self, pool: asyncpg.Pool, limit_percent: float | None, usual: UsualRates,
                 report: Callable[[int], Awaitable[object]], stopped: Callable[[], None]
                 ) -> None:
        self.pool, self.limit, self.usual = pool, limit_percent, usual
        self.report, self.stopped = report, stopped
        self._windows: dict[int, deque[str]] = {}

    def forget(self, broadcast_id: int) -> None:
        self._windows.pop(broadcast_id, None)

    async def observe(self, results: Iterable[tuple[int, str]]) -> None:
        """(broadcast id, status) of the results just written."""
        if self.limit is None:
            return
        touched = set()
        for broadcast_id, status in results:
            if status in ("sent", "blocked", "failed"):
                self._windows.setdefault(broadcast_id, deque(maxlen=WINDOW)).append(status)
                touched.add(broadcast_id)
        for broadcast_id in touched:
            window = self._windows[broadcast_id]
            if len(window) >= MIN_JUDGED:
                await self._judge(broadcast_id, window)

    async def _judge(self, broadcast_id: int, window: deque[str]) -> None:
        assert self.limit is not None
        blocked, failed = window.count("blocked"), window.count("failed")
        if (blocked + failed) * 100 <= self.limit * len(window):  # the usual rate is not needed
            return
        judged = Judged(blocked, failed, len(window), await self.usual.of(broadcast_id),
                        self.limit)
        if not judged.crossed:
            return
        self.forget(broadcast_id)
        async with transaction(self.pool) as conn:
            if not await safeguards.pause_for(conn, broadcast_id, judged.note("breaker")):
                return
            await audit.record_action(conn, 0, "broadcast.breaker_trip",
                                      f"broadcast:{broadcast_id}", judged.note("breaker"))
        log.warning("breaker: broadcast paused", extra={
            "broadcast_id": broadcast_id, "blocked": blocked, "failed": failed,
            "seen": len(window)})
        self.stopped()
        await self.report(broadcast_id)
