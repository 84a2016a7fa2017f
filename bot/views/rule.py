"""The steps of a recurring broadcast's rule, shared by the composer's «🔁 Повторять» and a
series' «🔁 Изменить расписание»: which question follows which, what a typed answer changes,
and each question's screen (the buttons lead back to whoever asked, see RuleExits)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.db.series import FREQUENCIES, Frequency, Rule
from bot.keyboards import rule as kb
from bot.keyboards.rule import RuleExits
from bot.text.recurrence import parse_month_day, parse_time, parse_until, weekday_names
from bot.views import series as texts
from bot.views.screen import Screen


class RuleAsk(StrEnum):
    WEEKDAYS = "weekdays"
    MONTH_DAY = "month_day"
    TIME = "time"
    UNTIL = "until"


_AFTER = {RuleAsk.WEEKDAYS: RuleAsk.TIME, RuleAsk.MONTH_DAY: RuleAsk.TIME,
          RuleAsk.TIME: RuleAsk.UNTIL}


def frequency_of(arg: str) -> Frequency | None:
    return next((f for f in FREQUENCIES if f == arg), None)


def first_ask(frequency: Frequency) -> RuleAsk:
    """The question after «how often?»."""
    return {"weekly": RuleAsk.WEEKDAYS, "monthly": RuleAsk.MONTH_DAY}.get(frequency,
                                                                         RuleAsk.TIME)


def next_ask(ask: RuleAsk) -> RuleAsk:
    return _AFTER[ask]


def take(ask: RuleAsk, rule: Rule, text: str, today: date) -> Rule:
    """The rule with the typed answer to `ask`; ValueError (the admin's explanation) if it
    can't be read."""
    if ask == RuleAsk.MONTH_DAY:
        return replace(rule, month_day=parse_month_day(text))
    if ask == RuleAsk.TIME:
        return rule.at_time(parse_time(text))
    return replace(rule, until=parse_until(text, today))


def frequency_screen(tz: ZoneInfo, exits: RuleExits) -> Screen:
    return Screen(texts.ask_frequency(tz), kb.frequency(exits))


def question(ask: RuleAsk, rule: Rule, tz: ZoneInfo, exits: RuleExits) -> Screen:
    if ask == RuleAsk.WEEKDAYS:
        return Screen(texts.ask_weekdays(), kb.weekdays(weekday_names(), rule.weekdays, exits))
    if ask == RuleAsk.MONTH_DAY:
        return Screen(texts.ask_month_day(), kb.typed(exits))
    if ask == RuleAsk.TIME:
        return Screen(texts.ask_time(tz), kb.typed(exits))
    return Screen(texts.ask_until(), kb.until(exits))
