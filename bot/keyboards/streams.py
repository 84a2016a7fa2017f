"""Buttons of /streams."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import _
from bot.keyboards.fields import StreamCode
from bot.keyboards.menu import menu_button, button, cancel_button
from bot.keyboards.people_lists import ListCallback, ListKind


class StreamAction(StrEnum):
    LIST = "list"
    OPEN = "open"
    ADD = "add"
    RENAME = "rename"
    ARCHIVE = "archive"          # asks first
    ARCHIVE_OK = "archive_ok"


class StreamCallback(CallbackData, prefix="sm"):
    action: StreamAction = StreamAction.LIST
    code: StreamCode = ""


def streams_button() -> InlineKeyboardButton:
    return button(_("⬅️ Потоки"), StreamCallback())


def stream_list(items: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    rows = [[button(title, StreamCallback(action=StreamAction.OPEN, code=code))] for code, title in items]
    return InlineKeyboardMarkup(inline_keyboard=rows + [
        [button(_("➕ Добавить поток"), StreamCallback(action=StreamAction.ADD))],
        [button(_("🔄 Обновить"), StreamCallback()), menu_button()]])


def stream_card(code: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [button(_("👥 Участники"), ListCallback(kind=ListKind.STREAM, stream=code))],
        [button(_("✏️ Переименовать"), StreamCallback(action=StreamAction.RENAME, code=code)),
         button(_("🗄 В архив"), StreamCallback(action=StreamAction.ARCHIVE, code=code))],
        [streams_button()]])


def confirm_archive(code: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        button(_("Да, в архив"), StreamCallback(action=StreamAction.ARCHIVE_OK, code=code)),
        button(_("Отмена"), StreamCallback(action=StreamAction.OPEN, code=code))]])


def back_to_streams() -> InlineKeyboardMarkup:
    """Under a step that waits for a code or a title: back to the streams, or leave it."""
    return InlineKeyboardMarkup(inline_keyboard=[[streams_button(), cancel_button()]])
