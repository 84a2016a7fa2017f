"""Small helpers shared by handlers."""

from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message


async def show_screen(callback: CallbackQuery, text: str,
                      markup: InlineKeyboardMarkup | None) -> None:
    """Edit the message the button was on; send a new one if it can no longer be edited."""
    message = callback.message
    if isinstance(message, Message):
        try:
            await message.edit_text(text, reply_markup=markup)
            return
        except TelegramBadRequest as exc:
            if "message is not modified" in exc.message:
                return  # pressing Refresh with nothing new is fine
            if "message to edit not found" not in exc.message and \
                    "message can't be edited" not in exc.message:
                raise
    if callback.from_user is not None and callback.bot is not None:
        await callback.bot.send_message(callback.from_user.id, text, reply_markup=markup)
