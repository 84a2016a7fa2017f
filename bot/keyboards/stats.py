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


class DigestCallback(CallbackData, prefix="dg"):
    period: str = "7"


class ChartCallback(CallbackData, prefix="ch"):
    chart: str  # growth, bookings, events
    period: str = "7"


CHARTS = (("growth", "📈 Рост"), ("bookings", "🎫 Брони"), ("events", "🖱 События"))


SCREENS = (("overview", "Обзор"), ("streams", "Потоки"), ("funnel", "Урок"),
           ("events", "События"), ("referrals", "Рефералы"), ("recent", "Последние"))
WITH_PERIOD = {"overview", "funnel", "events", "referrals"}


def navigation(screen: str, period: str, digest_on: bool = False) -> InlineKeyboardMarkup:
    """Screens (two rows), periods where the screen has them (two rows), refresh, menu."""
    builder = InlineKeyboardBuilder()
    for key, label in SCREENS:
        mark = "• " if key == screen else ""
        builder.button(text=f"{mark}{label}", callback_data=StatsCallback(screen=key, period=period))
    sizes = [3, 3]
    if screen in WITH_PERIOD:
        for key, (label, _) in PERIODS.items():
            mark = "• " if key == period else ""
            builder.button(text=f"{mark}{label}", callback_data=StatsCallback(screen=screen,
                                                                              period=key))
        sizes += [3, 2]
    if screen == "overview":
        for key, label in CHARTS:
            builder.button(text=label, callback_data=ChartCallback(chart=key, period=period))
        builder.button(text="🔔 Дайджест: вкл" if digest_on else "🔕 Дайджест: выкл",
                       callback_data=DigestCallback(period=period))
        sizes += [3, 1]
    builder.button(text="🔄 Обновить", callback_data=StatsCallback(screen=screen, period=period))
    builder.button(text="⬅️ Меню", callback_data=MenuCallback(section=Section.MAIN))
    builder.adjust(*sizes, 2)
    return builder.as_markup()
