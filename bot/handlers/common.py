"""Small helpers shared by handlers."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import TypeVar

import asyncpg
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.db.broadcasts import Broadcast, Content
from bot.i18n import _
from bot.keyboards.broadcast import controls
from bot.services.broadcasts import check_content, content_from_message
from bot.services.delivery import progress
from bot.views import broadcast as views
from bot.views.screen import Screen

T = TypeVar("T")


async def show_screen(callback: CallbackQuery, screen: Screen) -> None:
    """Edit the message the button was on; send a new one if it can't be edited (gone, too
    old, or a photo or document: a chart or a CSV under which the button was)."""
    message = callback.message
    if isinstance(message, Message) and message.text is not None:
        try:
            await message.edit_text(screen.text, reply_markup=screen.reply_markup)
            return
        except TelegramBadRequest as exc:
            if "message is not modified" in exc.message:
                return  # pressing Refresh with nothing new is fine
            if not any(reason in exc.message for reason in _NOT_EDITABLE):
                raise
    if callback.from_user is not None and callback.bot is not None:
        await callback.bot.send_message(callback.from_user.id, screen.text,
                                        reply_markup=screen.reply_markup)


async def answer_screen(message: Message, screen: Screen) -> None:
    """The screen as a new message in the chat of `message`."""
    await message.answer(screen.text, reply_markup=screen.reply_markup)


_NOT_EDITABLE = ("message to edit not found", "message can't be edited",
                 "there is no text in the message to edit")


def stale_button_text() -> str:
    return _("Эта кнопка устарела. Откройте меню заново: /menu")


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
        await message.answer(_("Не подойдёт: {reason}").format(reason=escape(str(exc))),
                             reply_markup=way_out)
        return None
    return content


def progress_view(facts: progress.Progress) -> Screen:
    """A broadcast's progress (or summary) message with the buttons that fit its status; the
    delivery engine draws its progress messages with this too (given to it in app.py)."""
    b = facts.broadcast
    text = views.progress(b, views.audience_title(b.audience, facts.stream_titles), facts.rate,
                          facts.never_started)
    return Screen(text, controls(b.id, b.status, can_recall=b.sent > 0 and b.recall_status is None,
                                 failed=b.failed, unknown=b.unknown))


async def progress_screen(pool: asyncpg.Pool, broadcast: Broadcast) -> Screen:
    """A broadcast's progress (or summary) message with the buttons that fit its status."""
    return progress_view(await progress.gather(pool, broadcast, None))
