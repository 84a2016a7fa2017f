"""What broadcasts caused: one broadcast's outcomes in a window and for an event the admin
picks, and the last broadcasts compared side by side (as text, CSV and a chart)."""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg
from aiogram import F, Router
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.config import Settings
from bot.db import broadcasts as db
from bot.db import stats, streams
from bot.db.outcomes import compare_recent, outcomes
from bot.keyboards import outcomes as kb
from bot.keyboards.history import Out, OutcomeCallback
from bot.services import charts
from bot.text.format import csv_document
from bot.views import outcomes as views
from bot.views.broadcast import audience_title, broadcast_gone
from bot.views.history import preparing_file
from bot.views.screen import Screen, show_screen

COMPARED = 20  # broadcasts side by side
EVENT_DAYS = 30  # the event types offered are the most frequent of these last days


async def _offered_events(pool: asyncpg.Pool, settings: Settings) -> list[str]:
    today = datetime.now(settings.tz).date()
    window = stats.Window(today - timedelta(days=EVENT_DAYS), today + timedelta(days=1),
                          settings.timezone)
    return [code for code, _n in await stats.top_events(pool, window, 2 * kb.EVENTS_OFFERED)
            if code and code != stats.ATTENDED and len(code) <= 40 and ":" not in code
            ][:kb.EVENTS_OFFERED]


async def show(callback: CallbackQuery, callback_data: OutcomeCallback, pool: asyncpg.Pool,
               settings: Settings) -> None:
    broadcast = await db.get(pool, callback_data.id)
    if broadcast is None or broadcast.started_at is None:
        await callback.answer(broadcast_gone(), show_alert=True)
        return
    await callback.answer()
    days, event = int(callback_data.days), callback_data.event or None
    events = await _offered_events(pool, settings)
    if event and event not in events:
        events = [event, *events]
    block = views.outcome_block(await outcomes(pool, broadcast.id, days, event),
                                views.tracked_labels(broadcast), days, event)
    title = audience_title(broadcast.audience, await streams.titles(pool))
    await show_screen(callback, Screen(
        views.outcome_screen(broadcast.id, title, block, event, events),
        kb.outcome_keyboard(broadcast.id, callback_data.days, callback_data.event, events)))


async def _compared(pool: asyncpg.Pool, days: int) -> list[views.Compared]:
    titles = await streams.titles(pool)
    rows = []
    for broadcast_id, found in await compare_recent(pool, COMPARED, days):
        broadcast = await db.get(pool, broadcast_id)
        if broadcast is not None:
            rows.append(views.Compared(broadcast_id, audience_title(broadcast.audience, titles),
                                       broadcast.sent, found, bool(views.tracked_labels(broadcast))))
    return rows


async def compare(callback: CallbackQuery, callback_data: OutcomeCallback,
                  pool: asyncpg.Pool) -> None:
    await callback.answer()
    days = int(callback_data.days)
    await show_screen(callback, Screen(views.comparison(await _compared(pool, days), days),
                                       kb.comparison_keyboard(callback_data.days)))


async def compare_csv(callback: CallbackQuery, callback_data: OutcomeCallback,
                      pool: asyncpg.Pool) -> None:
    await callback.answer(preparing_file())
    assert isinstance(callback.message, Message)
    days = int(callback_data.days)
    document = csv_document(views.CSV_HEADER,
                            views.comparison_rows(await _compared(pool, days)))
    await callback.message.answer_document(
        BufferedInputFile(document, f"broadcasts-compared-{days}d.csv"),
        caption=views.comparison_caption(days))


async def compare_chart(callback: CallbackQuery, callback_data: OutcomeCallback,
                        pool: asyncpg.Pool) -> None:
    await callback.answer(preparing_file())
    assert isinstance(callback.message, Message)
    days = int(callback_data.days)
    png = await charts.render(charts.comparison_png,
                              *views.chart_series(await _compared(pool, days)))
    await callback.message.answer_photo(BufferedInputFile(png, f"broadcasts-{days}d.png"),
                                        caption=views.comparison_caption(days))


def create_router() -> Router:
    router = Router(name="outcomes")
    on = OutcomeCallback.filter
    router.callback_query.register(show, on(F.action == Out.SHOW))
    router.callback_query.register(compare, on(F.action == Out.COMPARE))
    router.callback_query.register(compare_csv, on(F.action == Out.CSV))
    router.callback_query.register(compare_chart, on(F.action == Out.CHART))
    return router
