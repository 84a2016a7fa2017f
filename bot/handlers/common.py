"""Reading what an admin typed or sent, shared by the handlers that ask for it (not a router:
the feature handlers import this module and no other handler module)."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import TypeVar

from aiogram import Bot
from aiogram.types import InlineKeyboardMarkup, Message

from bot.db.broadcasts import Content
from bot.services.broadcasts import check_content, content_from_message
from bot.services.delivery.render import personalise
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


async def send_content(bot: Bot, chat_id: int, content: Content,
                       markup: InlineKeyboardMarkup | None, first_name: str | None,
                       username: str | None) -> None:
    """The exact message a recipient gets, filled in for this reader (the composer's preview,
    an approver's). Raises TelegramBadRequest if Telegram refuses it."""
    html = personalise(content.html, first_name, username)
    file_id, caption = content.source_file_id or "", html or None
    if content.kind == "text":
        await bot.send_message(chat_id, html, reply_markup=markup)
    elif content.kind == "photo":
        await bot.send_photo(chat_id, file_id, caption=caption, reply_markup=markup)
    elif content.kind == "video":
        await bot.send_video(chat_id, file_id, caption=caption, reply_markup=markup)
    elif content.kind == "document":
        await bot.send_document(chat_id, file_id, caption=caption, reply_markup=markup)
    elif content.kind == "animation":
        await bot.send_animation(chat_id, file_id, caption=caption, reply_markup=markup)
    else:
        raise ValueError(f"unknown content kind {content.kind!r}")
