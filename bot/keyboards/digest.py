"""Buttons of the daily digest: on or off, and at what time."""

from __future__ import annotations

from datetime import time
from enum import StrEnum
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from pydantic import Field

from bot.i18n import _
from bot.keyboards.menu import cancel_button
from bot.text.periods import PeriodKey


class DigestAction(StrEnum):
    TOGGLE = "toggle"
    ASK_TIME = "time"
    SET_TIME = "set"  # to `at`
    BACK = "back"


class DigestCallback(CallbackData, prefix="dg"):
    action: DigestAction = DigestAction.TOGGLE
    period: PeriodKey = "7"
    at: Annotated[str, Field(pattern=r"^(\d{4})?$")] = ""  # HHMM for set


DIGEST_TIMES = ("0700", "0800", "0900", "1000", "1200", "1800", "2000", "2200")


def digest_times(period: PeriodKey, current: time) -> InlineKeyboardMarkup:
    """Preset times for the digest (the current one marked), and back to the overview."""
    builder = InlineKeyboardBuilder()
    for at in DIGEST_TIMES:
        label = f"{at[:2]}:{at[2:]}"
        mark = "• " if label == f"{current:%H:%M}" else ""
        builder.button(text=f"{mark}{label}",
                       callback_data=DigestCallback(action=DigestAction.SET_TIME, period=period, at=at))
    builder.button(text=_("⬅️ Назад"), callback_data=DigestCallback(action=DigestAction.BACK, period=period))
    builder.add(cancel_button())  # the step also waits for a typed time
    builder.adjust(4, 4, 2)
    return builder.as_markup()
