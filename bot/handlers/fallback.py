"""Admin input no other handler took: a stale button or text outside any flow."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import StateFilter
from aiogram.types import CallbackQuery, Message

from bot.keyboards.menu import main_menu
from bot.i18n import __

STALE_BUTTON = __("Эта кнопка устарела. Откройте меню заново: /menu")
UNKNOWN_TEXT = __("Не понял сообщение. Выберите раздел в меню:")


async def stale_button(callback: CallbackQuery) -> None:
    await callback.answer(str(STALE_BUTTON), show_alert=True)


async def unknown_text(message: Message) -> None:
    await message.answer(str(UNKNOWN_TEXT), reply_markup=main_menu())


def create_router() -> Router:
    router = Router(name="fallback")
    router.callback_query.register(stale_button)
    router.message.register(unknown_text, StateFilter(None))
    return router
