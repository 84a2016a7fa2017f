"""Main menu and the navigation buttons shared by its sections."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import access
from bot.enums import Role
from bot.i18n import _, __


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
    TEAM = "team"


class MenuCallback(CallbackData, prefix="menu"):
    section: Section


class CancelCallback(CallbackData, prefix="x"):
    """«✖️ Отмена» under a step that waits for typed text: what /cancel does."""


# the sections the menu offers, in order, with the role each needs; a section is listed only
# once it exists, and only to those who may open it
MENU_SECTIONS: tuple[tuple[Section, object, Role], ...] = (
    (Section.STATS, __("📊 Статистика"), Role.VIEWER),
    (Section.USERS, __("👥 Пользователи"), Role.VIEWER),
    (Section.BROADCAST, __("📣 Рассылка"), Role.EDITOR),
    (Section.SCHEDULED, __("🕒 Запланированные"), Role.EDITOR),
    (Section.HISTORY, __("🗂 История"), Role.VIEWER),
    (Section.STREAMS, __("📚 Потоки"), Role.EDITOR),
    (Section.AUDIT, __("📜 Журнал"), Role.EDITOR),
    (Section.TEAM, __("👮 Команда"), Role.OWNER),
    (Section.STATUS, __("🩺 Состояние"), Role.VIEWER),
)


def main_menu() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for section, label, needed in MENU_SECTIONS:
        if access.may(needed):
            builder.button(text=str(label), callback_data=MenuCallback(section=section))
    builder.adjust(2)
    return builder.as_markup()


def section_footer(section: Section) -> InlineKeyboardMarkup:
    """Refresh this section, or go back to the menu."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🔄 Обновить"), callback_data=MenuCallback(section=section))
    builder.button(text=_("⬅️ Меню"), callback_data=MenuCallback(section=Section.MAIN))
    builder.adjust(2)
    return builder.as_markup()


def button(text: object, data: CallbackData) -> InlineKeyboardButton:
    """A callback button; `text` may be a lazy text, read in the current language."""
    return InlineKeyboardButton(text=str(text), callback_data=data.pack())


def menu_button() -> InlineKeyboardButton:
    return button(_("⬅️ Меню"), MenuCallback(section=Section.MAIN))


def cancel_button() -> InlineKeyboardButton:
    """Leaves the step that waits for typed text, as /cancel does."""
    return button(_("✖️ Отмена"), CancelCallback())


def users_button() -> InlineKeyboardButton:
    return button(_("⬅️ Пользователи"), MenuCallback(section=Section.USERS))


def pager(page: int, pages: int, make: Callable[..., CallbackData] | None = None,
          **fixed: object) -> list[InlineKeyboardButton]:
    """◀️ ▶️ for `make(page=…, **fixed)`; empty when everything fits on one page. The page
    number is in the screen's text, not on a button that would do nothing when pressed."""
    if pages <= 1 or make is None:
        return []
    row = []
    if page > 0:
        row.append(button("◀️", make(page=page - 1, **fixed)))
    if page < pages - 1:
        row.append(button("▶️", make(page=page + 1, **fixed)))
    return row
