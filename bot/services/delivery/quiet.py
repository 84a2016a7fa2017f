"""Quiet hours: no broadcast goes out in these local hours. Which broadcasts wait is decided
from the clock at every look (so a restart in the night holds them too); the database notes
which wait and till when, for the progress message and one audit entry per pause and resume."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

import asyncpg

from bot.config import QuietHours
from bot.db import audit
from bot.db import broadcasts as db
from bot.db.pool import transaction

log = logging.getLogger(__name__)


class QuietWatch:
    def __init__(self, pool: asyncpg.Pool, hours: QuietHours | None, tz: ZoneInfo,
                 clock: Callable[[], datetime],
                 report: Callable[[int], Awaitable[object]]) -> None:
        self.pool, self.hours, self.tz, self.clock = pool, hours, tz, clock
        self.report = report  # shows a broadcast's progress message as it stands

    def end_for(self, broadcast: db.Broadcast) -> datetime | None:
        """When the quiet hours that hold this broadcast now end (None: it may send). A
        message to one person and a broadcast its author sends through them are not held."""
        if self.hours is None or broadcast.quiet_hours_off or (
                broadcast.audience is not None and broadcast.audience.personal):
            return None
        return self.hours.end_after(self.clock(), self.tz)

    async def hold(self, sending: dict[int, db.Broadcast], lanes: Mapping[int, object]
                   ) -> set[int]:
        """The broadcasts quiet hours hold now (`lanes`: those under way in this engine)."""
        ends = {i: end for i, b in sending.items() if (end := self.end_for(b)) is not None}
        waits: dict[datetime, list[int]] = defaultdict(list)
        for broadcast_id, end in ends.items():
            if sending[broadcast_id].quiet_until != end:
                waits[end].append(broadcast_id)
        over = [i for i, b in sending.items() if b.quiet_until is not None and i not in ends]
        paused: list[int] = []
        if waits or over:
            async with transaction(self.pool) as conn:
                for end, ids in waits.items():
                    for broadcast_id in await db.wait_for_quiet_end(conn, ids, end):
                        log.info("quiet hours: broadcast waits", extra={
                            "broadcast_id": broadcast_id, "until": end.isoformat()})
                        await audit.record_action(conn, 0, "broadcast.quiet_pause",
                                                  f"broadcast:{broadcast_id}",
                                                  {"until": end.isoformat()})
                        paused.append(broadcast_id)
                for broadcast_id in await db.quiet_over(conn, over):
                    log.info("quiet hours over: broadcast goes on",
                             extra={"broadcast_id": broadcast_id})
                    await audit.record_action(conn, 0, "broadcast.quiet_resume",
                                              f"broadcast:{broadcast_id}", {})
        for broadcast_id in paused:  # held before it ever sent: its author hears of it here
            if broadcast_id not in lanes:  # (a lane says so when it closes)
                await self.report(broadcast_id)
        return set(ends)
