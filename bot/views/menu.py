"""Texts of the main menu, the command menu and the status section."""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from aiogram.types import BotCommand
from babel.support import LazyProxy

from bot.config import FrequencyCap, QuietHours, Safeguards
from bot.db.health import TableInfo
from bot.enums import Role
from bot.i18n import _, __, ngettext
from bot.text.format import number, when
from bot.views.safeguards import rules as safeguard_rules

TABLE_TITLES = {
    "bookings": __("Бронирования"),
    "free_lesson_registrations": __("Бесплатные уроки"),
    "events": __("События"),
    "message_history": __("Рассылки"),
    "message_recipients": __("Получатели"),
}


# the team's command menu, in order, with the role each command needs; /start is answered
# too, without a line in the menu
COMMAND_MENU: tuple[tuple[str, LazyProxy, Role], ...] = (
    ("menu", __("Главное меню"), Role.VIEWER),
    ("stats", __("Статистика"), Role.VIEWER),
    ("find", __("Найти пользователя: /find Маша"), Role.VIEWER),
    ("broadcast", __("Новая рассылка"), Role.EDITOR),
    ("scheduled", __("Запланированные рассылки"), Role.EDITOR),
    ("history", __("История рассылок"), Role.VIEWER),
    ("streams", __("Потоки курса"), Role.EDITOR),
    ("audit", __("Журнал действий админов"), Role.EDITOR),
    ("team", __("Команда: роли и права"), Role.OWNER),
    ("cancel", __("Отменить текущее действие"), Role.VIEWER),
)


def command_menu(role: Role = Role.OWNER) -> list[BotCommand]:
    """The command menu of a role, in the current language."""
    return [BotCommand(command=name, description=str(text))
            for name, text, needed in COMMAND_MENU if role.reaches(needed)]


def greeting(first_name: str | None) -> str:
    name = f", {escape(first_name)}" if first_name else ""
    return _("Здравствуйте{name}! Это панель администратора курса «Вайб кодинг».\n"
             "Выберите раздел:").format(name=name)


def menu_text() -> str:
    return _("<b>Главное меню</b>\nВыберите раздел:")


def sending_rules(cap: FrequencyCap | None, quiet: QuietHours | None, tz: ZoneInfo,
                  guards: Safeguards | None = None) -> list[str]:
    """The safe-sending settings as the status screen shows them."""
    return [
        _("<b>Безопасная отправка</b>"),
        ngettext("Лимит частоты: не больше {count} рассылки за {hours} ч (FREQUENCY_CAP)",
                 "Лимит частоты: не больше {count} рассылок за {hours} ч (FREQUENCY_CAP)",
                 cap.count).format(count=cap.count, hours=cap.hours) if cap else
        _("Лимит частоты: выключен (FREQUENCY_CAP=off)"),
        _("Тихие часы: {start}–{end} ({tz}), рассылки ждут их конца (QUIET_HOURS)").format(
            start=f"{quiet.start:%H:%M}", end=f"{quiet.end:%H:%M}", tz=escape(str(tz)))
        if quiet else _("Тихие часы: выключены (QUIET_HOURS=off)"),
        *(safeguard_rules(guards) if guards else []),
    ]


def status_text(version: str, applied: int, pending: int, tables: list[TableInfo],
                tz: ZoneInfo, now: datetime, rules: list[str] | None = None) -> str:
    migrations = (_("все применены ({count})").format(count=applied) if not pending
                  else _("⚠️ ожидают применения: {count}").format(count=pending))
    rows = []
    for table in tables:
        title = str(TABLE_TITLES.get(table.name, table.name))
        count = number(table.rows) if table.exists else _("нет таблицы")
        rows.append(f"{title:<16} {count:>9}")
    last_rows = [f"{TABLE_TITLES.get(t.name, t.name)}: {when(t.last_row_at, tz)}"
                 for t in tables if t.exists and t.name in ("bookings", "events",
                                                            "free_lesson_registrations")]
    return "\n".join([
        _("<b>🩺 Состояние</b>"),
        "",
        _("База данных: ✅ PostgreSQL {version}").format(version=escape(version)),
        _("Миграции: {state}").format(state=migrations),
        "",
        _("<b>Данные платформы</b>"),
        "<pre>" + escape("\n".join(rows)) + "</pre>",
        _("<b>Последние записи</b>"),
        *[escape(line) for line in last_rows],
        *([""] + rules if rules else []),
        "",
        _("<i>Обновлено {moment}</i>").format(moment=when(now, tz)),
    ])


def stale_button_text() -> str:
    """A button whose screen has moved on (its data no longer applies)."""
    return _("Эта кнопка устарела. Откройте меню заново: /menu")


def cancelled(had_flow: bool) -> str:
    """/cancel: what it did, then the menu."""
    text = _("Действие отменено.") if had_flow else _("Отменять нечего.")
    return f"{text}\n\n{menu_text()}"
