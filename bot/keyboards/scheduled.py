"""Buttons of the scheduled broadcasts: the list, a broadcast's card, a recurring series' card
(pause, skip the next one, edit, stop)."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup

from bot.i18n import _
from bot.keyboards.fields import RowId
from bot.keyboards.menu import menu_button, MenuCallback, Section, button, cancel_button
from bot.keyboards.rule import RuleCallback, RuleExits, RuleStep


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


class SeriesAction(StrEnum):
    OPEN = "open"
    PAUSE = "pause"
    RESUME = "resume"
    SKIP = "skip"
    UNSKIP = "unskip"
    TIME = "time"
    EDIT = "edit"
    STOP = "stop"
    STOP_OK = "stop_ok"


class SeriesCallback(CallbackData, prefix="sr"):
    action: SeriesAction
    id: RowId


def scheduled_list(items: list[tuple[int, str]],
                   series: list[tuple[int, str]] | None = None) -> InlineKeyboardMarkup:
    """A button per recurring series (`series`: id, label), then per broadcast."""
    rows = [[button(label, SeriesCallback(action=SeriesAction.OPEN, id=i))]
            for i, label in series or []]
    rows += [[button(label, ScheduledCallback(action=Sched.OPEN, id=i))] for i, label in items]
    if not rows:
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


def series_card(series_id: int, paused: bool, skip_next: bool) -> InlineKeyboardMarkup:
    def cb(action: SeriesAction) -> SeriesCallback:
        return SeriesCallback(action=action, id=series_id)
    pause = button(_("▶️ Продолжить"), cb(SeriesAction.RESUME)) if paused \
        else button(_("⏸ Пауза"), cb(SeriesAction.PAUSE))
    skip = button(_("↩️ Не пропускать"), cb(SeriesAction.UNSKIP)) if skip_next \
        else button(_("⏭ Пропустить следующую"), cb(SeriesAction.SKIP))
    return InlineKeyboardMarkup(inline_keyboard=[
        [pause, skip] if not paused else [pause],
        [button(_("✏️ Изменить текст"), cb(SeriesAction.EDIT)),
         button(_("🕒 Изменить время"), cb(SeriesAction.TIME))],
        [button(_("🔁 Изменить расписание"), RuleCallback(step=RuleStep.ASK, series=series_id))],
        [button(_("⏹ Остановить"), cb(SeriesAction.STOP))],
        [button(_("⬅️ К списку"), ScheduledCallback(action=Sched.LIST))]])


def back_to_list() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [button(_("⬅️ К списку"), ScheduledCallback(action=Sched.LIST))]])


def back_to_series(series_id: int) -> InlineKeyboardMarkup:
    """For a step that waits for typed input: back to the series' card."""
    return InlineKeyboardMarkup(inline_keyboard=[
        [button(_("↩️ Назад"), SeriesCallback(action=SeriesAction.OPEN, id=series_id)),
         cancel_button()]])


def series_stop(series_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [button(_("Да, остановить"), SeriesCallback(action=SeriesAction.STOP_OK, id=series_id))],
        [button(_("↩️ Нет, назад"), SeriesCallback(action=SeriesAction.OPEN, id=series_id))]])


def rule_exits(series_id: int) -> RuleExits:
    """Where «🔁 Изменить расписание» leads out: back to the series' card (cancel too); the
    new rule confirmed is saved."""
    card = SeriesCallback(action=SeriesAction.OPEN, id=series_id)
    return RuleExits(series_id, card, card, _("✅ Сохранить расписание"))
