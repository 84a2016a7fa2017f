"""Buttons of fixing a sent broadcast (the history card's «✏️ Исправить»)."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup

from bot.i18n import _
from bot.keyboards.fields import RowId
from bot.keyboards.history import Hist, HistoryCallback
from bot.keyboards.menu import button, cancel_button


class Fix(StrEnum):
    TEXT = "text"        # type the new text (caption)
    BUTTONS = "buttons"  # type the new buttons
    KEEP = "keep"        # buttons as they are: on to the question
    GO = "go"            # yes, fix it in every chat


class FixCallback(CallbackData, prefix="fx"):
    action: Fix
    id: RowId = 0


def text_step(broadcast_id: int) -> InlineKeyboardMarkup:
    """Under «send the new text»: or only the buttons, or leave."""
    return InlineKeyboardMarkup(inline_keyboard=[
        [button(_("🔗 Только кнопки"), FixCallback(action=Fix.BUTTONS, id=broadcast_id))],
        [cancel_button()]])


def buttons_step(broadcast_id: int, text_given: bool) -> InlineKeyboardMarkup:
    """Under «send the new buttons»: with a new text given, the buttons may stay as they are."""
    rows = [[button(_("↩️ Кнопки как были"), FixCallback(action=Fix.KEEP, id=broadcast_id))]] \
        if text_given else []
    return InlineKeyboardMarkup(inline_keyboard=[*rows, [cancel_button()]])


def confirm(broadcast_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [button(_("✅ Исправить у всех"), FixCallback(action=Fix.GO, id=broadcast_id))],
        [button(_("📝 Другой текст"), FixCallback(action=Fix.TEXT, id=broadcast_id)),
         button(_("🔗 Кнопки"), FixCallback(action=Fix.BUTTONS, id=broadcast_id))],
        [cancel_button()]])


def to_card(broadcast_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [button(_("⬅️ К рассылке"), HistoryCallback(action=Hist.OPEN, id=broadcast_id))]])
