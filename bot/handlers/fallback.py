"""Admin input no other handler took: a stale button, or a message outside any flow that is
no text (text there is a search: handlers/users.py) or an unknown command."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import StateFilter
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.keyboards.menu import main_menu, menu_button
from bot.views import fallback as views
from bot.views.menu import stale_button_text


async def stale_button(callback: CallbackQuery) -> None:
    await callback.answer(stale_button_text(), show_alert=True)


async def unknown_text(message: Message) -> None:
    await message.answer(views.not_understood(), reply_markup=main_menu())


async def unexpected_in_flow(message: Message) -> None:
    """A message the current step can't take (a sticker where a time is asked, say)."""
    await message.answer(views.waiting_for_answer(),
                         reply_markup=InlineKeyboardMarkup(inline_keyboard=[[menu_button()]]))


def create_router() -> Router:
    router = Router(name="fallback")
    router.callback_query.register(stale_button)
    router.message.register(unknown_text, StateFilter(None))
    router.message.register(unexpected_in_flow)
    return router
