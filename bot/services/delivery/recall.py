"""Recall: delete a sent broadcast from every chat where Telegram still allows it (48 h),
at the same pace as sending, and tell the admin what could not be deleted."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from functools import partial

import asyncpg
from aiogram import Bot

from bot.db import broadcasts as db
from bot.db import recall as recall_db
from bot.db.edits import DONE, TOO_OLD
from bot.services.delivery.copies import CopyWorker

log = logging.getLogger(__name__)

# the report to the author (given by the composition root): the broadcast as it is now, how
# many copies were deleted, too old to delete, refused (by reason), and unknown ones not found
RenderRecallReport = Callable[[db.Broadcast, int, int, dict[str, int], int], str]


class Recaller(CopyWorker):
    """Deletes recalled broadcasts, each delete on a turn of the sending pace (`wait_turn`),
    then shows the broadcast's state (`show`) and reports to its author."""

    def __init__(self, pool: asyncpg.Pool, bot: Bot, admin_bot: Bot, *,
                 wait_turn: Callable[[], Awaitable[None]],
                 show: Callable[[int], Awaitable[object]], report: RenderRecallReport) -> None:
        super().__init__(pool, bot, admin_bot, wait_turn=wait_turn)
        self.show, self.report = show, report

    async def run(self) -> None:
        while True:
            for broadcast in await recall_db.recalls(self.pool):
                await self.recall(broadcast)
            await asyncio.sleep(1.0)

    async def recall(self, broadcast: db.Broadcast) -> None:
        await recall_db.set_recall_status(self.pool, broadcast.id, "running")
        deleted, too_old, other = 0, 0, Counter[str]()
        async for fresh, old in self.pages(broadcast.id):
            too_old += len(old)
            # the deletes of a page run side by side, each on a slot of the bot's budget
            outcomes = await asyncio.gather(*(
                self.on_turn(partial(self.bot.delete_message, row["user_id"],
                                     row["telegram_message_id"])) for row in fresh))
            gone = [row["id"] for row, outcome in zip(fresh, outcomes) if outcome == DONE]
            too_old += outcomes.count(TOO_OLD)
            other.update(o for o in outcomes if o not in (DONE, TOO_OLD))
            await recall_db.mark_deleted(self.pool, broadcast.id, gone)
            deleted += len(gone)
        unknown = await recall_db.unknown_without_id(self.pool, broadcast.id)
        await recall_db.finish_recall(self.pool, broadcast.id)
        log.info("broadcast recalled", extra={"broadcast_id": broadcast.id, "deleted": deleted,
                                              "too_old": too_old, "failed": sum(other.values()),
                                              "unknown": unknown})
        await self.show(broadcast.id)
        await self.tell(broadcast.progress_chat_id or broadcast.created_by, broadcast.id,
                        lambda now: self.report(now, deleted, too_old, dict(other), unknown))
