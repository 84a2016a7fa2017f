"""Admin input no other handler took: a stale button or text outside any flow."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import StateFilter
from aiogram.types import CallbackQuery, Message

from bot.i18n import _
from bot.keyboards.menu import main_menu


async def stale_button(callback: CallbackQuery) -> None:
    await callback.answer(_("Эта кнопка устарела. Откройте меню заново: /menu"), show_alert=True)


async def unknown_text(message: Message) -> None:
    await message.answer(_("Не понял сообщение. Выберите раздел в меню:"), reply_markup=main_menu())


def create_router() -> Router:
    router = Router(name="fallback")
    router.callback_query.register(stale_button)
    router.message.register(unknown_text, StateFilter(None))
    return router
