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


class ApprovalCallback(CallbackData, prefix="ap"):
    verdict: Verdict
    id: RowId


def request(broadcast_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [button(_("✅ Одобрить"), ApprovalCallback(verdict=Verdict.APPROVE, id=broadcast_id))],
        [button(_("❌ Отклонить (с причиной)"), ApprovalCallback(verdict=Verdict.REJECT,
                                                                id=broadcast_id))]])


def reason_step() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[cancel_button()]])
