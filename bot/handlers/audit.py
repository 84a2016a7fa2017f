"""/audit and the menu's 📜: the latest admin actions, paged, for everyone or one admin."""

from __future__ import annotations

import math
from html import escape
from typing import Any

import asyncpg
from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.config import Settings
from bot.db import audit
from bot.handlers.common import show_screen
from bot.keyboards import streams as kb
from bot.keyboards.menu import MenuCallback, Section
from bot.keyboards.streams import AuditCallback
from bot.views.format import when

PAGE = 10
ACTIONS = {
    "broadcast.send": "рассылка отправлена", "broadcast.schedule": "рассылка запланирована",
    "broadcast.pause": "рассылка на паузе", "broadcast.resume": "рассылка продолжена",
    "broadcast.cancel": "рассылка отменена", "broadcast.recall": "рассылка отозвана",
    "broadcast.reschedule": "рассылка перенесена", "broadcast.edit": "рассылка изменена",
    "user.change_stream": "смена потока", "booking.status": "статус брони",
    "stream.add": "новый поток", "stream.rename": "поток переименован",
    "stream.archive": "поток в архиве",
}
STATUS = {2: "оплачена", 1: "ждёт оплаты", -1: "отменена"}


def _details(action: str, details: dict[str, Any]) -> str:
    if action == "user.change_stream":
        return f"бронь #{details.get('booking_id')}: {details.get('from')} → {details.get('to')}"
    if action == "booking.status":
        return (f"бронь #{details.get('booking_id')}: {STATUS.get(details.get('from'), '?')} → "
                f"{STATUS.get(details.get('to'), '?')}")
    if action == "stream.rename":
        return f"«{details.get('from')}» → «{details.get('to')}»"
    if "recipients" in details:
        return f"{details['recipients']} получателей"
    return ", ".join(f"{k}: {v}" for k, v in details.items() if not isinstance(v, (dict, list)))


async def audit_screen(pool: asyncpg.Pool, settings: Settings, admin_id: int, page: int):  # type: ignore[no-untyped-def]
    rows, total = await audit.latest(pool, admin_id or None, PAGE, page * PAGE)
    pages = max(1, math.ceil(total / PAGE))
    head = "📜 <b>Журнал действий</b>" + (f" · админ {admin_id}" if admin_id else "")
    lines = [head + (f" · стр. {page + 1}/{pages}" if pages > 1 else ""), ""]
    for r in rows:
        what = ACTIONS.get(r["action"], r["action"])
        target = f" · {r['target']}" if r["target"] else ""
        detail = _details(r["action"], r["details"] or {})
        lines.append(f"{when(r['created_at'], settings.tz)} · {r['admin_id']} · <b>{escape(what)}"
                     f"</b>{escape(target)}" + (f"\n    {escape(detail)}" if detail else ""))
    if not rows:
        lines.append("Записей нет.")
    admins = [(a, str(a)) for a in sorted(settings.admin_ids)]
    return "\n".join(lines), kb.audit(admins, admin_id, page, pages)


async def command(message: Message, pool: asyncpg.Pool, settings: Settings) -> None:
    text, markup = await audit_screen(pool, settings, 0, 0)
    await message.answer(text, reply_markup=markup)


async def from_menu(callback: CallbackQuery, pool: asyncpg.Pool, settings: Settings) -> None:
    await callback.answer()
    await show_screen(callback, *await audit_screen(pool, settings, 0, 0))


async def page(callback: CallbackQuery, callback_data: AuditCallback, pool: asyncpg.Pool,
               settings: Settings) -> None:
    await callback.answer()
    await show_screen(callback, *await audit_screen(pool, settings, callback_data.admin_id,
                                                    max(callback_data.page, 0)))


def create_router() -> Router:
    router = Router(name="audit")
    router.message.register(command, Command("audit"))
    router.callback_query.register(from_menu, MenuCallback.filter(F.section == Section.AUDIT))
    router.callback_query.register(page, AuditCallback.filter())
    return router
