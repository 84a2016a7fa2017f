"""Buttons of the scheduled broadcasts: the list and a broadcast's card."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup

from bot.i18n import _
from bot.keyboards.fields import RowId
from bot.keyboards.menu import menu_button, MenuCallback, Section, button, cancel_button


class Sched(StrEnum):
    LIST = "list"
    OPEN = "open"
    SEND_NOW = "send"
    RESCHEDULE = "move"
    EDIT = "edit"
    CANCEL = "cancel"
    CANCEL_OK = "cancel_ok"


class ScheduledCallback(CallbackData, prefix="sc"):
    action: Sched
    id: RowId = 0


def scheduled_list(items: list[tuple[int, str]]) -> InlineKeyboardMarkup:
    rows = [[button(label, ScheduledCallback(action=Sched.OPEN, id=i))] for i, label in items]
    if not items:
        rows.append([button(_("📣 Новая рассылка"), MenuCallback(section=Section.BROADCAST))])
    rows.append([menu_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def scheduled_card(broadcast_id: int) -> InlineKeyboardMarkup:
    def cb(action: Sched) -> ScheduledCallback:
        return ScheduledCallback(action=action, id=broadcast_id)
    return InlineKeyboardMarkup(inline_keyboard=[
        [button(_("🚀 Отправить сейчас"), cb(Sched.SEND_NOW)),
         button(_("🕒 Перенести"), cb(Sched.RESCHEDULE))],
        [button(_("✏️ Изменить текст"), cb(Sched.EDIT)),
         button(_("✖️ Отменить"), cb(Sched.CANCEL))],
        [button(_("⬅️ К списку"), ScheduledCallback(action=Sched.LIST))]])


def back_to_scheduled(broadcast_id: int) -> InlineKeyboardMarkup:
    """For a step that waits for typed input: back to the broadcast's card."""
    return InlineKeyboardMarkup(inline_keyboard=[
        [button(_("↩️ Назад"), ScheduledCallback(action=Sched.OPEN, id=broadcast_id)),
         cancel_button()]])


def scheduled_cancel(broadcast_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [button(_("Да, отменить"), ScheduledCallback(action=Sched.CANCEL_OK, id=broadcast_id))],
        [button(_("↩️ Нет, назад"), ScheduledCallback(action=Sched.OPEN, id=broadcast_id))]])
