"""Buttons of /streams and /audit."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import _
from bot.keyboards.menu import menu_button, button
from bot.keyboards.users import ListCallback, pager


class StreamCallback(CallbackData, prefix="sm"):
    action: str = "list"  # list, open, add, rename, archive, archive_ok
    code: str = ""


class AuditCallback(CallbackData, prefix="au"):
    admin_id: int = 0  # 0: every admin
    page: int = 0


def streams_button() -> InlineKeyboardButton:
    return button(_("⬅️ Потоки"), StreamCallback())


def stream_list(items: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    rows = [[button(title, StreamCallback(action="open", code=code))] for code, title in items]
    return InlineKeyboardMarkup(inline_keyboard=rows + [
        [button(_("➕ Добавить поток"), StreamCallback(action="add"))],
        [button(_("🔄 Обновить"), StreamCallback()), menu_button()]])


def stream_card(code: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [button(_("👥 Участники"), ListCallback(kind="stream", stream=code))],
        [button(_("✏️ Переименовать"), StreamCallback(action="rename", code=code)),
         button(_("🗄 В архив"), StreamCallback(action="archive", code=code))],
        [streams_button()]])


def confirm_archive(code: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        button(_("Да, в архив"), StreamCallback(action="archive_ok", code=code)),
        button(_("Отмена"), StreamCallback(action="open", code=code))]])


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
