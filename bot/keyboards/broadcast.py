"""Buttons on a broadcast's progress and summary messages."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.enums import BroadcastStatus
from bot.i18n import _
from bot.keyboards.fields import RowId
from bot.keyboards.history import Hist, HistoryCallback


class Action(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"          # asks first
    CANCEL_OK = "cancel_ok"
    RECALL = "recall"          # asks first
    RECALL_OK = "recall_ok"
    RESEND = "resend"          # failed recipients again
    RESEND_UNKNOWN = "unknown"  # recipients whose delivery is unknown: asks first
    RESEND_UNKNOWN_OK = "unknown_ok"
    BACK = "back"              # from a question back to the controls
    CANARY_GO = "canary_go"    # the rest now, before the canary's wait ends


class BroadcastCallback(CallbackData, prefix="bc"):
    action: Action
    id: RowId


def _button(builder: InlineKeyboardBuilder, text: str, action: Action, broadcast_id: int) -> None:
    builder.button(text=text, callback_data=BroadcastCallback(action=action, id=broadcast_id))


# nothing is being sent: failed ones may be sent again, a broadcast recalled
_STOPPED = (BroadcastStatus.DONE, BroadcastStatus.CANCELLED, BroadcastStatus.PAUSED)


def controls(broadcast_id: int, status: str, *, can_recall: bool = False, failed: int = 0,
             unknown: int = 0, canary_wait: bool = False) -> InlineKeyboardMarkup | None:
    """The buttons that make sense for a broadcast in this status (None: no buttons);
    `canary_wait`: its canary is out and the rest waits."""
    builder = InlineKeyboardBuilder()
    if status == BroadcastStatus.SENDING and canary_wait:
        _button(builder, _("▶️ Продолжить"), Action.CANARY_GO, broadcast_id)
        _button(builder, _("✖️ Отменить"), Action.CANCEL, broadcast_id)
        # a mistake seen in the canary: fixed in its copies, and the rest get the new text
        builder.button(text=_("✏️ Исправить"), callback_data=HistoryCallback(
            action=Hist.EDIT, id=broadcast_id))
    elif status == BroadcastStatus.SENDING:
        _button(builder, _("⏸ Пауза"), Action.PAUSE, broadcast_id)
        _button(builder, _("✖️ Отменить"), Action.CANCEL, broadcast_id)
    elif status == BroadcastStatus.PAUSED:
        _button(builder, _("▶️ Продолжить"), Action.RESUME, broadcast_id)
        _button(builder, _("✖️ Отменить"), Action.CANCEL, broadcast_id)
    if status in _STOPPED:
        resend_buttons(builder, broadcast_id, failed, unknown)
    if status in _STOPPED and can_recall:
        _button(builder, _("🗑 Отозвать у всех"), Action.RECALL, broadcast_id)
    builder.adjust(2)
    markup = builder.as_markup()
    return markup if markup.inline_keyboard else None


def resend_buttons(builder: InlineKeyboardBuilder, broadcast_id: int, failed: int,
                   unknown: int) -> None:
    """Failed ones again (they never got it), and apart from them, after a question, those
    whose request got no answer (some of them already have it)."""
    if failed:
        _button(builder, _("🔁 Повторить неудачные ({count})").format(count=failed),
                Action.RESEND, broadcast_id)
    if unknown:
        _button(builder, _("❔ Неизвестные ({count})").format(count=unknown),
                Action.RESEND_UNKNOWN, broadcast_id)


def confirm(broadcast_id: int, yes: Action, yes_text: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    _button(builder, yes_text, yes, broadcast_id)
    _button(builder, _("↩️ Нет, назад"), Action.BACK, broadcast_id)
    builder.adjust(1)
    return builder.as_markup()
