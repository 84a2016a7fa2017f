"""What the bot shows as one message: its text and its buttons."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.types import InlineKeyboardMarkup


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
