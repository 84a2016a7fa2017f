"""/start, /menu, /cancel and the main menu's sections."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.config import Settings
from bot.db import health
from bot.db.migrate import migration_status
from bot.keyboards.menu import CancelCallback, MenuCallback, Section, main_menu, section_footer
from bot.services.team import Team
from bot.views import menu as views
from bot.views.team import approval_line
from bot.views.screen import Screen, show_screen


async def start(message: Message, state: FSMContext) -> None:
    await state.clear()
    name = message.from_user.first_name if message.from_user else None
    await message.answer(views.greeting(name), reply_markup=main_menu())


async def menu(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(views.menu_text(), reply_markup=main_menu())


async def cancel(message: Message, state: FSMContext) -> None:
    had_flow = await state.get_state() is not None
    await state.clear()
    await message.answer(views.cancelled(had_flow), reply_markup=main_menu())


async def cancel_pressed(callback: CallbackQuery, state: FSMContext) -> None:
    """«✖️ Отмена» under a step that waits for typed text: what /cancel does."""
    had_flow = await state.get_state() is not None
    await state.clear()
    await callback.answer()
    await show_screen(callback, Screen(views.cancelled(had_flow), main_menu()))


async def open_main(callback: CallbackQuery, state: FSMContext) -> None:
    await callback.answer()
    await state.clear()  # the menu leaves any step that waits for input
    await show_screen(callback, Screen(views.menu_text(), main_menu()))


async def open_status(callback: CallbackQuery, pool: asyncpg.Pool, settings: Settings,
                      team: Team) -> None:
    async with pool.acquire() as conn:
        status = await migration_status(conn)
    approval = await team.settings()
    text = views.status_text(
        await health.server_version(pool), len(status.applied), len(status.pending),
        await health.platform_tables(pool), settings.tz, datetime.now(UTC),
        views.sending_rules(settings.frequency_cap, settings.quiet_hours, settings.tz,
                            settings.safeguards)
        + [approval_line(approval.approval_min_audience, approval.approval_overridden)],
    )
    await callback.answer()
    await show_screen(callback, Screen(text, section_footer(Section.STATUS)))


def create_router() -> Router:
    router = Router(name="menu")
    router.message.register(start, CommandStart())
    router.message.register(menu, Command("menu"))
    router.message.register(cancel, Command("cancel"))
    router.callback_query.register(cancel_pressed, CancelCallback.filter())
    router.callback_query.register(open_main, MenuCallback.filter(F.section == Section.MAIN))
    router.callback_query.register(open_status, MenuCallback.filter(F.section == Section.STATUS))
    return router
