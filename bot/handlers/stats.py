"""/stats and the menu's 📊: the overview, for a period the admin switches with buttons."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.config import Settings
from bot.db import stats, streams
from bot.handlers.common import show_screen
from bot.keyboards import stats as kb
from bot.keyboards.menu import MenuCallback, Section
from bot.keyboards.stats import StatsCallback
from bot.services.periods import DEFAULT, PERIODS, windows
from bot.views import stats as views


async def overview_screen(pool: asyncpg.Pool, settings: Settings, period: str
                          ) -> tuple[str, object]:
    period = period if period in PERIODS else DEFAULT
    now = datetime.now(UTC)
    window, previous = windows(period, settings.tz, now)
    figures = await stats.overview(pool, window, previous)
    text = views.overview(figures, PERIODS[period][0], window,
                          await streams.list_active_streams(pool),
                          settings.stats_feed_silence_hours, settings.tz, now)
    return text, kb.overview(period)


async def show_stats(message: Message, pool: asyncpg.Pool, settings: Settings) -> None:
    text, markup = await overview_screen(pool, settings, DEFAULT)
    await message.answer(text, reply_markup=markup)  # type: ignore[arg-type]


async def from_menu(callback: CallbackQuery, pool: asyncpg.Pool, settings: Settings) -> None:
    await callback.answer()
    await show_screen(callback, *await overview_screen(pool, settings, DEFAULT))  # type: ignore[arg-type]


async def switch(callback: CallbackQuery, callback_data: StatsCallback, pool: asyncpg.Pool,
                 settings: Settings) -> None:
    await callback.answer()
    await show_screen(callback, *await overview_screen(pool, settings, callback_data.period))  # type: ignore[arg-type]


def create_router() -> Router:
    router = Router(name="stats")
    router.message.register(show_stats, Command("stats"))
    router.callback_query.register(from_menu, MenuCallback.filter(F.section == Section.STATS))
    router.callback_query.register(switch, StatsCallback.filter())
    return router
