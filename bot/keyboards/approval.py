"""Buttons of an approval request."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup

from bot.i18n import _
from bot.keyboards.fields import RowId
from bot.keyboards.menu import button, cancel_button


class Verdict(StrEnum):
    APPROVE = "ok"
    REJECT = "no"  # asks for a reason first


class Kind(StrEnum):
    """What waits for approval."""

    BROADCAST = "b"
    SERIES = "s"  # a recurring broadcast: its approval holds for all its occurrences


class ApprovalCallback(CallbackData, prefix="ap"):
    verdict: Verdict
    id: RowId
    kind: Kind = Kind.BROADCAST


def request(row_id: int, kind: Kind = Kind.BROADCAST) -> InlineKeyboardMarkup:
    def cb(verdict: Verdict) -> ApprovalCallback:
        return ApprovalCallback(verdict=verdict, id=row_id, kind=kind)
    return InlineKeyboardMarkup(inline_keyboard=[
        [button(_("✅ Одобрить"), cb(Verdict.APPROVE))],
        [button(_("❌ Отклонить (с причиной)"), cb(Verdict.REJECT))]])


def reason_step() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[cancel_button()]])
