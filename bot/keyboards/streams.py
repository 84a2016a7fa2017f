"""Buttons of /streams and /audit."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import _
from bot.keyboards.fields import PageNo, StreamCode, UserId
from bot.keyboards.menu import menu_button, button
from bot.keyboards.users import ListCallback, ListKind, pager


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


class AuditCallback(CallbackData, prefix="au"):
    admin_id: UserId = 0  # 0: every admin
    page: PageNo = 0


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
    return InlineKeyboardMarkup(inline_keyboard=[[streams_button()]])


def audit(admins: list[tuple[int, str]], current: int, page: int, pages: int
          ) -> InlineKeyboardMarkup:
    filters = [button(("• " if admin_id == current else "") + label, AuditCallback(admin_id=admin_id))
               for admin_id, label in [(0, _("Все")), *admins]]
    rows = [filters[i:i + 3] for i in range(0, len(filters), 3)]
    page_row = pager(page, pages, AuditCallback, admin_id=current)
    return InlineKeyboardMarkup(inline_keyboard=rows + ([page_row] if page_row else [])
                                + [[menu_button()]])
