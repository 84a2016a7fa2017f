"""Buttons of /streams and /audit."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.keyboards.menu import MenuCallback, Section
from bot.keyboards.users import ListCallback, pager


class StreamCallback(CallbackData, prefix="sm"):
    action: str = "list"  # list, open, add, rename, archive, archive_ok
    code: str = ""


class AuditCallback(CallbackData, prefix="au"):
    admin_id: int = 0  # 0: every admin
    page: int = 0


def _b(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


MENU = _b("⬅️ Меню", MenuCallback(section=Section.MAIN))
STREAMS = _b("⬅️ Потоки", StreamCallback())


def stream_list(items: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    rows = [[_b(title, StreamCallback(action="open", code=code))] for code, title in items]
    return InlineKeyboardMarkup(inline_keyboard=rows + [
        [_b("➕ Добавить поток", StreamCallback(action="add"))],
        [_b("🔄 Обновить", StreamCallback()), MENU]])


def stream_card(code: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [_b("👥 Участники", ListCallback(kind="stream", stream=code))],
        [_b("✏️ Переименовать", StreamCallback(action="rename", code=code)),
         _b("🗄 В архив", StreamCallback(action="archive", code=code))],
        [STREAMS]])


def confirm_archive(code: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        _b("Да, в архив", StreamCallback(action="archive_ok", code=code)),
        _b("Отмена", StreamCallback(action="open", code=code))]])


def back_to_streams() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[STREAMS]])


def audit(admins: list[tuple[int, str]], current: int, page: int, pages: int
          ) -> InlineKeyboardMarkup:
    filters = [_b(("• " if admin_id == current else "") + label, AuditCallback(admin_id=admin_id))
               for admin_id, label in [(0, "Все"), *admins]]
    rows = [filters[i:i + 3] for i in range(0, len(filters), 3)]
    page_row = pager(page, pages, AuditCallback, admin_id=current)
    return InlineKeyboardMarkup(inline_keyboard=rows + ([page_row] if page_row else []) + [[MENU]])
