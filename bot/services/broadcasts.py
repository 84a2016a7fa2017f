"""Broadcasts as the handlers see them: content taken from a Telegram message, started,
paused, resumed, cancelled, recalled and resent, each step written to the audit log."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from aiogram.types import Message

from bot.db import audit
from bot.db import broadcasts as db
from bot.db import recall as recall_db
from bot.db.audiences import Audience
from bot.db.broadcasts import Broadcast, Content
from bot.services.delivery.engine import DeliveryEngine
from bot.services.delivery.render import ContentError, check_length, personalise

UNSUPPORTED = ("Такое сообщение не разослать: пришлите текст, фото, видео, документ или "
               "GIF-анимацию с подписью.")


def content_from_message(message: Message) -> Content:
    """The broadcast content of an admin's message: its formatting kept as HTML."""
    html = message.html_text if (message.text or message.caption) else ""
    if message.text:
        return Content("text", html)
    media = (("photo", message.photo[-1] if message.photo else None),
             ("animation", message.animation), ("video", message.video),
             ("document", message.document))
    for kind, item in media:  # animation before document: Telegram sends both for a GIF
        if item is not None:
            return Content(kind, html, item.file_id)
    raise ContentError(UNSUPPORTED)


def check_content(content: Content, first_name: str | None, username: str | None) -> None:
    """Refuse content over Telegram's limits, counted after the placeholders are filled."""
    check_length(personalise(content.html, first_name, username), is_caption=content.kind != "text")


@dataclass(frozen=True)
class Transition:
    action: str
    allowed_from: tuple[str, ...]
    to: str


PAUSE = Transition("pause", ("sending",), "paused")
RESUME = Transition("resume", ("paused",), "sending")
CANCEL = Transition("cancel", ("draft", "scheduled", "sending", "paused"), "cancelled")


class BroadcastService:
    def __init__(self, pool: asyncpg.Pool, engine: DeliveryEngine) -> None:
        self.pool, self.engine = pool, engine

    async def launch(self, content: Content, audience: Audience, admin_id: int,
                     *, paid: bool = False) -> Broadcast:
        """Create a broadcast and start it now; its progress goes to the admin's chat."""
        async with self.pool.acquire() as conn, conn.transaction():
            broadcast_id = await db.create(conn, content, audience, admin_id,
                                           allow_paid_broadcast=paid)
        broadcast = await db.start(self.pool, broadcast_id, progress_chat_id=admin_id)
        assert broadcast is not None
        await audit.record_action(self.pool, admin_id, "broadcast.send", f"broadcast:{broadcast_id}",
                                  {"audience": audience.to_json(), "recipients": broadcast.total})
        self.engine.nudge()
        return broadcast

    async def transition(self, broadcast_id: int, step: Transition, admin_id: int) -> bool:
        changed = await db.set_status(self.pool, broadcast_id, step.allowed_from, step.to)
        if changed:
            await audit.record_action(self.pool, admin_id, f"broadcast.{step.action}",
                                      f"broadcast:{broadcast_id}")
            self.engine.nudge()
        return changed

    async def recall(self, broadcast_id: int, admin_id: int) -> bool:
        requested = await recall_db.request_recall(self.pool, broadcast_id)
        if requested:
            await audit.record_action(self.pool, admin_id, "broadcast.recall",
                                      f"broadcast:{broadcast_id}")
        return requested

    async def resend(self, broadcast_id: int, admin_id: int) -> int:
        """Send again to those it failed for or whose delivery is unknown."""
        count = await db.requeue(self.pool, broadcast_id, ("failed", "unknown"))
        if count:
            await audit.record_action(self.pool, admin_id, "broadcast.resend",
                                      f"broadcast:{broadcast_id}", {"recipients": count})
            self.engine.nudge()
        return count
