"""/stats and the menu's 📊: overview, streams and the free-lesson funnel, each one message
edited in place, with the period switched by buttons."""

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


async def stats_screen(pool: asyncpg.Pool, settings: Settings, screen: str, period: str
                       ) -> tuple[str, object]:
    period = period if period in PERIODS else DEFAULT
    label = PERIODS[period][0]
    now = datetime.now(UTC)
    window, previous = windows(period, settings.tz, now)
    if screen == "streams":
        text = views.streams(await stats.stream_bookings(pool))
    elif screen == "funnel":
        text = views.funnel(await stats.funnel(pool, window), label, window)
    elif screen == "events":
        text = views.events(await stats.top_events(pool, window),
                            await stats.daily_activity(pool, window), label, window)
    elif screen == "referrals":
        text = views.referrals(await stats.referrals(pool, window), label, window)
    elif screen == "recent":
        text = views.recent(await stats.recent_bookings(pool), await stats.recent_events(pool),
                            await streams.titles(pool), settings.tz)
    else:
        screen = "overview"
        text = views.overview(await stats.overview(pool, window, previous), label, window,
                              await streams.list_active_streams(pool),
                              settings.stats_feed_silence_hours, settings.tz, now)
    return text, kb.navigation(screen, period)


async def show_stats(message: Message, pool: asyncpg.Pool, settings: Settings) -> None:
    text, markup = await stats_screen(pool, settings, "overview", DEFAULT)
    await message.answer(text, reply_markup=markup)  # type: ignore[arg-type]


async def from_menu(callback: CallbackQuery, pool: asyncpg.Pool, settings: Settings) -> None:
    await callback.answer()
    await show_screen(callback, *await stats_screen(pool, settings, "overview", DEFAULT))  # type: ignore[arg-type]


async def switch(callback: CallbackQuery, callback_data: StatsCallback, pool: asyncpg.Pool,
                 settings: Settings) -> None:
    await callback.answer()
    await show_screen(callback, *await stats_screen(pool, settings, callback_data.screen,  # type: ignore[arg-type]
                                                    callback_data.period))


def create_router() -> Router:
    router = Router(name="stats")
    router.message.register(show_stats, Command("stats"))
    router.callback_query.register(from_menu, MenuCallback.filter(F.section == Section.STATS))
    router.callback_query.register(switch, StatsCallback.filter())
    return router
