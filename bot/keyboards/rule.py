"""Buttons of a recurring broadcast's rule (how often, which weekdays, until when), the same
for the composer's «🔁 Повторять» and a series' «🔁 Изменить расписание»: the callback says
whose rule it is (`series` 0: the composer's draft)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import _
from bot.keyboards.fields import RowId
from bot.keyboards.menu import button


class RuleStep(StrEnum):
    ASK = "ask"          # how often (the rule is chosen afresh)
    EVERY = "every"      # arg: daily, weekly, monthly
    DAY = "day"          # arg: a weekday (0 Monday) on or off
    DAYS_OK = "days"     # on with the weekdays chosen
    FOREVER = "forever"  # no end date
    OK = "ok"            # start the series / save the new rule


class RuleCallback(CallbackData, prefix="rl"):
    step: RuleStep
    arg: str = ""
    series: RowId = 0  # the series whose rule is changed; 0: the composer's draft


@dataclass(frozen=True)
class RuleExits:
    """Where a rule's steps lead out: `back` from the first question, `cancel` from any."""

    series: int
    back: CallbackData
    cancel: CallbackData
    ok_label: str

    def cb(self, step: RuleStep, arg: str = "") -> RuleCallback:
        return RuleCallback(step=step, arg=arg, series=self.series)

    def back_row(self) -> list[InlineKeyboardButton]:
        """Back to «how often?», and out."""
        return [button(_("↩️ Назад"), self.cb(RuleStep.ASK)),
                button(_("✖️ Отмена"), self.cancel)]


def frequency(exits: RuleExits) -> InlineKeyboardMarkup:
    every = (("daily", _("📅 Каждый день")), ("weekly", _("🗓 По дням недели")),
             ("monthly", _("📆 Раз в месяц")))
    return InlineKeyboardMarkup(inline_keyboard=[
        [button(label, exits.cb(RuleStep.EVERY, kind))] for kind, label in every] + [
        [button(_("↩️ Назад"), exits.back), button(_("✖️ Отмена"), exits.cancel)]])


def weekdays(names: tuple[str, ...], chosen: tuple[int, ...],
             exits: RuleExits) -> InlineKeyboardMarkup:
    """Пн … Вс, each a switch (✅ when chosen), then on."""
    days = [button(("✅ " if day in chosen else "") + name.capitalize(),
                   exits.cb(RuleStep.DAY, str(day))) for day, name in enumerate(names)]
    return InlineKeyboardMarkup(inline_keyboard=[
        days[:4], days[4:], [button(_("➡️ Дальше"), exits.cb(RuleStep.DAYS_OK))],
        exits.back_row()])


def typed(exits: RuleExits) -> InlineKeyboardMarkup:
    """For a step of the rule that waits for typed input."""
    return InlineKeyboardMarkup(inline_keyboard=[exits.back_row()])


def until(exits: RuleExits) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [button(_("♾ Бессрочно"), exits.cb(RuleStep.FOREVER))], exits.back_row()])


def confirm(exits: RuleExits) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [button(exits.ok_label, exits.cb(RuleStep.OK))], exits.back_row()])
