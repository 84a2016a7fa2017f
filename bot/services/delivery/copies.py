"""Work on every delivered copy of a broadcast, shared by recall (deletes them) and the editor
(edits them): the copies page by page with those Telegram no longer lets a bot touch (48 h)
set apart, each request on a turn of the sending pace, what Telegram's answer means for the
copy, and the report to the author."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError, TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter,
)

from bot.db import broadcasts as db
from bot.db import preferences
from bot.db import recall as recall_db
from bot.db.edits import DONE, TOO_OLD
from bot.i18n import use_locale
from bot.services.limits import Priority, Ticket, request_priority, slot_taken

log = logging.getLogger(__name__)

COPY_WINDOW = timedelta(hours=48)  # Telegram deletes and edits a bot's messages this long
PAGE = 200
BLOCKED = "Forbidden: bot was blocked by the user"  # an admin reads it via views' reason()


def copy_outcome(exc: TelegramAPIError) -> str:
    """What Telegram's refusal means for one copy: DONE (nothing left to do: gone from the chat,
    or already as asked), TOO_OLD, or the refusal itself."""
    if isinstance(exc, TelegramBadRequest):
        if "not found" in exc.message or "not modified" in exc.message:
            return DONE
        if "can't be deleted" in exc.message or "can't be edited" in exc.message:
            return TOO_OLD
    if isinstance(exc, TelegramForbiddenError):
        return BLOCKED
    return exc.message


class CopyWorker:
    """A request per delivered copy through the broadcast bot, each on a turn of the sending
    pace (`wait_turn`); the report goes to the author through the admin bot."""

    def __init__(self, pool: asyncpg.Pool, bot: Bot, admin_bot: Bot, *,
                 wait_turn: Callable[[], Awaitable[None]]) -> None:
        self.pool, self.bot, self.admin_bot, self.wait_turn = pool, bot, admin_bot, wait_turn

    async def pages(self, broadcast_id: int, below_version: int | None = None
                    ) -> AsyncIterator[tuple[list[asyncpg.Record], list[asyncpg.Record]]]:
        """The copies a page at a time: (those that can still be touched, those too old)."""
        cutoff = datetime.now(UTC) - COPY_WINDOW
        after = 0
        while page := await recall_db.sent_page(self.pool, broadcast_id, after, PAGE,
                                                below_version):
            after = page[-1]["id"]
            fresh = [row for row in page if row["sent_at"] is None or row["sent_at"] >= cutoff]
            old = [row for row in page if not (row["sent_at"] is None or row["sent_at"] >= cutoff)]
            yield fresh, old

    async def on_turn(self, request: Callable[[], Awaitable[object]]) -> str:
        """Make one request on a slot of the bot's budget; its outcome for the copy. Run it in
        a task of its own (the slot and the priority are this task's)."""
        request_priority.set(Priority.BROADCAST)
        while True:
            ticket = Ticket()
            slot_taken.set(ticket)
            await self.wait_turn()
            try:
                await request()
                return DONE
            except TelegramRetryAfter:
                continue  # the limiter holds the scope; the next turn waits it out
            except TelegramAPIError as exc:
                return copy_outcome(exc)

    async def tell(self, chat_id: int | None, broadcast_id: int,
                   render: Callable[[db.Broadcast], str]) -> None:
        """The report, rendered from the broadcast as it is now in its author's language."""
        broadcast = await db.get(self.pool, broadcast_id)
        if chat_id is None or broadcast is None:
            return
        with use_locale(await preferences.locale(self.pool, chat_id)):
            report = render(broadcast)
        try:
            await self.admin_bot.send_message(chat_id, report)
        except TelegramAPIError as exc:
            log.warning("report not sent: %s", exc.message)
