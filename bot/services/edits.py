"""Fixing a sent broadcast, as the handlers ask for it: the new text checked against what
Telegram can do, the fix refused before anything is sent when it can't be made, then written
as the broadcast's next version (with its audit entry) for the delivery engine's editor."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiogram.types import Message

from bot.db import audit
from bot.db import broadcasts as db
from bot.db import edits as edits_db
from bot.db.broadcasts import Broadcast, Content
from bot.db.edits import Edit
from bot.db.pool import Executor, transaction
from bot.enums import BroadcastStatus, EditRefusal, RecallStatus
from bot.i18n import _
from bot.services.broadcasts import check_content, content_from_message
from bot.services.delivery.copies import COPY_WINDOW
from bot.services.delivery.canary import WAITING as CANARY_WAITING
from bot.services.delivery.render import ContentError


async def why_not(pool: Executor, broadcast: Broadcast) -> EditRefusal | None:
    """Why the broadcast can't be fixed now (None: it can)."""
    if broadcast.recall_status in (RecallStatus.REQUESTED, RecallStatus.RUNNING):
        return EditRefusal.RECALLING
    if broadcast.recall_status == RecallStatus.DONE:
        return EditRefusal.RECALLED
    if broadcast.status == BroadcastStatus.SENDING and broadcast.canary_phase != CANARY_WAITING:
        return EditRefusal.SENDING  # (while the rest waits for the canary's wait: it can)
    if broadcast.sent == 0:
        return EditRefusal.NOTHING
    if await edits_db.under_way(pool, broadcast.id):
        return EditRefusal.EDITING
    return None


def new_text(broadcast: Broadcast, message: Message) -> str:
    """The new text (a media broadcast's new caption) from the admin's message, as HTML; a
    ContentError says why it can't be (Telegram turns no text into media or back, and keeps
    its limits, counted with the admin's own name filled in)."""
    content = content_from_message(message)
    if content.kind != "text":
        raise ContentError(_("Telegram не превращает текст в фото или файл, пришлите текст.")
                           if broadcast.content.kind == "text" else
                           _("файл рассылки заменить нельзя: пришлите новую подпись текстом."))
    user = message.from_user
    check_content(Content(broadcast.content.kind, content.html),
                  user.first_name if user else None, user.username if user else None)
    return content.html


async def copies(pool: asyncpg.Pool, broadcast_id: int) -> tuple[int, int]:
    """How many copies a fix goes to, and how many of them are too old for Telegram to edit."""
    return await edits_db.copies(pool, broadcast_id, datetime.now(UTC) - COPY_WINDOW)


async def request_edit(pool: asyncpg.Pool, broadcast_id: int, admin_id: int | None, *,
                       html: str | None, buttons: list[list[dict[str, Any]]] | None,
                       links_base: str | None, reason: str = "admin",
                       progress: tuple[int, int] | None = None) -> Edit | EditRefusal:
    """The broadcast's next version (its stored content becomes the new one) and its audit
    entry, or why it can't be made now. `links_base`: where the new buttons' tracked links
    lead, if the broadcast had none; `progress`: the message (chat id, message id) that shows
    the run."""
    async with transaction(pool) as conn:
        await edits_db.lock(conn, broadcast_id)
        broadcast = await db.get(conn, broadcast_id)
        if broadcast is None:
            return EditRefusal.NOTHING
        refusal = await why_not(conn, broadcast)
        if refusal is not None:
            return refusal
        edit = await edits_db.request(conn, broadcast_id, html=html, buttons=buttons,
                                      links_base=links_base, admin_id=admin_id, reason=reason)
        if progress is not None:
            await edits_db.set_progress_message(conn, edit.id, *progress)
        await audit.record_action(conn, admin_id or 0, "broadcast.fix",
                                  f"broadcast:{broadcast_id}",
                                  {"version": edit.version, "change": edit.change,
                                   "copies": edit.total, "reason": reason})
    return edit
