"""Texts of the daily digest: its settings and the message itself."""

from __future__ import annotations

from datetime import time

from bot.i18n import _


def enabled(at: time, tz: str) -> str:
    return _("Дайджест включён: каждый день в {time} ({tz}).").format(time=f"{at:%H:%M}", tz=tz)


def disabled() -> str:
    return _("Дайджест выключен.")


def ask_time(at: time, tz: str) -> str:
    return _("🕘 Во сколько присылать дайджест? Сейчас: <b>{time}</b> ({tz})."
             "\n\nВыберите время или напишите своё, например 8:30.").format(
        time=f"{at:%H:%M}", tz=tz)


def yesterday() -> str:
    """The period the digest's overview covers."""
    return _("вчера")


def digest(overview: str) -> str:
    return _("🗞 <b>Дайджест</b>") + f"\n\n{overview}"


def growth_caption() -> str:
    return _("Рост аудитории за 30 дней")


def time_not_understood() -> str:
    return _("Не понял время. Напишите, например, 8:30 или 21:00.")
