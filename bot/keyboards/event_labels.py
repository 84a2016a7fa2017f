"""Buttons of the event names screen (opened from the statistics' events screen)."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot import access
from bot.enums import Role
from bot.i18n import _
from bot.keyboards.menu import button, menu_button
from bot.keyboards.stats import StatsCallback


class EventLabelAction(StrEnum):
    LIST = "list"
    EDIT = "edit"      # waits for typed «code = Name» lines
    CANCEL = "cancel"  # leaves the typing, back to the list


class EventLabelCallback(CallbackData, prefix="el"):
    action: EventLabelAction = EventLabelAction.LIST


def names_button() -> InlineKeyboardButton:
    """On the statistics' events screen."""
    return button(_("🏷 Названия событий"), EventLabelCallback())


def names_list() -> InlineKeyboardMarkup:
    rows = [[button(_("✏️ Добавить или переименовать"),
                    EventLabelCallback(action=EventLabelAction.EDIT))]] \
        if access.may(Role.EDITOR) else []
    return InlineKeyboardMarkup(inline_keyboard=rows + [
        [button(_("⬅️ События"), StatsCallback(screen="events")), menu_button()]])


def cancel_typing() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        button(_("✖️ Отмена"), EventLabelCallback(action=EventLabelAction.CANCEL))]])
