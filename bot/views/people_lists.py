"""Texts of the people lists (leads, pending bookings, free-lesson registrants, a stream's
members); the names on them are the users' (views/users.py)."""

from __future__ import annotations

from html import escape

from bot.i18n import _, __, ngettext
from bot.text.format import number

TITLES = {"leads": __("🧲 Лиды — без оплаченной брони"), "pending": __("⏳ Ждут оплаты"),
          "free_lesson": __("🎓 Записались на бесплатный урок")}


def stream_title(title: str) -> str:
    """A stream's members, as their list is headed."""
    return "👥 " + escape(title)


def no_stream(code: str) -> str:
    return _("Потока «{code}» нет.").format(code=code)


def list_head(title: str, total: int, page: int, pages: int) -> str:
    """The list's title, how many are on it, which page (`page` counts from 0)."""
    text = ngettext("<b>{title}</b>: {count} человек.", "<b>{title}</b>: {count} человек.",
                    total).format(title=title, count=number(total))
    if pages > 1:
        text += _(" Страница {page} из {pages}.").format(page=page + 1, pages=pages)
    if not total:
        text += "\n\n" + _("Никого нет.")
    return text


def preparing_file() -> str:
    return _("Готовлю файл…")


def csv_caption(name: str, count: int) -> str:
    return ngettext("{name}: {count} человек.", "{name}: {count} человек.", count).format(
        name=name, count=number(count))
