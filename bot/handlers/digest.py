"""The daily digest: its switch and time (from the statistics overview), and sending the due
digests (yesterday's overview and the growth chart, at each admin's chosen time; the scheduler
calls `send_due_digests`)."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, time, timedelta

import asyncpg
from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.config import Settings
from bot.db import preferences, stats, team
from bot.db.stats import Window
from bot.filters import TypedInput
from bot.handlers.common import read_text
from bot.handlers.stats import stats_screen
from bot.i18n import use_locale
from bot.keyboards import digest as kb
from bot.keyboards.digest import DigestAction, DigestCallback
from bot.services import charts
from bot.text.periods import period_key
from bot.views import digest as views
from bot.views import stats as stats_views
from bot.views.menu import stale_button_text
from bot.views.screen import Screen, answer_screen, show_screen

log = logging.getLogger(__name__)

_TIME = re.compile(r"^\s*(\d{1,2})(?:[:.\s-]?(\d{2}))?\s*$")


class DigestTime(StatesGroup):
    at = State()


def parse_time(text: str) -> time:
    """"8:30", "08.30", "830", "21" -> a time of day; anything else is a ValueError."""
    match = _TIME.match(text)
    if match:
        hours, minutes = int(match[1]), int(match[2] or 0)
        if hours < 24 and minutes < 60:
            return time(hours, minutes)
    raise ValueError(views.time_not_understood())


async def _saved(pool: asyncpg.Pool, settings: Settings, admin_id: int, at: time) -> str:
    await preferences.set_digest_time(pool, admin_id, at)
    return views.enabled(at, settings.timezone)


async def toggle(callback: CallbackQuery, callback_data: DigestCallback, pool: asyncpg.Pool,
                 settings: Settings) -> None:
    enabled = await preferences.toggle_digest(pool, callback.from_user.id)
    at = (await preferences.digest(pool, callback.from_user.id))[1]
    await callback.answer(views.enabled(at, settings.timezone) if enabled else views.disabled(),
                          show_alert=True)
    await show_screen(callback, await stats_screen(pool, settings, "overview",
                                                   callback_data.period, callback.from_user.id))


async def ask_time(callback: CallbackQuery, callback_data: DigestCallback, pool: asyncpg.Pool,
                   settings: Settings, state: FSMContext) -> None:
    await callback.answer()
    at = (await preferences.digest(pool, callback.from_user.id))[1]
    await state.set_state(DigestTime.at)
    await state.update_data(period=callback_data.period)
    await show_screen(callback, Screen(views.ask_time(at, settings.timezone),
                                       kb.digest_times(callback_data.period, at)))


async def set_time(callback: CallbackQuery, callback_data: DigestCallback, pool: asyncpg.Pool,
                   settings: Settings, state: FSMContext) -> None:
    try:
        at = parse_time(callback_data.at)
    except ValueError:
        await callback.answer(stale_button_text(), show_alert=True)
        return
    await state.clear()
    await callback.answer(await _saved(pool, settings, callback.from_user.id, at), show_alert=True)
    await show_screen(callback, await stats_screen(pool, settings, "overview",
                                                   callback_data.period, callback.from_user.id))


async def back(callback: CallbackQuery, callback_data: DigestCallback, pool: asyncpg.Pool,
               settings: Settings, state: FSMContext) -> None:
    await state.clear()
    await callback.answer()
    await show_screen(callback, await stats_screen(pool, settings, "overview",
                                                   callback_data.period, callback.from_user.id))


async def typed_time(message: Message, pool: asyncpg.Pool, settings: Settings,
                     state: FSMContext) -> None:
    assert message.from_user is not None
    period = period_key((await state.get_data()).get("period", "7"))
    current = (await preferences.digest(pool, message.from_user.id))[1]
    at = await read_text(message, parse_time, kb.digest_times(period, current))
    if at is None:
        return  # told why; still waiting for a time
    await state.clear()
    await message.answer("✅ " + await _saved(pool, settings, message.from_user.id, at))
    await answer_screen(message, await stats_screen(pool, settings, "overview", period,
                                                    message.from_user.id))


def create_router() -> Router:
    router = Router(name="digest")
    on = DigestCallback.filter
    router.callback_query.register(toggle, on(F.action == DigestAction.TOGGLE))
    router.callback_query.register(ask_time, on(F.action == DigestAction.ASK_TIME))
    router.callback_query.register(set_time, on(F.action == DigestAction.SET_TIME))
    router.callback_query.register(back, on(F.action == DigestAction.BACK))
    router.message.register(typed_time, DigestTime.at, F.text, TypedInput())
    return router


async def send_due_digests(pool: asyncpg.Pool, bot: Bot, settings: Settings,
                           now: datetime | None = None) -> list[int]:
    """Send the digests whose time has come; returns the admins who got one."""
    now = now or datetime.now(UTC)
    local = now.astimezone(settings.tz)
    due = await preferences.claim_due_digests(pool, local.date(), local.time())
    sent = []
    for admin_id in due:
        if admin_id not in settings.admin_ids and await team.role_of(pool, admin_id) is None:
            continue  # no longer on the team: no data
        try:
            with use_locale(await preferences.locale(pool, admin_id)):
                await _send_digest(pool, bot, settings, admin_id, now)
            sent.append(admin_id)
        except TelegramAPIError as exc:
            log.warning("digest not sent: %s", exc.message, extra={"admin_id": admin_id})
    return sent


async def _send_digest(pool: asyncpg.Pool, bot: Bot, settings: Settings, admin_id: int,
                now: datetime) -> None:
    today = now.astimezone(settings.tz).date()
    tz = settings.timezone
    yesterday = Window(today - timedelta(days=1), today, tz)
    before = Window(today - timedelta(days=2), today - timedelta(days=1), tz)
    text = stats_views.overview(await stats.overview(pool, yesterday, before), views.yesterday(),
                                yesterday, await stats.stream_members(pool),
                                settings.stats_feed_silence_hours, settings.tz, now)
    await bot.send_message(admin_id, views.digest(text))
    month = Window(today - timedelta(days=30), today, tz)
    rows = await stats.growth(pool, month)
    png = await charts.render(charts.growth_png, [r[0] for r in rows], [r[1] for r in rows],
                              [r[2] for r in rows])
    await bot.send_photo(admin_id, BufferedInputFile(png, "growth.png"),
                         caption=views.growth_caption())
