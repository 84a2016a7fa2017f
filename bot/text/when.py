"""A moment in the admin's words (_("завтра 18:00"), _("через 2 часа"), "25.11 09:30") read with
dateparser in the admins' time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import dateparser

from bot.i18n import _

HORIZON = timedelta(days=366)  # a broadcast is planned at most a year ahead


def examples() -> str:
    return _("«завтра 18:00», «25.11 09:30», «через 2 часа», «2026-12-01 10:00»")


class WhenError(ValueError):
    """Not a usable time; the message says why, with examples."""


def parse_when(text: str, tz: ZoneInfo, now: datetime | None = None) -> datetime:
    """The moment `text` names, in UTC; it must lie in the future."""
    now = now or datetime.now(UTC)
    base = now.astimezone(tz).replace(tzinfo=None)
    try:
        moment = dateparser.parse(text.strip()[:100], languages=["ru", "en"], settings={
            "TIMEZONE": str(tz), "RETURN_AS_TIMEZONE_AWARE": True, "TO_TIMEZONE": "UTC",
            "PREFER_DATES_FROM": "future", "RELATIVE_BASE": base, "DATE_ORDER": "DMY",
        })
    except (ValueError, OverflowError):  # "через 99999999 лет" and the like
        moment = None
    if moment is None:
        raise WhenError(_("Не понял время. Напишите, например: {examples}.").format(
            examples=examples()))
    local = moment.astimezone(tz).strftime("%d.%m.%Y %H:%M")
    if moment <= now:
        raise WhenError(_("{moment} уже прошло. Укажите время в будущем, например: {examples}.")
                        .format(moment=local, examples=examples()))
    if moment - now > HORIZON:
        raise WhenError(_("{moment} — больше чем через год. Рассылку можно запланировать не "
                          "дальше, чем на год вперёд.").format(moment=local))
    return moment
