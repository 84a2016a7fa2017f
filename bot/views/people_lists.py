"""Texts of the people lists (everyone, leads, pending bookings, free-lesson registrants, a
stream's members, bookings); the names on them are the users' (views/users.py)."""

from __future__ import annotations

from datetime import date
from html import escape
from zoneinfo import ZoneInfo

import asyncpg

from bot.enums import BookingStatus
from bot.i18n import _, __, ngettext
from bot.text.format import clip, number, when
from bot.views.labels import booking_status
from bot.views.users import label

TITLES = {"leads": __("🧲 Лиды — без оплаченной брони"), "pending": __("⏳ Ждут оплаты"),
          "free_lesson": __("🎓 Записались на бесплатный урок"),
          "all": __("👥 Все пользователи")}


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


# ---- free-lesson registrants ------------------------------------------------------------

def dates_text(since: date | None, until: date | None) -> str | None:
    """A range of lesson dates as it reads («01.12.2025–07.12.2025»; None: any)."""
    if since is None and until is None:
        return None
    first = f"{since:%d.%m.%Y}" if since else "…"
    last = f"{until:%d.%m.%Y}" if until else "…"
    return first if first == last else f"{first}–{last}"


def registrants(rows: list[asyncpg.Record], total: int, page: int, pages: int,
                lesson: str, dates: str | None, offset: int) -> str:
    """The list's head with its filters, then one line per person: name, lesson type, lesson
    date, e-mail (what is not known: «—»)."""
    head = list_head(str(TITLES["free_lesson"]), total, page, pages)
    filters = [_("урок: {lesson}").format(lesson=escape(clip(lesson, 40))) if lesson
               else _("все уроки"),
               _("даты урока: {dates}").format(dates=dates) if dates else _("любые даты")]
    lines = [head, "<i>" + " · ".join(filters) + "</i>"]
    if rows:
        lines.append("")
    for n, r in enumerate(rows, start=offset + 1):
        lesson_date = f"{r['lesson_date']:%d.%m.%Y}" if r["lesson_date"] else "—"
        lines.append(f"{n}. {escape(label(r['user_id'], r['first_name'], r['username']))} — "
                     f"{escape(clip(r['lesson_type'] or '—', 40))}, {lesson_date}, "
                     f"{escape(clip(r['email'] or '—', 64))}")
    return "\n".join(lines)


def ask_dates() -> str:
    return _("📅 Какие даты урока показать? Напишите, например, 01.12–07.12, "
             "1.12.2025 - 15.12.2025 или одну дату: 05.12.")


# ---- bookings ---------------------------------------------------------------------------

def bookings(rows: list[asyncpg.Record], total: int, page: int, pages: int,
             stream: str | None, status: BookingStatus | None, titles: dict[str, str],
             tz: ZoneInfo, offset: int) -> str:
    """Bookings with the filters they are shown by: one line each (number, person, stream,
    status, when booked)."""
    text = _("<b>🎫 Брони</b>: {count}").format(count=number(total))
    if pages > 1:
        text += _(" Страница {page} из {pages}.").format(page=page + 1, pages=pages)
    words = {BookingStatus.PENDING: _("⏳ ждут оплаты"), BookingStatus.CONFIRMED: _("✅ оплачены"),
             BookingStatus.CANCELLED: _("✖️ отменены")}
    filters = [escape(titles.get(stream, stream)) if stream else _("все потоки"),
               words[status] if status is not None else _("все статусы")]
    lines = [text, "<i>" + " · ".join(filters) + "</i>", ""]
    for n, r in enumerate(rows, start=offset + 1):
        known = booking_status(r["confirmed"])
        state = f"{known.mark} {known.one}" if known else _("статус неизвестен")
        where = titles.get(r["course_stream"] or "", r["course_stream"] or _("без потока"))
        person = label(r["user_id"], r["first_name"], r["username"]) if r["user_id"] is not None \
            else _("без пользователя")
        lines.append(f"{n}. #{r['id']} {escape(person)} — {escape(clip(where, 40))}, {state}, "
                     f"{when(r['created_at'], tz)}")
    if not rows:
        lines.append(_("Броней нет."))
    return "\n".join(lines)
