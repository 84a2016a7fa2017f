"""The progress message each broadcast's author watches: edited every few seconds, and a
final summary when it ends (or pauses, or is cancelled)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable

import asyncpg
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter
from aiogram.types import InlineKeyboardMarkup

from bot.db import broadcasts as db
from bot.db import preferences, streams
from bot.i18n import use_locale
from bot.keyboards.broadcast import controls
from bot.metrics import Metrics
from bot.views.broadcast import audience_title, progress

log = logging.getLogger(__name__)


async def screen(pool: asyncpg.Pool, broadcast: db.Broadcast, rate: float | None
                 ) -> tuple[str, InlineKeyboardMarkup | None]:
    """The broadcast's progress (or summary) text and the buttons that fit its status."""
    titles = await streams.titles(pool)
    never_started = await db.never_started(pool, broadcast.id) if broadcast.blocked else 0
    text = progress(broadcast, audience_title(broadcast.audience, titles), rate, never_started)
    return text, controls(broadcast.id, broadcast.status,
                          can_recall=broadcast.sent > 0 and broadcast.recall_status is None,
                          failed=broadcast.failed, unknown=broadcast.unknown)


class ProgressReporter:
    """Shows each broadcast under way (`lanes`) at the delivery `rate` every `every` seconds."""

    def __init__(self, pool: asyncpg.Pool, admin_bot: Bot, metrics: Metrics, *, every: float,
                 lanes: Callable[[], Iterable[int]], rate: Callable[[], float | None]) -> None:
        self.pool, self.admin_bot, self.metrics = pool, admin_bot, metrics
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
            text, markup = await screen(self.pool, broadcast, rate)
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
