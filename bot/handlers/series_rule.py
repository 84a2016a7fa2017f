"""«🔁 Изменить расписание» on a series' card: the composer's rule steps (how often, the day,
the time, until when) for a series that goes; the next occurrences shown before the new rule
is saved."""

from __future__ import annotations

from dataclasses import replace

import asyncpg
from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.config import Settings
from bot.db import series as db
from bot.db.series import Rule
from bot.filters import TypedInput
from bot.handlers.common import read_text
from bot.handlers.series import card_screen, still_active
from bot.keyboards import rule as rule_kb
from bot.keyboards.rule import RuleCallback, RuleStep
from bot.keyboards.scheduled import back_to_list, rule_exits
from bot.services.series import SeriesService
from bot.views import compose as compose_texts
from bot.views import rule as steps
from bot.views import series as views
from bot.views.rule import RuleAsk
from bot.views.screen import Screen, answer_screen, show_screen


class SeriesRule(StatesGroup):
    choosing = State()  # the rule kept in FSM data with the series' id
    month_day = State()
    time = State()
    until = State()


_STATES = {RuleAsk.MONTH_DAY: SeriesRule.month_day, RuleAsk.TIME: SeriesRule.time,
           RuleAsk.UNTIL: SeriesRule.until}  # the steps that wait for typed input
_ASKS = {step.state: ask for ask, step in _STATES.items()}


async def _kept(state: FSMContext, series_id: int) -> Rule | None:
    """The rule being chosen for this series, if the admin is choosing one."""
    data = await state.get_data()
    if data.get("series_id") != series_id or not data.get("rule"):
        return None
    return Rule.from_json(data["rule"])


async def _keep(state: FSMContext, series_id: int, rule: Rule | None, step: State) -> None:
    await state.set_state(step)
    await state.set_data({"series_id": series_id, "rule": rule.to_json() if rule else None})


async def _ask(callback: CallbackQuery, state: FSMContext, series_id: int, rule: Rule,
               ask: RuleAsk, settings: Settings) -> None:
    await _keep(state, series_id, rule, _STATES.get(ask, SeriesRule.choosing))
    await show_screen(callback, steps.question(ask, rule, settings.tz, rule_exits(series_id)))


async def ask_frequency(callback: CallbackQuery, callback_data: RuleCallback,
                        state: FSMContext, pool: asyncpg.Pool, settings: Settings) -> None:
    if await still_active(callback, pool, callback_data.series) is None:
        return
    await callback.answer()
    await _keep(state, callback_data.series, None, SeriesRule.choosing)
    await show_screen(callback, steps.frequency_screen(settings.tz,
                                                       rule_exits(callback_data.series)))


async def pick_frequency(callback: CallbackQuery, callback_data: RuleCallback,
                         state: FSMContext, pool: asyncpg.Pool, settings: Settings) -> None:
    frequency = steps.frequency_of(callback_data.arg)
    if frequency is None:
        await callback.answer(views.rule_lost(), show_alert=True)
        return
    if await still_active(callback, pool, callback_data.series) is None:
        return
    await callback.answer()
    await _ask(callback, state, callback_data.series, Rule(frequency),
               steps.first_ask(frequency), settings)


async def toggle_weekday(callback: CallbackQuery, callback_data: RuleCallback,
                         state: FSMContext, settings: Settings) -> None:
    rule = await _kept(state, callback_data.series)
    day = int(callback_data.arg) if callback_data.arg.isdigit() else -1
    if rule is None or rule.frequency != "weekly" or not 0 <= day <= 6:
        await callback.answer(views.rule_lost(), show_alert=True)
        return
    await callback.answer()
    await _ask(callback, state, callback_data.series, rule.toggled(day), RuleAsk.WEEKDAYS,
               settings)


async def weekdays_done(callback: CallbackQuery, callback_data: RuleCallback,
                        state: FSMContext, settings: Settings) -> None:
    rule = await _kept(state, callback_data.series)
    if rule is None or not rule.complete:
        await callback.answer(views.pick_a_day() if rule else views.rule_lost(),
                              show_alert=True)
        return
    await callback.answer()
    await _ask(callback, state, callback_data.series, rule, RuleAsk.TIME, settings)


async def take_part(message: Message, state: FSMContext, pool: asyncpg.Pool,
                    settings: Settings, series: SeriesService) -> None:
    """A typed part of the rule; then the next question, or after the last day the new
    rule's next occurrences to confirm."""
    ask = _ASKS[await state.get_state() or ""]
    series_id = int((await state.get_data())["series_id"])
    rule = await _kept(state, series_id)
    exits = rule_exits(series_id)
    if rule is None:
        await message.answer(views.rule_lost(), reply_markup=rule_kb.typed(exits))
        return
    today = series.now().astimezone(settings.tz).date()
    taken = await read_text(message, lambda text: steps.take(ask, rule, text, today),
                            steps.question(ask, rule, settings.tz, exits).reply_markup)
    if taken is None:
        return
    if ask == RuleAsk.UNTIL:
        await answer_screen(message, await _confirm(state, pool, series, series_id, taken,
                                                    settings))
        return
    following = steps.next_ask(ask)
    await _keep(state, series_id, taken, _STATES[following])
    await answer_screen(message, steps.question(following, taken, settings.tz, exits))


async def forever(callback: CallbackQuery, callback_data: RuleCallback, state: FSMContext,
                  pool: asyncpg.Pool, settings: Settings, series: SeriesService) -> None:
    rule = await _kept(state, callback_data.series)
    if rule is None or not rule.complete:
        await callback.answer(views.rule_lost(), show_alert=True)
        return
    await callback.answer()
    await show_screen(callback, await _confirm(state, pool, series, callback_data.series,
                                               replace(rule, until=None),
                                               settings))


async def _confirm(state: FSMContext, pool: asyncpg.Pool, service: SeriesService,
                   series_id: int, rule: Rule, settings: Settings) -> Screen:
    """The new rule's next occurrences to check before it is saved (or, if it gives none,
    the question about its end again)."""
    found = await db.get(pool, series_id)
    exits = rule_exits(series_id)
    if found is None or found.status != "active":
        return Screen(views.not_active(), back_to_list())
    moments = rule.upcoming(service.now(), settings.tz)
    if not moments:
        return Screen(views.no_occurrence(), rule_kb.until(exits))
    await _keep(state, series_id, rule, SeriesRule.choosing)
    quiet = settings.quiet_hours if service.quiet_at(moments[0], found.audience,
                                                     found.quiet_hours_off) else None
    return Screen(views.rule_change(series_id, found.rule, rule, moments, settings.tz, quiet,
                                    found.skip_next), rule_kb.confirm(exits))


async def save(callback: CallbackQuery, callback_data: RuleCallback, state: FSMContext,
               pool: asyncpg.Pool, settings: Settings, series: SeriesService) -> None:
    rule = await _kept(state, callback_data.series)
    found = await still_active(callback, pool, callback_data.series)
    if found is None:
        return
    if rule is None or not rule.complete or \
            not await series.set_rule(found.id, rule, callback.from_user.id):
        await callback.answer(views.rule_lost(), show_alert=True)
        return
    await state.clear()
    changed = views.rule_changed(found.skip_next)
    await callback.answer(changed)
    now = await db.get(pool, found.id)
    assert now is not None
    await show_screen(callback, (await card_screen(pool, series, now, settings)).under(changed))


def create_router() -> Router:
    router = Router(name="series_rule")
    on = RuleCallback.filter
    theirs = F.series > 0  # a series' rule; 0 is the composer's draft
    router.callback_query.register(ask_frequency, on(theirs & (F.step == RuleStep.ASK)))
    router.callback_query.register(pick_frequency, on(theirs & (F.step == RuleStep.EVERY)))
    router.callback_query.register(toggle_weekday, on(theirs & (F.step == RuleStep.DAY)))
    router.callback_query.register(weekdays_done, on(theirs & (F.step == RuleStep.DAYS_OK)))
    router.callback_query.register(forever, on(theirs & (F.step == RuleStep.FOREVER)))
    router.callback_query.register(save, on(theirs & (F.step == RuleStep.OK)))
    typed_steps = StateFilter(*_STATES.values())
    router.message.register(take_part, typed_steps, F.text, TypedInput())
    router.message.register(_not_text, typed_steps, TypedInput())
    return router


async def _not_text(message: Message, state: FSMContext) -> None:
    series_id = int((await state.get_data())["series_id"])
    await message.answer(compose_texts.text_needed(), reply_markup=rule_kb.typed(rule_exits(series_id)))
