"""Buttons of /audit: the journal's filter by admin and its pages."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup

from bot.i18n import _
from bot.keyboards.fields import PageNo, UserId
from bot.keyboards.menu import menu_button, button, pager


class AuditCallback(CallbackData, prefix="au"):
    admin_id: UserId = 0  # 0: every admin
    page: PageNo = 0


def audit(admins: list[tuple[int, str]], current: int, page: int, pages: int
          ) -> InlineKeyboardMarkup:
    filters = [button(("• " if admin_id == current else "") + label, AuditCallback(admin_id=admin_id))
               for admin_id, label in [(0, _("Все")), *admins]]
    rows = [filters[i:i + 3] for i in range(0, len(filters), 3)]
    page_row = pager(page, pages, AuditCallback, admin_id=current)
    return InlineKeyboardMarkup(inline_keyboard=rows + ([page_row] if page_row else [])
                                + [[menu_button()]])
