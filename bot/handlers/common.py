"""Reading what an admin typed or sent, shared by the handlers that ask for it (not a router:
the feature handlers import this module and no other handler module)."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import TypeVar

from aiogram.types import InlineKeyboardMarkup, Message

from bot.db.broadcasts import Content
from bot.services.broadcasts import check_content, content_from_message
from bot.views.compose import content_refused

T = TypeVar("T")


async def read_text(message: Message, parse: Callable[[str], T],
                    way_out: InlineKeyboardMarkup | None = None) -> T | None:
    """What the admin typed, parsed; on a ValueError they are told why (with `way_out`, the
    buttons that leave the step) and get None."""
    try:
        return parse(message.text or "")
    except ValueError as exc:
        await message.answer(escape(str(exc)), reply_markup=way_out)
        return None


async def read_content(message: Message, way_out: InlineKeyboardMarkup | None = None
                       ) -> Content | None:
    """The message as broadcast content, checked against Telegram's limits (filled in for
    this admin); otherwise the admin is told why and gets None."""
    user = message.from_user
    try:
        content = content_from_message(message)
        check_content(content, user.first_name if user else None, user.username if user else None)
    except ValueError as exc:
        await message.answer(content_refused(str(exc)), reply_markup=way_out)
        return None
    return content
