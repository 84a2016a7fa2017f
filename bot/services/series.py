"""Recurring broadcasts: a series is made from a draft, paused, resumed, told to skip its next
occurrence, given a new time or content, or stopped, each step in the audit log with the
change. When an occurrence is due, it becomes an ordinary broadcast (its audience taken afresh
when it starts) in the same transaction that moves the series on, so with several instances
each occurrence starts once; one missed for longer than GRACE (the bot was not running) is
skipped, and its author told, rather than sent late."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import asyncpg

from bot.db import audiences, audit
from bot.db import broadcasts as broadcast_db
from bot.db import series as db
from bot.db.audiences import Audience
from bot.db.broadcasts import Content
from bot.db.pool import transaction
from bot.db.series import Series
from bot.services.broadcasts import BroadcastService
from bot.db.series import Rule

log = logging.getLogger(__name__)

GRACE = timedelta(hours=1)  # an occurrence later than this is skipped, not sent late

Outcome = Literal["sent", "skipped", "missed"]


@dataclass(frozen=True)
class Occurrence:
    """What became of one due occurrence."""

    series: Series
    due: datetime
    outcome: Outcome
    broadcast_id: int | None  # the broadcast it became ("sent")
    next_at: datetime | None  # None: that was the last one, the series has ended


class SeriesService:
    def __init__(self, broadcasts: BroadcastService, tz: ZoneInfo) -> None:
        self.broadcasts, self.pool, self.tz = broadcasts, broadcasts.pool, tz

    def now(self) -> datetime:
        """The engine's clock (tests move it)."""
        return self.broadcasts.engine.clock()

    def upcoming(self, series: Series, count: int = 3) -> list[datetime]:
        """The next occurrences, from next_at on (a paused series: from now)."""
        if series.next_at is None:
            return []
        start = series.next_at - timedelta(seconds=1) if not series.paused else self.now()
        return series.rule.upcoming(start, self.tz, count)

    async def create(self, content: Content, audience: Audience, rule: Rule, admin_id: int,
                     **options: Any) -> Series | None:
        """A new series from its first occurrence on (a draft already made into one: that
        one); None if the rule gives none (its end date comes before)."""
        made = await self.make(content, audience, rule, admin_id, **options)
        return made[0] if made else None

    async def make(self, content: Content, audience: Audience, rule: Rule, admin_id: int, *,
                   draft_key: str | None = None, holdout: int = 0, cap_off: bool = False,
                   quiet_off: bool = False, awaiting_approval: bool = False
                   ) -> tuple[Series, bool] | None:
        """A new series from its first occurrence on, or (`awaiting_approval`) kept for a
        second pair of eyes; (the series, created): a draft already made into one gives that
        one, False. None if the rule gives none (its end date comes before)."""
        first = rule.next_after(self.now(), self.tz)
        if first is None:
            return None
        async with transaction(self.pool) as conn:
            series_id, created = await db.create(
                conn, content, audience, rule, first, admin_id, draft_key=draft_key,
                holdout_percent=holdout, frequency_cap_off=cap_off, quiet_hours_off=quiet_off,
                awaiting_approval=awaiting_approval)
            if created:
                details: dict[str, object] = {"audience": audience.to_json(),
                                              "rule": rule.to_json(), "first": first.isoformat()}
                if awaiting_approval:
                    details["recipients"] = (await audiences.count(conn, audience)).total
                await audit.record_action(
                    conn, admin_id, "series.submit" if awaiting_approval else "series.create",
                    f"series:{series_id}", details)
        made = await db.get(self.pool, series_id)
        assert made is not None
        return made, created

    # ---- four eyes -----------------------------------------------------------------------

    async def approve(self, series_id: int, by: int) -> Series | None:
        """Activate a series awaiting approval from the rule's next occurrence after now;
        None if it was decided already or `by` wrote it."""
        found = await db.get(self.pool, series_id)
        if found is None:
            return None
        next_at = found.rule.next_after(self.now(), self.tz)
        async with transaction(self.pool) as conn:
            author = await db.approve(conn, series_id, by, next_at)
            if author is None:
                return None
            if next_at is None:  # its end date passed while it waited
                await db.stop(conn, series_id)
            await audit.record_action(conn, by, "series.approve", f"series:{series_id}", {
                "author": author, "next_at": next_at.isoformat() if next_at else None})
        return await db.get(self.pool, series_id)

    async def reject(self, series_id: int, by: int, reason: str) -> int | None:
        """Stop a series awaiting approval; its author's id (None: decided already, or `by`
        wrote it)."""
        async with transaction(self.pool) as conn:
            author = await db.reject(conn, series_id, by, reason)
            if author is not None:
                await audit.record_action(conn, by, "series.reject", f"series:{series_id}",
                                          {"author": author, "reason": reason})
        return author

    # ---- the admin's changes -------------------------------------------------------------

    async def pause(self, series_id: int, admin_id: int) -> bool:
        return await self._change(series_id, admin_id, "pause",
                                  lambda conn: db.set_paused(conn, series_id, True))

    async def resume(self, series_id: int, admin_id: int) -> bool:
        """Go on from the rule's next occurrence after now (none missed while paused is sent)."""
        series = await db.get(self.pool, series_id)
        if series is None:
            return False
        next_at = series.rule.next_after(self.now(), self.tz)
        if next_at is None:  # its end date passed while it was paused
            return await self.stop(series_id, admin_id, ended=True)
        return await self._change(series_id, admin_id, "resume",
                                  lambda conn: db.set_paused(conn, series_id, False, next_at),
                                  next_at=next_at.isoformat())

    async def skip_next(self, series_id: int, admin_id: int, skip: bool) -> bool:
        series = await db.get(self.pool, series_id)
        due = series.next_at.isoformat() if series and series.next_at else None
        return await self._change(series_id, admin_id, "skip" if skip else "unskip",
                                  lambda conn: db.set_skip_next(conn, series_id, skip), due=due)

    def quiet_at(self, moment: datetime, audience: Audience, quiet_off: bool) -> bool:
        """Whether an occurrence at `moment` would wait for the quiet hours to end."""
        return not quiet_off and not audience.personal and \
            self.broadcasts.quiet_end(moment) is not None

    async def set_rule(self, series_id: int, rule: Rule, admin_id: int) -> bool:
        """A new rule from now on; a pending «skip the next one» is dropped with the old
        schedule (the audit entry says so). False when the series no longer goes."""
        series = await db.get(self.pool, series_id)
        next_at = rule.next_after(self.now(), self.tz)
        if series is None or next_at is None:  # an active series always has its next one
            return False
        return await self._change(series_id, admin_id, "edit_rule",
                                  lambda conn: db.set_rule(conn, series_id, rule, next_at),
                                  rule=rule.to_json(), was=series.rule.to_json(),
                                  skip_cleared=series.skip_next,
                                  next_at=next_at.isoformat())

    async def set_content(self, series_id: int, content: Content, admin_id: int) -> bool:
        return await self._change(series_id, admin_id, "edit",
                                  lambda conn: db.set_content(conn, series_id, content))

    async def stop(self, series_id: int, admin_id: int, *, ended: bool = False) -> bool:
        return await self._change(series_id, admin_id, "stop",
                                  lambda conn: db.stop(conn, series_id),
                                  **({"reason": "ended"} if ended else {}))

    async def _change(self, series_id: int, admin_id: int, action: str,
                      change: Callable[[asyncpg.Connection], Awaitable[bool]],
                      **details: object) -> bool:
        """A change and its audit entry (with the series' audience) in one transaction."""
        series = await db.get(self.pool, series_id)
        if series is not None:
            details["audience"] = series.audience.to_json()
        return await audit.recorded(self.pool, admin_id, f"series.{action}",
                                    f"series:{series_id}", details, change)

    # ---- the scheduler's part ------------------------------------------------------------

    async def run_due(self) -> list[Occurrence]:
        """Every occurrence due by now, one transaction each; the broadcasts made are started
        after their transaction (one left unstarted by a crash is a scheduled broadcast like
        any other: the due-broadcasts job starts it)."""
        taken: list[Occurrence] = []
        while (occurrence := await self._take_one(self.now())) is not None:
            taken.append(occurrence)
            if occurrence.broadcast_id is not None:
                await self.broadcasts.start_scheduled(occurrence.broadcast_id, None)
        return taken

    async def _take_one(self, now: datetime) -> Occurrence | None:
        async with transaction(self.pool) as conn:
            series = await db.take_due(conn, now)
            if series is None or series.next_at is None:
                return None
            due = series.next_at
            next_at = series.rule.next_after(max(now, due), self.tz)
            outcome: Outcome = "skipped" if series.skip_next else \
                "missed" if now - due > GRACE else "sent"
            broadcast_id = await self._make_broadcast(conn, series, due) \
                if outcome == "sent" else None
            await db.advance(conn, series, next_at)
            await audit.record_action(conn, 0, f"series.{outcome}", f"series:{series.id}", {
                "due": due.isoformat(), "broadcast": broadcast_id,
                "next_at": next_at.isoformat() if next_at else None})
            if next_at is None:
                await audit.record_action(conn, 0, "series.ended", f"series:{series.id}",
                                          {"until": series.rule.until.isoformat()
                                           if series.rule.until else None})
        log.info("series occurrence", extra={"series_id": series.id, "outcome": outcome,
                                             "broadcast_id": broadcast_id})
        return Occurrence(series, due, outcome, broadcast_id, next_at)

    async def _make_broadcast(self, conn: asyncpg.Connection, series: Series,
                              due: datetime) -> int:
        """The occurrence as a scheduled broadcast of the series (the draft key makes one per
        occurrence, whatever happens)."""
        broadcast_id, _created = await broadcast_db.create(
            conn, series.content, series.audience, series.created_by, scheduled_at=due,
            draft_key=f"series:{series.id}:{due.isoformat()}",
            holdout_percent=series.holdout_percent, links_base=self.broadcasts.links_base,
            frequency_cap_off=series.frequency_cap_off, quiet_hours_off=series.quiet_hours_off)
        await db.link(conn, broadcast_id, series.id)
        return broadcast_id
