"""The daily digest's switch and time, from the statistics overview."""

from __future__ import annotations

import re
from datetime import time

import asyncpg
from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.config import Settings
from bot.db import preferences
from bot.filters import TypedInput
from bot.handlers.common import answer_screen, read_text, show_screen, stale_button_text
from bot.handlers.stats import stats_screen
from bot.i18n import _
from bot.keyboards import digest as kb
from bot.keyboards.digest import DigestAction, DigestCallback
from bot.services.periods import period_key
from bot.views.screen import Screen

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
    raise ValueError(_("Не понял время. Напишите, например, 8:30 или 21:00."))


def _enabled(settings: Settings, at: time) -> str:
    return _("Дайджест включён: каждый день в {time} ({tz}).").format(time=f"{at:%H:%M}",
                                                                       tz=settings.timezone)


async def _saved(pool: asyncpg.Pool, settings: Settings, admin_id: int, at: time) -> str:
    await preferences.set_digest_time(pool, admin_id, at)
    return _enabled(settings, at)


async def toggle(callback: CallbackQuery, callback_data: DigestCallback, pool: asyncpg.Pool,
                 settings: Settings) -> None:
    enabled = await preferences.toggle_digest(pool, callback.from_user.id)
    at = (await preferences.digest(pool, callback.from_user.id))[1]
    await callback.answer(_enabled(settings, at) if enabled else _("Дайджест выключен."),
                          show_alert=True)
    await show_screen(callback, await stats_screen(pool, settings, "overview",
                                                   callback_data.period, callback.from_user.id))


async def ask_time(callback: CallbackQuery, callback_data: DigestCallback, pool: asyncpg.Pool,
                   settings: Settings, state: FSMContext) -> None:
    await callback.answer()
    at = (await preferences.digest(pool, callback.from_user.id))[1]
    await state.set_state(DigestTime.at)
    await state.update_data(period=callback_data.period)
    await show_screen(callback, Screen(
        _("🕘 Во сколько присылать дайджест? Сейчас: <b>{time}</b> ({tz})."
          "\n\nВыберите время или напишите своё, например 8:30.").format(
            time=f"{at:%H:%M}", tz=settings.timezone),
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
