"""Fixing a sent broadcast: its new text (or caption) and buttons put into every chat that got
it, through the broadcast bot at the pace of sending, while Telegram allows (48 h). Each
edit is a version in the database; a copy is written down as soon as it has it, so a restart
resumes the run and edits no copy twice."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from bot.db import audit
from bot.db import broadcasts as db
from bot.db import edits as edits_db
from bot.db.edits import TOO_OLD, Edit
from bot.db.pool import transaction
from bot.i18n import use_locale
from bot.db import preferences
from bot.services.delivery.copies import CopyWorker
from bot.services.delivery.render import personalise
from bot.services.delivery.sender import PreparedContent

log = logging.getLogger(__name__)

# texts given by the composition root: the run's progress on the admin's message (final or
# not), and the report to the author at its end
RenderEditProgress = Callable[[db.Broadcast, Edit, bool], str]
RenderEditReport = Callable[[db.Broadcast, Edit], str]
Sign = Callable[[PreparedContent, db.Broadcast], PreparedContent]


class Editor(CopyWorker):
    """Carries out the edits asked for, oldest first, each request on a turn of the pace."""

    def __init__(self, pool: asyncpg.Pool, bot: Bot, admin_bot: Bot, *,
                 wait_turn: Callable[[], Awaitable[None]], sign: Sign,
                 progress: RenderEditProgress, report: RenderEditReport,
                 every: float = 3.0) -> None:
        super().__init__(pool, bot, admin_bot, wait_turn=wait_turn)
        self.sign, self.progress, self.report, self.every = sign, progress, report, every

    async def run(self) -> None:
        while True:
            for edit in await edits_db.open_edits(self.pool):
                await self.apply(edit)
            await asyncio.sleep(1.0)

    async def apply(self, edit: Edit) -> None:
        broadcast = await db.get(self.pool, edit.broadcast_id)
        if broadcast is None:
            await edits_db.set_status(self.pool, edit.id, "done")
            return
        await edits_db.set_status(self.pool, edit.id, "running")
        # the buttons as the first send made them: each recipient's own tracked links
        content = self.sign(PreparedContent.build(broadcast.content, broadcast.id), broadcast)
        shown = time.monotonic()
        async for fresh, old in self.pages(broadcast.id, edit.version):
            await edits_db.record(self.pool, edit, [row["id"] for row in old], TOO_OLD)
            # the edits of a page run side by side, each on a slot of the bot's budget
            await asyncio.gather(*(self._one(edit, content, row) for row in fresh))
            if time.monotonic() - shown >= self.every:
                await self._show(edit.id, broadcast, final=False)
                shown = time.monotonic()
        await self._finish(edit, broadcast)

    async def _one(self, edit: Edit, content: PreparedContent, row: asyncpg.Record) -> None:
        outcome = await self.on_turn(lambda: self._request(edit, content, row))
        await edits_db.record(self.pool, edit, [row["id"]], outcome)

    async def _request(self, edit: Edit, content: PreparedContent, row: asyncpg.Record) -> Any:
        """One copy: the new text or caption with the buttons (an edit without them would
        drop them), or the buttons alone."""
        where: dict[str, Any] = {"chat_id": row["user_id"],
                                 "message_id": row["telegram_message_id"],
                                 "reply_markup": content.markup_for(row["id"])}
        if not edit.text_changed:
            return await self.bot.edit_message_reply_markup(**where)
        html = personalise(content.content.html, row["first_name"], row["username"])
        if content.content.kind == "text":
            return await self.bot.edit_message_text(text=html, **where)
        return await self.bot.edit_message_caption(caption=html, **where)

    async def _finish(self, edit: Edit, broadcast: db.Broadcast) -> None:
        async with transaction(self.pool) as conn:
            await edits_db.set_status(conn, edit.id, "done")
            figures = await edits_db.details(conn, edit.id)
            await audit.record_action(conn, edit.requested_by or 0, "broadcast.fixed",
                                      f"broadcast:{broadcast.id}", {**figures,
                                                                    "reason": edit.reason})
        log.info("broadcast edited", extra={"broadcast_id": broadcast.id, **figures})
        await self._show(edit.id, broadcast, final=True)
        done = await edits_db.get(self.pool, edit.id)
        assert done is not None
        await self.tell(done.progress_chat_id or edit.requested_by or broadcast.created_by,
                        broadcast.id, lambda now: self.report(now, done))

    async def _show(self, edit_id: int, broadcast: db.Broadcast, *, final: bool) -> None:
        """The run's figures on the admin's progress message, if it has one."""
        edit = await edits_db.get(self.pool, edit_id)
        if edit is None or edit.progress_chat_id is None or edit.progress_message_id is None:
            return
        with use_locale(await preferences.locale(self.pool, edit.progress_chat_id)):
            text = self.progress(broadcast, edit, final)
        try:
            await self.admin_bot.edit_message_text(text=text, chat_id=edit.progress_chat_id,
                                                   message_id=edit.progress_message_id)
        except TelegramAPIError as exc:
            log.info("edit progress not shown: %s", exc.message)
