"""Texts of the main menu and its sections."""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from bot.db.health import TableInfo
from bot.db.streams import StreamSummary
from bot.views.format import number, when

TABLE_TITLES = {
    "bookings": "Бронирования",
    "free_lesson_registrations": "Бесплатные уроки",
    "events": "События",
    "message_history": "Рассылки",
    "message_recipients": "Получатели",
}


def greeting(first_name: str | None) -> str:
    name = f", {escape(first_name)}" if first_name else ""
    return (
        f"Здравствуйте{name}! Это панель администратора курса «Вайб кодинг».\n"
        "Выберите раздел:"
    )


def menu_text() -> str:
    return "<b>Главное меню</b>\nВыберите раздел:"


def guest_text() -> str:
    return "Этот бот служит администраторам курса. Если вы учитесь у нас, напишите в бот курса."


def streams_text(streams: list[StreamSummary]) -> str:
    if not streams:
        return "<b>📚 Потоки курса</b>\n\nАктивных потоков нет."
    lines = ["<b>📚 Потоки курса</b>", ""]
    for stream in streams:
        lines.append(
            f"<b>{escape(stream.title)}</b> · {number(stream.members)} оплатили"
            + (f", {number(stream.pending)} ждут оплаты" if stream.pending else "")
        )
    lines += ["", "<i>Оплатили: пользователи с подтверждённой бронью в потоке.</i>"]
    return "\n".join(lines)


def status_text(version: str, applied: int, pending: int, tables: list[TableInfo],
                tz: ZoneInfo, now: datetime) -> str:
    migrations = (f"все применены ({applied})" if not pending
                  else f"⚠️ ожидают применения: {pending}")
    rows = []
    for table in tables:
        title = TABLE_TITLES.get(table.name, table.name)
        count = number(table.rows) if table.exists else "нет таблицы"
        rows.append(f"{title:<16} {count:>9}")
    last_rows = [f"{TABLE_TITLES.get(t.name, t.name)}: {when(t.last_row_at, tz)}"
                 for t in tables if t.exists and t.name in ("bookings", "events",
                                                            "free_lesson_registrations")]
    return "\n".join([
        "<b>🩺 Состояние</b>",
        "",
        f"База данных: ✅ PostgreSQL {escape(version)}",
        f"Миграции: {migrations}",
        "",
        "<b>Данные платформы</b>",
        "<pre>" + escape("\n".join(rows)) + "</pre>",
        "<b>Последние записи</b>",
        *[escape(line) for line in last_rows],
        "",
        f"<i>Обновлено {when(now, tz)}</i>",
    ])
