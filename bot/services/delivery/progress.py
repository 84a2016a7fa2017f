"""The progress message each broadcast's author watches: edited every few seconds, and a
final summary when it ends (or pauses, or is cancelled). What it looks like is not decided
here: the composition root gives the reporter a `render` (the same one the handlers use)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

import asyncpg
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter
from aiogram.types import InlineKeyboardMarkup

from bot.config import QuietHours
from bot.db import broadcasts as db
from bot.db import preferences, safeguards, streams
from bot.db.safeguards import CanaryFigures
from bot.i18n import use_locale
from bot.metrics import Metrics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Progress:
    """What a progress message (or the summary) tells: the broadcast, the titles of the
    streams (for its audience), the delivery rate (None: not sending) and how many of the
    blocked recipients never started the broadcast bot."""

    broadcast: db.Broadcast
    stream_titles: dict[str, str]
    rate: float | None
    never_started: int
    tz: ZoneInfo | None = None  # the admins' time zone, for the times it names
    canary: CanaryFigures | None = None  # how the canary took it, while it counts
    quiet: QuietHours | None = None  # quiet hours the rest may run into ...
    now: datetime | None = None      # ... from now


async def gather(pool: asyncpg.Pool, broadcast: db.Broadcast, rate: float | None,
                 tz: ZoneInfo | None = None, quiet: QuietHours | None = None,
                 now: datetime | None = None) -> Progress:
    """The facts a progress message shows, read from the database."""
    titles = await streams.titles(pool)
    never_started = await db.never_started(pool, broadcast.id) if broadcast.blocked else 0
    canary = (await safeguards.canary_figures(pool, broadcast.id)
              if broadcast.canary_phase in ("sending", "waiting", "stopped") else None)
    return Progress(broadcast, titles, rate, never_started, tz, canary, quiet, now)


class Shown(Protocol):
    """A message's text and buttons (the views' `Screen` is one)."""

    @property
    def text(self) -> str: ...

    @property
    def reply_markup(self) -> InlineKeyboardMarkup | None: ...


RenderProgress = Callable[[Progress], Shown]


class ProgressReporter:
    """Shows each broadcast under way (`lanes`) at the delivery `rate` every `every` seconds."""

    def __init__(self, pool: asyncpg.Pool, admin_bot: Bot, metrics: Metrics, *, every: float,
                 lanes: Callable[[], Iterable[int]], rate: Callable[[], float | None],
                 render: RenderProgress, tz: ZoneInfo | None = None,
                 quiet: QuietHours | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.pool, self.admin_bot, self.metrics = pool, admin_bot, metrics
        self.tz, self.quiet, self.clock = tz, quiet, clock
        self.render = render
        self.every, self.lanes, self.rate = every, lanes, rate
        self._shown: dict[int, str] = {}  # broadcast id -> text last shown
        self._held: dict[int, float] = {}  # broadcast id -> until when a question stands
        self._finals: set[int] = set()     # final summaries waiting for a question to go

    def hold(self, broadcast_id: int, seconds: float | None) -> None:
        """A question stands on the progress message (None: answered): leave it alone."""
        if seconds is None:
            self._held.pop(broadcast_id, None)
        else:
            self._held[broadcast_id] = time.monotonic() + seconds
        self._shown.pop(broadcast_id, None)  # show the progress again when it comes back

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            pending = 0
            for broadcast_id in list(self.lanes()):
                broadcast = await self.report(broadcast_id)
                pending += broadcast.pending if broadcast else 0
            for broadcast_id in list(self._finals):  # those a question kept back
                await self.report(broadcast_id, final=True)
            self.metrics.pending.set(pending)

    async def _question_stands(self, broadcast_id: int) -> bool:
        """Asked here (no database round trip between this and the edit) or on another
        instance behind the same webhook (the database knows)."""
        if self._held.get(broadcast_id, 0.0) > time.monotonic():
            return True
        return await db.question_pending(self.pool, broadcast_id)

    async def report(self, broadcast_id: int, final: bool = False) -> db.Broadcast | None:
        """Show the broadcast's state in its progress message (sent once if there is none)."""
        broadcast = await db.get(self.pool, broadcast_id)
        if broadcast is None or broadcast.progress_chat_id is None:
            return broadcast
        rate = self.rate() if broadcast.status == "sending" else None
        with use_locale(await preferences.locale(self.pool, broadcast.progress_chat_id)):
            shown = self.render(await gather(self.pool, broadcast, rate, self.tz, self.quiet,
                                             self.clock() if self.clock else None))
        text, markup = shown.text, shown.reply_markup
        self._finals.discard(broadcast_id)
        if self._shown.get(broadcast_id) == text:
            return broadcast
        if await self._question_stands(broadcast_id):
            if final:  # shown once the question is answered or has timed out
                self._finals.add(broadcast_id)
            return broadcast
        try:
            if broadcast.progress_message_id is None:
                message = await self.admin_bot.send_message(broadcast.progress_chat_id, text,
                                                              reply_markup=markup)
                await db.set_progress_message(self.pool, broadcast_id, message.chat.id,
                                              message.message_id)
            else:
                await self.admin_bot.edit_message_text(
                    text, chat_id=broadcast.progress_chat_id,
                    message_id=broadcast.progress_message_id, reply_markup=markup)
            self._shown[broadcast_id] = text
        except TelegramRetryAfter:
            pass  # the next round shows it
        except TelegramAPIError as exc:
            if "message is not modified" not in exc.message:
                log.warning("progress message not updated: %s", exc.message,
                            extra={"broadcast_id": broadcast_id})
        if final:
            self._shown.pop(broadcast_id, None)
        return broadcast
