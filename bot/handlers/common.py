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


async def answer_content(message: Message, content: Content, html: str,
                         markup: InlineKeyboardMarkup | None) -> None:
    """The message a recipient gets (`html` filled in already), as a new message in this chat:
    a preview. Raises TelegramBadRequest if Telegram refuses it."""
    file_id, caption = content.source_file_id or "", html or None
    if content.kind == "text":
        await message.answer(html, reply_markup=markup)
    elif content.kind == "photo":
        await message.answer_photo(file_id, caption=caption, reply_markup=markup)
    elif content.kind == "video":
        await message.answer_video(file_id, caption=caption, reply_markup=markup)
    elif content.kind == "document":
        await message.answer_document(file_id, caption=caption, reply_markup=markup)
    elif content.kind == "animation":
        await message.answer_animation(file_id, caption=caption, reply_markup=markup)
    else:
        raise ValueError(f"unknown content kind {content.kind!r}")
