"""Buttons of what broadcasts caused: a broadcast's outcomes with their window and event, and
the last broadcasts compared."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import _, ngettext
from bot.keyboards.history import Hist, HistoryCallback, OutcomeCallback, Out, Window
from bot.keyboards.menu import button

EVENTS_OFFERED = 6  # event types offered as buttons (the most frequent of the last 30 days)


def _windows(action: Out, broadcast_id: int, days: Window, event: str
             ) -> list[InlineKeyboardButton]:
    return [button(("• " if w == days else "") + ngettext("{days} день", "{days} дней",
                                                           int(w)).format(days=int(w)),
                   OutcomeCallback(action=action, id=broadcast_id, days=w, event=event))
            for w in Window]


def outcome_keyboard(broadcast_id: int, days: Window, event: str,
                     events: list[str]) -> InlineKeyboardMarkup:
    """Window and event pickers, and the way back to the broadcast's card."""
    builder = InlineKeyboardBuilder()
    builder.row(*_windows(Out.SHOW, broadcast_id, days, event))
    picks = [button(("✓ " if code == event else "") + code,
                    OutcomeCallback(action=Out.SHOW, id=broadcast_id, days=days,
                                    event="" if code == event else code))
             for code in events[:EVENTS_OFFERED]]
    for at in range(0, len(picks), 2):
        builder.row(*picks[at:at + 2])
    builder.row(button(_("⬅️ К рассылке"), HistoryCallback(action=Hist.OPEN, id=broadcast_id)))
    return builder.as_markup()


def comparison_keyboard(days: Window) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.row(*_windows(Out.COMPARE, 0, days, ""))
    builder.row(button("📄 CSV", OutcomeCallback(action=Out.CSV, days=days)),
                button(_("📈 График"), OutcomeCallback(action=Out.CHART, days=days)))
    builder.row(button(_("⬅️ К истории"), HistoryCallback(action=Hist.LIST)))
    return builder.as_markup()
