"""Periods the statistics are shown for, as days in the admins' time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from bot.db.stats import Window
from bot.i18n import __

# key -> (label, read in the admin's language; days, None = all time)
PERIODS: dict[str, tuple[object, int | None]] = {
    "1": (__("сегодня"), 1), "7": (__("7 дней"), 7), "30": (__("30 дней"), 30),
    "90": (__("90 дней"), 90), "all": (__("всё время"), None),
}
DEFAULT = "7"
PeriodKey = Literal["1", "7", "30", "90", "all"]  # the keys of PERIODS


def period_key(value: str) -> PeriodKey:
    """A period read back from stored data; the default one for anything else."""
    return next((key for key in get_args(PeriodKey) if key == value), "7")


def label(period: str) -> str:
    return str(PERIODS.get(period, PERIODS[DEFAULT])[0])


def windows(period: str, tz: ZoneInfo, now: datetime | None = None) -> tuple[Window, Window | None]:
    """The period ending today (inclusive) and the one of the same length just before it."""
    days = PERIODS.get(period, PERIODS[DEFAULT])[1]
    today = (now or datetime.now(UTC)).astimezone(tz).date()
    end = today + timedelta(days=1)
    if days is None:
        return Window(None, end, str(tz)), None
    start = end - timedelta(days=days)
    return Window(start, end, str(tz)), Window(start - timedelta(days=days), start, str(tz))
