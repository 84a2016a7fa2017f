"""/stats and the menu's 📊: overview, streams, the free-lesson funnel, events, referrals and
the newest rows, each one message edited in place, with the period switched by buttons; charts
as photos."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.utils.deep_linking import create_start_link
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardButton, Message

from bot.config import Settings
from bot.db import event_labels, preferences, stats, streams
from bot.keyboards import stats as kb
from bot.keyboards.event_labels import names_button
from bot.keyboards.menu import MenuCallback, Section
from bot.keyboards.stats import ChartCallback, ScreenKey, StatsCallback
from bot.services import charts
from bot.text.periods import DEFAULT, PERIODS, label as period_label, period_key, windows
from bot.views import stats as views
from bot.views.screen import Screen, answer_screen, show_screen


async def stats_screen(pool: asyncpg.Pool, settings: Settings, screen: ScreenKey, requested: str,
                       admin_id: int, bot: Bot | None = None) -> Screen:
    """A statistics screen's text and buttons (`bot`, to link names to cards on Recent)."""
    period = period_key(requested)
    label = period_label(period)
    now = datetime.now(UTC)
    window, previous = windows(period, settings.tz, now)
    extra: tuple[InlineKeyboardButton, ...] = ()
    if screen == "streams":
        text = views.streams(await stats.stream_bookings(pool))
    elif screen == "funnel":
        text = views.funnel(await stats.funnel(pool, window), label, window)
    elif screen == "events":
        text = views.events(await stats.top_events(pool, window),
                            await stats.daily_activity(pool, window), label, window,
                            await event_labels.all_labels(pool))
        extra = (names_button(),)
    elif screen == "referrals":
        text = views.referrals(await stats.referrals(pool, window), label, window)
    elif screen == "recent":
        bookings, events = await stats.recent_bookings(pool), await stats.recent_events(pool)
        people = {r["user_id"] for r in [*bookings, *events] if r["user_id"] is not None}
        links = {user_id: await create_start_link(bot, f"u{user_id}")
                 for user_id in people} if bot else {}
        text = views.recent(bookings, events, await streams.titles(pool), settings.tz, links,
                            await event_labels.all_labels(pool))
    else:
        screen = "overview"
        text = views.overview(await stats.overview(pool, window, previous), label, window,
                              await stats.stream_members(pool),
                              settings.stats_feed_silence_hours, settings.tz, now)
    return Screen(text, kb.navigation(screen, period, await preferences.digest(pool, admin_id),
                                      extra))


async def show_stats(message: Message, pool: asyncpg.Pool, settings: Settings) -> None:
    assert message.from_user is not None
    await answer_screen(message, await stats_screen(pool, settings, "overview", DEFAULT,
                                                    message.from_user.id))


async def from_menu(callback: CallbackQuery, pool: asyncpg.Pool, settings: Settings) -> None:
    await callback.answer()
    await show_screen(callback, await stats_screen(pool, settings, "overview", DEFAULT,
                                                   callback.from_user.id))


async def switch(callback: CallbackQuery, callback_data: StatsCallback, pool: asyncpg.Pool,
                 settings: Settings) -> None:
    await callback.answer()
    await show_screen(callback, await stats_screen(pool, settings, callback_data.screen,
                                                   callback_data.period, callback.from_user.id,
                                                   callback.bot))


async def send_chart(callback: CallbackQuery, callback_data: ChartCallback, pool: asyncpg.Pool,
                     settings: Settings) -> None:
    """A chart for the period, as a photo under the screen."""
    period = callback_data.period if callback_data.period in PERIODS else DEFAULT
    window = windows(period, settings.tz)[0]
    label = period_label(period)
    await callback.answer(views.drawing_chart())
    undated = await stats.undated(pool)
    if callback_data.chart == "bookings":
        rows = await stats.daily_bookings(pool, window)
        png = await charts.render(charts.bookings_png, [r[0] for r in rows], {
            "confirmed": [r[1] for r in rows], "pending": [r[2] for r in rows],
            "cancelled": [r[3] for r in rows]})
        caption = views.bookings_caption(label, paid=sum(r[1] for r in rows),
                                         pending=sum(r[2] for r in rows),
                                         cancelled=sum(r[3] for r in rows))
        caption += views.chart_note(undated.bookings)
    elif callback_data.chart == "events":
        rows2 = await stats.daily_activity(pool, window)
        png = await charts.render(charts.events_png, [r[0] for r in rows2], [r[1] for r in rows2])
        caption = views.events_caption(label, sum(r[1] for r in rows2))
        caption += views.chart_note(undated.events)
    else:
        rows3 = await stats.growth(pool, window)
        png = await charts.render(charts.growth_png, [r[0] for r in rows3], [r[1] for r in rows3],
                                  [r[2] for r in rows3])
        total = rows3[-1][2] if rows3 else 0
        caption = views.growth_caption(label, total, sum(r[1] for r in rows3))
        caption += views.chart_note(undated.users)
    if isinstance(callback.message, Message):
        await callback.message.answer_photo(BufferedInputFile(png, f"{callback_data.chart}.png"),
                                            caption=caption)


def create_router() -> Router:
    router = Router(name="stats")
    router.message.register(show_stats, Command("stats"))
    router.callback_query.register(from_menu, MenuCallback.filter(F.section == Section.STATS))
    router.callback_query.register(switch, StatsCallback.filter())
    router.callback_query.register(send_chart, ChartCallback.filter())
    return router
