"""A moment in the admin's words (_("завтра 18:00"), _("через 2 часа"), "25.11 09:30") read with
dateparser in the admins' time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import dateparser

from bot.i18n import _


def examples() -> str:
    return _("«завтра 18:00», «25.11 09:30», «через 2 часа», «2026-12-01 10:00»")


class WhenError(ValueError):
    """Not a usable time; the message says why, with examples."""


def parse_when(text: str, tz: ZoneInfo, now: datetime | None = None) -> datetime:
    """The moment `text` names, in UTC; it must lie in the future."""
    now = now or datetime.now(UTC)
    base = now.astimezone(tz).replace(tzinfo=None)
    moment = dateparser.parse(text.strip()[:100], languages=["ru", "en"], settings={
        "TIMEZONE": str(tz), "RETURN_AS_TIMEZONE_AWARE": True, "TO_TIMEZONE": "UTC",
        "PREFER_DATES_FROM": "future", "RELATIVE_BASE": base, "DATE_ORDER": "DMY",
    })
    if moment is None:
        raise WhenError(_("Не понял время. Напишите, например: {examples}.").format(
            examples=examples()))
    if moment <= now:
        local = moment.astimezone(tz).strftime("%d.%m.%Y %H:%M")
        raise WhenError(_("{moment} уже прошло. Укажите время в будущем, например: {examples}.")
                        .format(moment=local, examples=examples()))
    return moment
