"""A recurring broadcast's card (opened from /scheduled): pause or resume it, skip its next
occurrence, give it a new time or text, or stop it."""

from __future__ import annotations

from datetime import time

import asyncpg
from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.config import Settings
from bot.db import audiences, streams
from bot.db import series as db
from bot.db.series import Rule, Series
from bot.enums import Role
from bot.filters import TypedInput
from bot.handlers.common import read_content, read_text
from bot.keyboards import scheduled as kb
from bot.keyboards.scheduled import SeriesAction, SeriesCallback
from bot.services import approval as approval_rule
from bot.services.series import SeriesService
from bot.services.team import Team
from bot.text.recurrence import parse_time
from bot.views import approval as approval_views
from bot.views import series as views
from bot.views.broadcast import audience_title
from bot.views.screen import Screen, answer_screen, show_screen


class SeriesEdit(StatesGroup):
    time = State()
    content = State()


async def still_active(callback: CallbackQuery, pool: asyncpg.Pool, series_id: int
                       ) -> Series | None:
    """The series if it still goes; otherwise the admin is told it does not."""
    series = await db.get(pool, series_id)
    if series is None or series.status != "active":
        await callback.answer(views.not_active(), show_alert=True)
        return None
    return series


async def card_screen(pool: asyncpg.Pool, service: SeriesService, series: Series,
                      settings: Settings) -> Screen:
    size = (await audiences.count(pool, series.audience)).total
    title = audience_title(series.audience, await streams.titles(pool))
    made = await db.occurrences(pool, series.id)
    return Screen(views.series_card(series, title, size, service.upcoming(series), made,
                                    settings.tz),
                  kb.series_card(series.id, series.paused, series.skip_next))


async def open_card(callback: CallbackQuery, callback_data: SeriesCallback, state: FSMContext,
                    pool: asyncpg.Pool, settings: Settings, series: SeriesService) -> None:
    found = await still_active(callback, pool, callback_data.id)
    if found is None:
        return
    await callback.answer()
    await state.clear()  # also the way back from a question about this series
    await show_screen(callback, await card_screen(pool, series, found, settings))


async def _switch(service: SeriesService, action: SeriesAction, series_id: int,
                  admin_id: int) -> str:
    """Make the change a card's switch stands for; what the admin is told."""
    if action == SeriesAction.PAUSE:
        await service.pause(series_id, admin_id)
        return views.paused()
    if action == SeriesAction.RESUME:
        await service.resume(series_id, admin_id)
        return views.resumed()
    skip = action == SeriesAction.SKIP
    await service.skip_next(series_id, admin_id, skip)
    return views.skipping(skip)


async def switch(callback: CallbackQuery, callback_data: SeriesCallback, pool: asyncpg.Pool,
                 settings: Settings, series: SeriesService) -> None:
    """Pause, resume, skip the next one or not."""
    if await still_active(callback, pool, callback_data.id) is None:
        return
    done = await _switch(series, callback_data.action, callback_data.id, callback.from_user.id)
    found = await db.get(pool, callback_data.id)
    await callback.answer(done)
    if found is not None and found.status == "active":
        await show_screen(callback, await card_screen(pool, series, found, settings))
    else:  # resumed after its end date: it has ended
        await show_screen(callback, Screen(views.not_active(), kb.back_to_list()))


async def ask_stop(callback: CallbackQuery, callback_data: SeriesCallback, pool: asyncpg.Pool,
                   settings: Settings, series: SeriesService) -> None:
    found = await still_active(callback, pool, callback_data.id)
    if found is None:
        return
    await callback.answer()
    shown = await card_screen(pool, series, found, settings)
    await show_screen(callback, Screen(shown.text, kb.series_stop(found.id)).above(
        views.ask_stop()))


async def stop(callback: CallbackQuery, callback_data: SeriesCallback, pool: asyncpg.Pool,
               series: SeriesService) -> None:
    if await still_active(callback, pool, callback_data.id) is None:
        return
    await series.stop(callback_data.id, callback.from_user.id)
    await callback.answer(views.stopped())
    await show_screen(callback, Screen(views.stopped(), kb.back_to_list()))


async def ask_time(callback: CallbackQuery, callback_data: SeriesCallback, state: FSMContext,
                   pool: asyncpg.Pool, settings: Settings) -> None:
    await _ask(callback, state, pool, callback_data.id, SeriesEdit.time,
               views.ask_time(settings.tz))


async def ask_content(callback: CallbackQuery, callback_data: SeriesCallback,
                      state: FSMContext, pool: asyncpg.Pool, team: Team, role: Role) -> None:
    if await _text_locked(pool, team, role, callback_data.id):
        await callback.answer(approval_views.series_text_locked(), show_alert=True)
        return
    await _ask(callback, state, pool, callback_data.id, SeriesEdit.content, views.ask_content())


async def _text_locked(pool: asyncpg.Pool, team: Team, role: Role, series_id: int) -> bool:
    """Four eyes: a new text of a series that needs approval would go unchecked, so it is
    refused (the series is stopped and made anew instead)."""
    found = await db.get(pool, series_id)
    return found is not None and await approval_rule.needed(pool, team, role, found.audience)


async def _ask(callback: CallbackQuery, state: FSMContext, pool: asyncpg.Pool, series_id: int,
               step: State, question: str) -> None:
    if await still_active(callback, pool, series_id) is None:
        return
    await callback.answer()
    await state.set_state(step)
    await state.set_data({"series_id": series_id})
    await show_screen(callback, Screen(question, kb.back_to_series(series_id)))


async def take_time(message: Message, state: FSMContext, pool: asyncpg.Pool,
                    settings: Settings, series: SeriesService) -> None:
    series_id = (await state.get_data())["series_id"]
    found = await db.get(pool, series_id)
    rule = None if found is None else await read_text(
        message, lambda text: _retimed(found, parse_time(text), series),
        kb.back_to_series(series_id))
    if found is not None and rule is None:
        return
    await state.clear()
    assert message.from_user is not None
    changed = rule is not None and await series.set_rule(series_id, rule, message.from_user.id)
    await _answer_card(message, pool, settings, series, series_id,
                       views.time_changed() if changed else None)


def _retimed(found: Series, at: time, service: SeriesService) -> Rule:
    """The series' rule at the new time; a ValueError if the end date leaves no occurrence
    at that time."""
    rule = found.rule.at_time(at)
    if rule.next_after(service.now(), service.tz) is None:
        raise ValueError(views.no_time_left(found.rule))
    return rule


async def take_content(message: Message, state: FSMContext, pool: asyncpg.Pool,
                       settings: Settings, series: SeriesService) -> None:
    series_id = (await state.get_data())["series_id"]
    content = await read_content(message, kb.back_to_series(series_id))
    if content is None:
        return
    await state.clear()
    assert message.from_user is not None
    changed = await series.set_content(series_id, content, message.from_user.id)
    await _answer_card(message, pool, settings, series, series_id,
                       views.content_replaced() if changed else None)


async def _answer_card(message: Message, pool: asyncpg.Pool, settings: Settings,
                       service: SeriesService, series_id: int, done: str | None) -> None:
    """The card again after a change, or that the series no longer goes (None)."""
    found = await db.get(pool, series_id)
    if done is None or found is None or found.status != "active":
        await message.answer(views.not_active(), reply_markup=kb.back_to_list())
        return
    await answer_screen(message, (await card_screen(pool, service, found, settings)).under(done))


def create_router() -> Router:
    router = Router(name="series")
    on = SeriesCallback.filter
    router.callback_query.register(open_card, on(F.action == SeriesAction.OPEN))
    router.callback_query.register(switch, on(F.action.in_({
        SeriesAction.PAUSE, SeriesAction.RESUME, SeriesAction.SKIP, SeriesAction.UNSKIP})))
    router.callback_query.register(ask_stop, on(F.action == SeriesAction.STOP))
    router.callback_query.register(stop, on(F.action == SeriesAction.STOP_OK))
    router.callback_query.register(ask_time, on(F.action == SeriesAction.TIME))
    router.callback_query.register(ask_content, on(F.action == SeriesAction.EDIT))
    router.message.register(take_time, SeriesEdit.time, F.text, TypedInput())
    router.message.register(take_content, SeriesEdit.content, TypedInput())
    return router
