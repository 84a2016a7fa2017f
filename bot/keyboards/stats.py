"""Buttons of the statistics screens."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.keyboards.menu import MenuCallback, Section
from bot.services.periods import PERIODS


class StatsCallback(CallbackData, prefix="st"):
    screen: str = "overview"
    period: str = "7"


def overview(period: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for key, (label, _) in PERIODS.items():
        mark = "• " if key == period else ""
        builder.button(text=f"{mark}{label}", callback_data=StatsCallback(period=key))
    builder.button(text="🔄 Обновить", callback_data=StatsCallback(period=period))
    builder.button(text="⬅️ Меню", callback_data=MenuCallback(section=Section.MAIN))
    builder.adjust(3, 2, 2)
    return builder.as_markup()
