"""The composer's «🔁 Повторять» (under «when?»): how often (every day, chosen weekdays, a day
of the month), at what time, until when; then the series' first occurrences, and it starts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

import asyncpg
from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.config import Settings
from bot.db import audiences, streams
from bot.filters import TypedInput
from bot.handlers.common import read_text
from bot.handlers.compose import Compose, load, save
from bot.keyboards import compose as kb
from bot.keyboards.compose import ComposeCallback, Step
from bot.keyboards.menu import main_menu
from bot.services.composer import Draft
from bot.services.series import SeriesService
from bot.db.series import FREQUENCIES, Rule
from bot.text.recurrence import parse_month_day, parse_time, parse_until, weekday_names
from bot.views import compose as compose_texts
from bot.views import series as texts
from bot.views.broadcast import audience_title
from bot.views.screen import Screen, answer_screen, show_screen


def _rule(draft: Draft) -> Rule | None:
    try:
        return Rule.from_json(draft.repeat) if draft.repeat else None
    except (ValueError, KeyError):
        return None


async def _keep(state: FSMContext, draft: Draft, rule: Rule, step: State) -> None:
    draft.repeat = rule.to_json()
    await save(state, draft, step)


async def ask_frequency(callback: CallbackQuery, state: FSMContext, settings: Settings) -> None:
    draft = await load(state)
    if any("until" in b for row in draft.buttons for b in row):  # a series keeps no end
        await callback.answer(texts.no_offer_end(), show_alert=True)
        return
    await callback.answer()
    draft.repeat = None  # chosen afresh
    await save(state, draft, Compose.preview)
    await show_screen(callback, Screen(texts.ask_frequency(settings.tz), kb.repeat_frequency()))


async def pick_frequency(callback: CallbackQuery, callback_data: ComposeCallback,
                         state: FSMContext, settings: Settings) -> None:
    draft = await load(state)
    frequency = next((f for f in FREQUENCIES if f == callback_data.arg), None)
    if frequency is None:
        await callback.answer(compose_texts.unknown_draft(), show_alert=True)
        return
    await callback.answer()
    rule = Rule(frequency)
    if frequency == "weekly":
        await _keep(state, draft, rule, Compose.preview)
        await _show_weekdays(callback, rule)
    elif frequency == "monthly":
        await _keep(state, draft, rule, Compose.repeat_day)
        await show_screen(callback, Screen(texts.ask_month_day(), kb.back_to_repeat()))
    else:
        await _keep(state, draft, rule, Compose.repeat_time)
        await show_screen(callback, Screen(texts.ask_time(settings.tz), kb.back_to_repeat()))


async def _show_weekdays(callback: CallbackQuery, rule: Rule) -> None:
    await show_screen(callback, Screen(texts.ask_weekdays(),
                                       kb.repeat_weekdays(weekday_names(), rule.weekdays)))


async def toggle_weekday(callback: CallbackQuery, callback_data: ComposeCallback,
                         state: FSMContext) -> None:
    draft = await load(state)
    rule = _rule(draft)
    day = int(callback_data.arg) if callback_data.arg.isdigit() else -1
    if rule is None or rule.frequency != "weekly" or not 0 <= day <= 6:
        await callback.answer(compose_texts.unknown_draft(), show_alert=True)
        return
    await callback.answer()
    rule = rule.toggled(day)
    await _keep(state, draft, rule, Compose.preview)
    await _show_weekdays(callback, rule)


async def _whole_rule(callback: CallbackQuery, state: FSMContext, missing: str
                      ) -> tuple[Draft, Rule] | None:
    """The draft and its rule, if the admin has given all the frequency needs; if not, they
    are told `missing`."""
    draft = await load(state)
    rule = _rule(draft)
    if rule is None or not rule.complete:
        await callback.answer(missing, show_alert=True)
        return None
    await callback.answer()
    return draft, rule


async def weekdays_done(callback: CallbackQuery, state: FSMContext, settings: Settings) -> None:
    whole = await _whole_rule(callback, state, texts.pick_a_day())
    if whole is None:
        return
    await _keep(state, *whole, Compose.repeat_time)
    await show_screen(callback, Screen(texts.ask_time(settings.tz), kb.back_to_repeat()))


async def take_month_day(message: Message, state: FSMContext, settings: Settings) -> None:
    await _take(message, state, parse_month_day,
                lambda rule, day: replace(rule, month_day=day), Compose.repeat_time,
                texts.ask_time(settings.tz), kb.back_to_repeat())


async def take_time(message: Message, state: FSMContext) -> None:
    await _take(message, state, parse_time, lambda rule, at: rule.at_time(at),
                Compose.repeat_until, texts.ask_until(), kb.repeat_until())


T = TypeVar("T")


async def _take(message: Message, state: FSMContext, parse: Callable[[str], T],
                apply: Callable[[Rule, T], Rule], step: State, question: str,
                markup: InlineKeyboardMarkup) -> None:
    """A part of the rule typed by the admin; then the next question."""
    value = await read_text(message, parse, kb.back_to_repeat())
    if value is None:
        return
    draft = await load(state)
    rule = _rule(draft)
    if rule is None:
        await message.answer(compose_texts.unknown_draft(), reply_markup=kb.cancel_only())
        return
    await _keep(state, draft, apply(rule, value), step)
    await message.answer(question, reply_markup=markup)


async def take_until(message: Message, state: FSMContext, pool: asyncpg.Pool,
                     settings: Settings, series: SeriesService) -> None:
    today = series.now().astimezone(settings.tz).date()
    until = await read_text(message, lambda text: parse_until(text, today), kb.repeat_until())
    if until is None:
        return
    draft = await load(state)
    rule = _rule(draft)
    if rule is None or not rule.complete:
        await message.answer(compose_texts.unknown_draft(), reply_markup=kb.cancel_only())
        return
    await answer_screen(message, await _until(state, draft, replace(rule, until=until), pool,
                                              settings, series))


async def forever(callback: CallbackQuery, state: FSMContext, pool: asyncpg.Pool,
                  settings: Settings, series: SeriesService) -> None:
    whole = await _whole_rule(callback, state, compose_texts.unknown_draft())
    if whole is None:
        return
    draft, rule = whole
    await show_screen(callback, await _until(state, draft, replace(rule, until=None), pool,
                                             settings, series))


async def _until(state: FSMContext, draft: Draft, rule: Rule, pool: asyncpg.Pool,
                 settings: Settings, series: SeriesService) -> Screen:
    """The rule is whole: its first occurrences to check, or (an end before the first one)
    the question again."""
    moments = rule.upcoming(series.now(), settings.tz)
    if not moments:
        return Screen(texts.no_occurrence(), kb.repeat_until())
    await _keep(state, draft, rule, Compose.preview)
    audience = draft.audience_obj()
    size = (await audiences.count(pool, audience)).total
    quiet = None if draft.quiet_off or audience.personal or \
        series.broadcasts.quiet_end(moments[0]) is None else settings.quiet_hours
    return Screen(texts.repeat_summary(rule, audience_title(audience, await streams.titles(pool)),
                                       size, moments, settings.tz, quiet), kb.repeat_confirm())


async def start_series(callback: CallbackQuery, state: FSMContext, settings: Settings,
                       series: SeriesService) -> None:
    draft = await load(state)
    rule = _rule(draft)
    if draft.content is None or draft.audience is None or rule is None or not rule.complete:
        await callback.answer(compose_texts.unknown_draft(), show_alert=True)
        return
    made = await series.create(draft.content_obj(settings.links_base is not None),
                               draft.audience_obj(), rule, callback.from_user.id,
                               draft_key=draft.key, holdout=draft.holdout,
                               cap_off=draft.cap_off, quiet_off=draft.quiet_off)
    if made is None or made.next_at is None:  # the end date passed while it was shown
        await callback.answer(texts.no_occurrence(), show_alert=True)
        return
    await state.clear()
    await callback.answer()
    await show_screen(callback, Screen(texts.series_created(made.id, rule, made.next_at,
                                                            settings.tz), main_menu()))


def create_router() -> Router:
    router = Router(name="compose_repeat")
    has_draft = StateFilter(Compose)
    on = ComposeCallback.filter
    router.callback_query.register(ask_frequency, on(F.step == Step.REPEAT), has_draft)
    router.callback_query.register(pick_frequency, on(F.step == Step.REPEAT_EVERY), has_draft)
    router.callback_query.register(toggle_weekday, on(F.step == Step.REPEAT_DAY), has_draft)
    router.callback_query.register(weekdays_done, on(F.step == Step.REPEAT_DAYS_OK), has_draft)
    router.callback_query.register(forever, on(F.step == Step.REPEAT_FOREVER), has_draft)
    router.callback_query.register(start_series, on(F.step == Step.REPEAT_OK), has_draft)
    router.message.register(take_month_day, Compose.repeat_day, F.text, TypedInput())
    router.message.register(take_time, Compose.repeat_time, F.text, TypedInput())
    router.message.register(take_until, Compose.repeat_until, F.text, TypedInput())
    router.message.register(_not_text, StateFilter(Compose.repeat_day, Compose.repeat_time,
                                                   Compose.repeat_until), TypedInput())
    return router


async def _not_text(message: Message) -> None:
    await message.answer(compose_texts.text_needed(), reply_markup=kb.back_to_repeat())

