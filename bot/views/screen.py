"""What the bot shows as one message: its text and its buttons, and how a screen is shown
in a chat (in place of the message a button was on, or as a new message)."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message


@dataclass(frozen=True, slots=True)
class Screen:
    """A message's text (Telegram HTML) and inline buttons (None: no buttons)."""

    text: str
    reply_markup: InlineKeyboardMarkup | None = None

    def under(self, head: str) -> Screen:
        """The same screen with `head` (a done note, a question) above it."""
        return Screen(f"{head}\n\n{self.text}", self.reply_markup)

    def above(self, tail: str) -> Screen:
        """The same screen with `tail` (a question) below its text."""
        return Screen(f"{self.text}\n\n{tail}", self.reply_markup)


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
