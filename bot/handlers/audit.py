"""/audit and the menu's 📜: the latest admin actions, paged, for everyone or one admin."""

from __future__ import annotations

import asyncpg
from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.config import Settings
from bot.db import audit, broadcasts, streams
from bot.keyboards import audit as kb
from bot.keyboards.audit import AuditCallback
from bot.keyboards.menu import MenuCallback, Section
from bot.paging import read_page
from bot.services.team import Team
from bot.views import audit as views
from bot.views.screen import Screen, answer_screen, show_screen

PAGE = 10


async def audit_screen(pool: asyncpg.Pool, settings: Settings, team: Team, admin_id: int,
                       page: int) -> Screen:
    rows, _total, at = await read_page(
        lambda offset, limit: audit.latest(pool, admin_id or None, limit, offset), page, PAGE)
    entries = list(rows)
    members = sorted(await team.everyone())  # the whole team, ADMIN_IDS included
    people = await audit.names_of(pool, [*views.user_ids(entries), *members])
    found = [await broadcasts.get(pool, b) for b in views.broadcast_ids(entries)]
    names = views.JournalNames(people, {b.id: b for b in found if b is not None},
                               await streams.titles(pool))
    admins = [(a, views.admin_name(a, names)) for a in members]
    return Screen(views.journal(entries, admin_id, at.number, at.count, settings.tz, names),
                  kb.audit(admins, admin_id, at.number, at.count))


async def command(message: Message, pool: asyncpg.Pool, settings: Settings, team: Team) -> None:
    await answer_screen(message, await audit_screen(pool, settings, team, 0, 0))


async def from_menu(callback: CallbackQuery, pool: asyncpg.Pool, settings: Settings,
                    team: Team) -> None:
    await callback.answer()
    await show_screen(callback, await audit_screen(pool, settings, team, 0, 0))


async def page(callback: CallbackQuery, callback_data: AuditCallback, pool: asyncpg.Pool,
               settings: Settings, team: Team) -> None:
    await callback.answer()
    await show_screen(callback, await audit_screen(pool, settings, team, callback_data.admin_id,
                                                   callback_data.page))


def create_router() -> Router:
    router = Router(name="audit")
    router.message.register(command, Command("audit"))
    router.callback_query.register(from_menu, MenuCallback.filter(F.section == Section.AUDIT))
    router.callback_query.register(page, AuditCallback.filter())
    return router
