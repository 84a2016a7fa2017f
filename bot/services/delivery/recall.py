"""Recall: delete a sent broadcast from every chat where Telegram still allows it (48 h),
at the same pace as sending, and tell the admin what could not be deleted."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError, TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter,
)

from bot.db import broadcasts as db
from bot.db import preferences
from bot.db import recall as recall_db
from bot.i18n import use_locale
from bot.services.limits import Priority, Ticket, request_priority, slot_taken

log = logging.getLogger(__name__)

DELETE_WINDOW = timedelta(hours=48)
# the report to the author (given by the composition root): the broadcast as it is now, how
# many copies were deleted, too old to delete, refused (by reason), and unknown ones not found
RenderRecallReport = Callable[[db.Broadcast, int, int, dict[str, int], int], str]
PAGE = 200


class Recaller:
    """Deletes recalled broadcasts, each delete on a turn of the sending pace (`wait_turn`),
    then shows the broadcast's state (`show`) and reports to its author."""

    def __init__(self, pool: asyncpg.Pool, bot: Bot, admin_bot: Bot, *,
                 wait_turn: Callable[[], Awaitable[None]],
                 show: Callable[[int], Awaitable[object]], report: RenderRecallReport) -> None:
        self.pool, self.bot, self.admin_bot = pool, bot, admin_bot
        self.wait_turn, self.show, self.report = wait_turn, show, report

    async def run(self) -> None:
        while True:
            for broadcast in await recall_db.recalls(self.pool):
                await self.recall(broadcast)
            await asyncio.sleep(1.0)

    async def recall(self, broadcast: db.Broadcast) -> None:
        await recall_db.set_recall_status(self.pool, broadcast.id, "running")
        cutoff = datetime.now(UTC) - DELETE_WINDOW
        deleted, too_old, other = 0, 0, Counter[str]()
        after = 0
        while page := await recall_db.sent_page(self.pool, broadcast.id, after, PAGE):
            after = page[-1]["id"]
            fresh = [row for row in page if row["sent_at"] is None or row["sent_at"] >= cutoff]
            too_old += len(page) - len(fresh)
            # the deletes of a page run side by side, each on a slot of the bot's budget
            outcomes = await asyncio.gather(*(
                self._delete(row["user_id"], row["telegram_message_id"]) for row in fresh))
            gone = [row["id"] for row, outcome in zip(fresh, outcomes) if outcome == "deleted"]
            too_old += outcomes.count("too_old")
            other.update(o for o in outcomes if o not in ("deleted", "too_old"))
            await recall_db.mark_deleted(self.pool, broadcast.id, gone)
            deleted += len(gone)
        unknown = await recall_db.unknown_without_id(self.pool, broadcast.id)
        await recall_db.finish_recall(self.pool, broadcast.id)
        log.info("broadcast recalled", extra={"broadcast_id": broadcast.id, "deleted": deleted,
                                              "too_old": too_old, "failed": sum(other.values()),
                                              "unknown": unknown})
        await self._tell(broadcast, deleted, too_old, dict(other), unknown)

    async def _delete(self, chat_id: int, message_id: int) -> str:
        request_priority.set(Priority.BROADCAST)  # this coroutine runs in a task of its own
        while True:
            ticket = Ticket()
            slot_taken.set(ticket)
            await self.wait_turn()
            try:
                await self.bot.delete_message(chat_id, message_id)
                return "deleted"
            except TelegramRetryAfter:
                continue  # the limiter holds the scope; the next turn waits it out
            except TelegramBadRequest as exc:
                if "not found" in exc.message:
                    return "deleted"  # no longer in the chat (the user deleted it)
                if "can't be deleted" in exc.message:
                    return "too_old"
                return exc.message
            except TelegramForbiddenError:
                return "Forbidden: bot was blocked by the user"  # an admin reads it via reason()
            except TelegramAPIError as exc:
                return exc.message

    async def _tell(self, broadcast: db.Broadcast, deleted: int, too_old: int,
                    other: dict[str, int], unknown: int) -> None:
        chat_id = broadcast.progress_chat_id or broadcast.created_by
        fresh = await db.get(self.pool, broadcast.id)
        await self.show(broadcast.id)
        if chat_id is None or fresh is None:
            return
        with use_locale(await preferences.locale(self.pool, chat_id)):
            report = self.report(fresh, deleted, too_old, other, unknown)
        try:
            await self.admin_bot.send_message(chat_id, report)
        except TelegramAPIError as exc:
            log.warning("recall report not sent: %s", exc.message)
