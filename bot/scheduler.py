"""APScheduler jobs. The database is the only source of truth: a job only looks for what is
due, so a restart loses nothing and several instances never start one broadcast twice."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import Settings
from bot.db import approvals
from bot.db import broadcasts as db
from bot.db import preferences, summaries
from bot.i18n import use_locale
from bot.services import offers
from bot.services.broadcasts import BroadcastService
from bot.services.series import Occurrence, SeriesService
from bot.handlers.digest import send_due_digests
from bot.views import series as series_views
from bot.views.approval import waits
from bot.views.scheduled import late_note

log = logging.getLogger(__name__)

LATE_NOTE_AFTER = 60  # seconds: a broadcast started later than this tells its author why


async def start_due_broadcasts(service: BroadcastService, admin_bot: Bot, tz: ZoneInfo) -> None:
    try:
        due = await db.due(service.pool)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        log.warning("due broadcasts not checked: %s", exc)  # the next run tries again
        return
    for broadcast in due:
        started = await service.start_scheduled(broadcast.id, None)
        if started is None or broadcast.scheduled_at is None:
            continue  # another instance took it
        late = (datetime.now(UTC) - broadcast.scheduled_at).total_seconds()
        log.info("scheduled broadcast started", extra={"broadcast_id": broadcast.id,
                                                       "late_seconds": round(late, 1)})
        if late > LATE_NOTE_AFTER and broadcast.created_by:
            with use_locale(await preferences.locale(service.pool, broadcast.created_by)):
                note = late_note(broadcast.id, broadcast.scheduled_at.astimezone(tz), late)
            try:
                await admin_bot.send_message(broadcast.created_by, note)
            except TelegramAPIError as exc:
                log.warning("late note not sent: %s", exc.message)


async def start_due_series(series: SeriesService, admin_bot: Bot) -> None:
    """Occurrences of recurring broadcasts that are due (by the engine's clock)."""
    try:
        taken = await series.run_due()
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        log.warning("due series not checked: %s", exc)  # the next run tries again
        return
    for occurrence in taken:
        await _tell_author(series, admin_bot, occurrence)


async def _tell_author(series: SeriesService, admin_bot: Bot, occurrence: Occurrence) -> None:
    """The author hears of an occurrence missed while the bot was not running, of one
    started late, and of the series' end."""
    author, late = occurrence.series.created_by, series.now() - occurrence.due
    notes = []
    with use_locale(await preferences.locale(series.pool, author)):
        if occurrence.outcome == "missed":
            notes.append(series_views.missed_note(occurrence.series.id, occurrence.due,
                                                  occurrence.next_at, series.tz))
        if occurrence.broadcast_id and late.total_seconds() > LATE_NOTE_AFTER:
            notes.append(late_note(occurrence.broadcast_id, occurrence.due.astimezone(series.tz),
                                   late.total_seconds()))
        if occurrence.next_at is None:
            notes.append(series_views.ended_note(occurrence.series.id, occurrence.series.rule))
    for note in notes:
        try:
            await admin_bot.send_message(author, note)
        except TelegramAPIError as exc:
            log.warning("series note not sent: %s", exc.message)


async def note_awaiting_approval(service: BroadcastService, admin_bot: Bot, tz: ZoneInfo) -> None:
    """A scheduled broadcast whose time came before anyone approved it waits; its author is
    told once."""
    try:
        late = await approvals.overdue(service.pool)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        log.warning("broadcasts awaiting approval not checked: %s", exc)
        return
    for broadcast in late:
        if broadcast.created_by and broadcast.scheduled_at:
            with use_locale(await preferences.locale(service.pool, broadcast.created_by)):
                note = waits(broadcast.id, broadcast.scheduled_at.astimezone(tz), tz)
            try:
                await admin_bot.send_message(broadcast.created_by, note)
            except TelegramAPIError as exc:
                log.warning("approval wait note not sent: %s", exc.message)


async def refresh_summaries(pool: asyncpg.Pool, timezone: str) -> None:
    """Feed the statistics' summaries from the platform's new rows."""
    try:
        read = await summaries.refresh(pool, timezone)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        log.warning("summaries not refreshed: %s", exc)
        return
    if read:
        log.info("summaries refreshed", extra={"rows": read})


class Scheduler:
    """APScheduler with its jobs tracked: stopping waits for the ones under way instead of
    cancelling them in the middle of a query (APScheduler's shutdown cancels running
    coroutine jobs, each logged with a traceback)."""

    def __init__(self) -> None:
        self.aps = AsyncIOScheduler(timezone=UTC)
        self._running: set[asyncio.Task[Any]] = set()

    def every(self, seconds: float, func: Callable[..., Awaitable[object]], *args: Any,
              job_id: str, now: bool = False) -> None:
        self.aps.add_job(self._tracked, IntervalTrigger(seconds=seconds), args=[func, *args],
                         id=job_id, max_instances=1, coalesce=True,
                         **({"next_run_time": datetime.now(UTC)} if now else {}))

    async def _tracked(self, func: Callable[..., Awaitable[object]], *args: Any) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._running.add(task)
        try:
            await func(*args)
        finally:
            self._running.discard(task)

    def start(self) -> None:
        self.aps.start()

    async def stop(self, timeout: float = 10.0) -> None:
        if not self.aps.running:
            return
        self.aps.pause()  # no new runs; then the ones under way end by themselves
        if self._running:
            await asyncio.wait(set(self._running), timeout=timeout)
        self.aps.shutdown(wait=False)  # (cancels what is still running after the timeout)


def create_scheduler(service: BroadcastService, admin_bot: Bot, settings: Settings,
                     series: SeriesService) -> Scheduler:
    scheduler = Scheduler()
    scheduler.every(1, start_due_broadcasts, service, admin_bot, settings.tz,
                    job_id="due-broadcasts", now=True)
    scheduler.every(1, start_due_series, series, admin_bot, job_id="due-series", now=True)
    scheduler.every(5, note_awaiting_approval, service, admin_bot, settings.tz,
                    job_id="approval-waits")
    scheduler.every(60, service.heal_reachability, job_id="reachability")
    scheduler.every(offers.CHECK_SECONDS, lambda: offers.end_offers(
        service.pool, service.engine.clock()), job_id="offers")
    scheduler.every(settings.stats_refresh_seconds, refresh_summaries, service.pool,
                    settings.timezone, job_id="summaries", now=True)
    scheduler.every(30, send_digests, service.pool, admin_bot, settings, job_id="digests")
    return scheduler


async def send_digests(pool: asyncpg.Pool, admin_bot: Bot, settings: Settings) -> None:
    try:
        await send_due_digests(pool, admin_bot, settings)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        log.warning("digests not checked: %s", exc)
