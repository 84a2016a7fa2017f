"""A range of days typed by an admin («01.12–07.12», «1.12.2025 - 15.12.2025», «05.12»), and
the same range carried in a button's data (YYYYMMDD, "" for an open end)."""

from __future__ import annotations

import re
from datetime import date

from bot.i18n import _

FIRST_YEAR, LAST_YEAR = 2000, 2100  # the years a lesson's date may be typed in

_DAY = r"(?:[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}|[0-9]{1,2}[./][0-9]{1,2}(?:[./][0-9]{2}(?:[0-9]{2})?)?)"
# between the two days: a dash, "..", the Russian words for "to" (по, до) or only a space
_BETWEEN = r"(?:[-–—]|\.\.|\u043f\u043e|\u0434\u043e)?"
_RANGE = re.compile(rf"^\s*({_DAY})\s*(?:{_BETWEEN}\s*({_DAY}))?\s*$", re.IGNORECASE)


def _day(text: str, today: date) -> tuple[date, bool]:
    """One typed day, and whether its year was given."""
    if "-" in text:
        year, month, day = (int(part) for part in text.split("-"))
        given = True
    else:
        parts = [int(part) for part in re.split(r"[./]", text)]
        day, month = parts[0], parts[1]
        given = len(parts) == 3
        year = parts[2] if given else today.year
        if given and year < 100:
            year += 2000
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(_("Год {year} не подходит: нужен от {first} до {last}.").format(
            year=year, first=FIRST_YEAR, last=LAST_YEAR))
    try:
        return date(year, month, day), given
    except ValueError:
        raise ValueError(_("Такой даты нет: {text}.").format(text=text)) from None


def parse_date_range(text: str, today: date) -> tuple[date, date]:
    """The first and the last day (both included) of a typed range, or one day; a date
    without a year is in this year (a range without years that ends before it starts ends
    next year). Anything else is a ValueError saying what to write."""
    match = _RANGE.match(text)
    if match is None:
        raise ValueError(_("Не понял даты. Напишите, например, 01.12–07.12, "
                           "1.12.2025 - 15.12.2025 или одну дату: 05.12."))
    first, first_given = _day(match[1], today)
    if match[2] is None:
        return first, first
    last, last_given = _day(match[2], today)
    if last < first and not last_given:
        try:
            last = last.replace(year=last.year + 1)
        except ValueError:  # 29 February of the next year
            last = last.replace(year=last.year + 1, day=28)
    if last < first:
        raise ValueError(_("Конец раньше начала: {last} раньше {first}.").format(
            last=f"{last:%d.%m.%Y}", first=f"{first:%d.%m.%Y}"))
    return first, last


def date_key(day: date | None) -> str:
    """A day as a button carries it: YYYYMMDD ("" for none)."""
    return f"{day:%Y%m%d}" if day is not None else ""


def from_key(key: str) -> date | None:
    """The day a button carries (None: none, or not a day: a forged or stale button)."""
    if len(key) != 8 or not key.isascii() or not key.isdigit():
        return None
    try:
        return date(int(key[:4]), int(key[4:6]), int(key[6:]))
    except ValueError:
        return None
