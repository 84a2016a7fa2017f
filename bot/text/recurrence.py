"""A recurring broadcast's rule as the admin types it: a time of day, a day of the month, the
last day; and the weekdays' short names."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

from bot.i18n import _

_TIME = re.compile(r"^\s*(\d{1,2})(?:\s*[:.\- ]\s*(\d{2}))?\s*$")
_DATE = re.compile(r"^\s*(\d{1,2})[./-](\d{1,2})(?:[./-](\d{2}|\d{4}))?\s*$")


def parse_time(text: str) -> time:
    """«10:00», «9.30», «18» as a time of day."""
    found = _TIME.match(text)
    hour, minute = (int(found.group(1)), int(found.group(2) or 0)) if found else (99, 0)
    if hour > 23 or minute > 59:
        raise ValueError(_("Не понял время. Напишите часы и минуты, например: «10:00», "
                           "«18:30»."))
    return time(hour, minute)


def parse_month_day(text: str) -> int:
    """A day of the month, 1–31."""
    value = text.strip()
    if not value.isdecimal() or not 1 <= int(value) <= 31:  # «²» is a digit int() can't read
        raise ValueError(_("Нужно число от 1 до 31, например: «1» или «15»."))
    return int(value)


def parse_until(text: str, today: date) -> date:
    """«31.12», «31.12.2026»: the last day a series may go (this day or later; a date without
    a year is the next such day)."""
    found = _DATE.match(text)
    try:
        if found is None:
            raise ValueError
        day, month = int(found.group(1)), int(found.group(2))
        year = found.group(3)
        if year is None:
            moment = _next_such_day(today, month, day)
        else:
            moment = date(int(year) + (2000 if len(year) == 2 else 0), month, day)
    except ValueError:
        raise ValueError(_("Не понял дату. Напишите, например: «31.12» или «31.12.2027».")) \
            from None
    if moment < today:
        raise ValueError(_("{day} уже прошло. Укажите сегодняшнюю или более позднюю дату.")
                         .format(day=moment.strftime("%d.%m.%Y")))
    if moment - today > timedelta(days=3 * 366):
        raise ValueError(_("Не дальше чем на три года вперёд: укажите дату раньше или "
                           "выберите «Бессрочно»."))
    return moment


def _next_such_day(today: date, month: int, day: int) -> date:
    """The first day `day`.`month` from today on (a 29 February: the next leap year's)."""
    for year in range(today.year, today.year + 5):
        try:
            moment = date(year, month, day)
        except ValueError:
            if month == 2 and day == 29:
                continue  # not a leap year
            raise
        if moment >= today:
            return moment
    raise ValueError(day)


def weekday_names() -> tuple[str, ...]:
    """Short weekday names, Monday first."""
    return (_("пн"), _("вт"), _("ср"), _("чт"), _("пт"), _("сб"), _("вс"))
