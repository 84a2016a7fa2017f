"""Main menu and the navigation buttons shared by its sections."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder


class Section(StrEnum):
    MAIN = "main"
    STATS = "stats"
    USERS = "users"
    BROADCAST = "broadcast"
    SCHEDULED = "scheduled"
    HISTORY = "history"
    STREAMS = "streams"
    STATUS = "status"
    AUDIT = "audit"


class MenuCallback(CallbackData, prefix="menu"):
    section: Section


# the sections the menu offers, in order; a section is listed only once it exists
MENU_SECTIONS: tuple[tuple[Section, str], ...] = (
    (Section.STATS, "📊 Статистика"),
    (Section.USERS, "👥 Пользователи"),
    (Section.BROADCAST, "📣 Рассылка"),
    (Section.SCHEDULED, "🕒 Запланированные"),
    (Section.HISTORY, "🗂 История"),
    (Section.STREAMS, "📚 Потоки"),
    (Section.AUDIT, "📜 Журнал"),
    (Section.STATUS, "🩺 Состояние"),
)


def main_menu() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for section, label in MENU_SECTIONS:
        builder.button(text=label, callback_data=MenuCallback(section=section))
    builder.adjust(2)
    return builder.as_markup()


def section_footer(section: Section) -> InlineKeyboardMarkup:
    """Refresh this section, or go back to the menu."""
    builder = InlineKeyboardBuilder()
    builder.button(text="🔄 Обновить", callback_data=MenuCallback(section=section))
    builder.button(text="⬅️ Меню", callback_data=MenuCallback(section=Section.MAIN))
    builder.adjust(2)
    return builder.as_markup()


def button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


MENU_BUTTON = button("⬅️ Меню", MenuCallback(section=Section.MAIN))
