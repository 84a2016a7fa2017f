"""Buttons of the statistics screens."""

from __future__ import annotations

from datetime import time
from typing import Literal, get_args

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import _, __
from bot.keyboards.digest import DigestAction, DigestCallback
from bot.keyboards.menu import MenuCallback, Section
from bot.text.periods import PERIODS, PeriodKey


ScreenKey = Literal["overview", "streams", "funnel", "events", "referrals", "recent"]
ChartKey = Literal["growth", "bookings", "events"]


class StatsCallback(CallbackData, prefix="st"):
    screen: ScreenKey = "overview"
    period: PeriodKey = "7"


class ChartCallback(CallbackData, prefix="ch"):
    chart: ChartKey
    period: PeriodKey = "7"


CHARTS: tuple[tuple[ChartKey, object], ...] = (
    ("growth", __("📈 Рост")), ("bookings", __("🎫 Брони")), ("events", __("🖱 События")))


SCREENS: tuple[tuple[ScreenKey, object], ...] = (
    ("overview", __("Обзор")), ("streams", __("Потоки")), ("funnel", __("Урок")),
    ("events", __("События")), ("referrals", __("Рефералы")), ("recent", __("Последние")))
WITH_PERIOD: set[ScreenKey] = {"overview", "funnel", "events", "referrals"}


def navigation(screen: ScreenKey, period: PeriodKey,
               digest: tuple[bool, time] = (False, time(9)),
               extra: tuple[InlineKeyboardButton, ...] = ()) -> InlineKeyboardMarkup:
    """Screens (two rows), periods where the screen has them (two rows), the screen's own
    buttons (`extra`, a row each), refresh, menu."""
    builder = InlineKeyboardBuilder()
    for key, label in SCREENS:
        mark = "• " if key == screen else ""
        builder.button(text=f"{mark}{label}", callback_data=StatsCallback(screen=key, period=period))
    sizes = [3, 3]
    if screen in WITH_PERIOD:
        for period_option in get_args(PeriodKey):
            mark = "• " if period_option == period else ""
            builder.button(text=f"{mark}{PERIODS[period_option][0]}",
                           callback_data=StatsCallback(screen=screen, period=period_option))
        sizes += [3, 2]
    if screen == "overview":
        for chart, chart_label in CHARTS:
            builder.button(text=str(chart_label),
                           callback_data=ChartCallback(chart=chart, period=period))
        on, at = digest
        builder.button(text=_("🔔 Дайджест: вкл") if on else _("🔕 Дайджест: выкл"),
                       callback_data=DigestCallback(period=period))
        builder.button(text=_("🕘 в {time}").format(time=f"{at:%H:%M}"),
                       callback_data=DigestCallback(action=DigestAction.ASK_TIME, period=period))
        sizes += [3, 2]
    for extra_button in extra:
        builder.add(extra_button)
        sizes.append(1)
    builder.button(text=_("🔄 Обновить"), callback_data=StatsCallback(screen=screen, period=period))
    builder.button(text=_("⬅️ Меню"), callback_data=MenuCallback(section=Section.MAIN))
    builder.adjust(*sizes, 2)
    return builder.as_markup()
