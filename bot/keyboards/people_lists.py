"""Buttons of the lists of people (leads, pending bookings, free-lesson registrants, a
stream's members)."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton

from bot.keyboards.fields import PageNo, StreamCode
from bot.keyboards.menu import button, users_button


class ListKind(StrEnum):
    LEADS = "leads"
    PENDING = "pending"
    FREE_LESSON = "free_lesson"
    STREAM = "stream"


class ListCallback(CallbackData, prefix="ul"):
    kind: ListKind
    stream: StreamCode = ""
    page: PageNo = 0
    csv: bool = False


def list_footer(kind: ListKind, stream: str, back: InlineKeyboardButton | None = None
                ) -> list[list[InlineKeyboardButton]]:
    """CSV of the whole list, and back where the list was opened from (`back`; the users
    section if None)."""
    return [[button("📄 CSV", ListCallback(kind=kind, stream=stream, csv=True)),
             back or users_button()]]
