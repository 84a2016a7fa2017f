"""Text the database could not store: PostgreSQL's text and jsonb hold no NUL character and
UTF-8 holds no lone surrogate (JSON can carry both). Such a message is refused with a reason
before any handler sees it, whatever step the admin is in."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Message, TelegramObject

from bot.i18n import _

log = logging.getLogger(__name__)


def storable(text: str | None) -> bool:
    """Whether PostgreSQL can keep this text as it is."""
    if not text:
        return True
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class StorableTextMiddleware(BaseMiddleware):
    """Outer middleware on dp.message."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Message)
        if storable(event.text) and storable(event.caption):
            return await handler(event, data)
        user = event.from_user
        log.info("message with unstorable characters refused",
                 extra={"user_id": user.id if user else None})
        if user is not None and data.get("role") is not None:  # a team member
            await event.answer(_("Не могу принять это сообщение: в нём есть служебные символы "
                                 "(например, нулевой байт). Пришлите текст без них."))
        return None
