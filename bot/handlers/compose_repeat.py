"""The composer's «🔁 Повторять» (under «when?»): how often (every day, chosen weekdays, a day
of the month), at what time, until when; then the series' first occurrences, and it starts."""

from __future__ import annotations

from dataclasses import replace

import asyncpg
from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message

from bot.config import Settings
from bot.db import audiences, streams
from bot.enums import Role
from bot.filters import TypedInput
from bot.handlers import approval
from bot.handlers.common import read_text
from bot.handlers.compose import Compose, load, save
from bot.keyboards import compose as kb
from bot.keyboards import rule as rule_kb
from bot.keyboards.rule import RuleCallback, RuleStep
from bot.keyboards.menu import main_menu
from bot.services import approval as approval_rule
from bot.services.composer import Draft
from bot.services.series import SeriesService
from bot.services.team import Team
from bot.db.series import Rule
from bot.views import compose as compose_texts
from bot.views import rule as steps
from bot.views import series as texts
from bot.views.rule import RuleAsk
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


_STATES = {RuleAsk.MONTH_DAY: Compose.repeat_day, RuleAsk.TIME: Compose.repeat_time,
           RuleAsk.UNTIL: Compose.repeat_until}  # the steps that wait for typed input
_ASKS = {step.state: ask for ask, step in _STATES.items()}


async def _ask(callback: CallbackQuery, state: FSMContext, draft: Draft, rule: Rule,
               ask: RuleAsk, settings: Settings) -> None:
    await _keep(state, draft, rule, _STATES.get(ask, Compose.preview))
    await show_screen(callback, steps.question(ask, rule, settings.tz, kb.repeat_exits()))


async def ask_frequency(callback: CallbackQuery, state: FSMContext, settings: Settings) -> None:
    draft = await load(state)
    if any("until" in b for row in draft.buttons for b in row):  # a series keeps no end
        await callback.answer(texts.no_offer_end(), show_alert=True)
        return
    await callback.answer()
    draft.repeat = None  # chosen afresh
    await save(state, draft, Compose.preview)
    await show_screen(callback, steps.frequency_screen(settings.tz, kb.repeat_exits()))


async def pick_frequency(callback: CallbackQuery, callback_data: RuleCallback,
                         state: FSMContext, settings: Settings) -> None:
    frequency = steps.frequency_of(callback_data.arg)
    if frequency is None:
        await callback.answer(compose_texts.unknown_draft(), show_alert=True)
        return
    await callback.answer()
    await _ask(callback, state, await load(state), Rule(frequency), steps.first_ask(frequency),
               settings)


async def toggle_weekday(callback: CallbackQuery, callback_data: RuleCallback,
                         state: FSMContext, settings: Settings) -> None:
    draft = await load(state)
    rule = _rule(draft)
    day = int(callback_data.arg) if callback_data.arg.isdigit() else -1
    if rule is None or rule.frequency != "weekly" or not 0 <= day <= 6:
        await callback.answer(compose_texts.unknown_draft(), show_alert=True)
        return
    await callback.answer()
    await _ask(callback, state, draft, rule.toggled(day), RuleAsk.WEEKDAYS, settings)


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
    if whole is not None:
        await _ask(callback, state, *whole, RuleAsk.TIME, settings)


async def take_part(message: Message, state: FSMContext, pool: asyncpg.Pool,
                    settings: Settings, series: SeriesService) -> None:
    """A typed part of the rule (the day of the month, the time, the last day); then the next
    question, or after the last day the series' first occurrences."""
    ask = _ASKS[await state.get_state() or ""]
    draft = await load(state)
    rule = _rule(draft)
    if rule is None:
        await message.answer(compose_texts.unknown_draft(), reply_markup=kb.cancel_only())
        return
    exits = kb.repeat_exits()
    today = series.now().astimezone(settings.tz).date()
    taken = await read_text(message, lambda text: steps.take(ask, rule, text, today),
                            steps.question(ask, rule, settings.tz, exits).reply_markup)
    if taken is None:
        return
    if ask == RuleAsk.UNTIL:
        await answer_screen(message, await _until(state, draft, taken, pool, settings, series))
        return
    following = steps.next_ask(ask)
    await _keep(state, draft, taken, _STATES[following])
    await answer_screen(message, steps.question(following, taken, settings.tz, exits))


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
        return Screen(texts.no_occurrence(), rule_kb.until(kb.repeat_exits()))
    await _keep(state, draft, rule, Compose.preview)
    audience = draft.audience_obj()
    size = (await audiences.count(pool, audience)).total
    quiet = settings.quiet_hours if series.quiet_at(moments[0], audience, draft.quiet_off) \
        else None
    return Screen(texts.repeat_summary(rule, audience_title(audience, await streams.titles(pool)),
                                       size, moments, settings.tz, quiet),
                  rule_kb.confirm(kb.repeat_exits()))


async def start_series(callback: CallbackQuery, state: FSMContext, pool: asyncpg.Pool,
                       settings: Settings, series: SeriesService, team: Team, role: Role,
                       bot: Bot) -> None:
    draft = await load(state)
    rule = _rule(draft)
    if draft.content is None or draft.audience is None or rule is None or not rule.complete:
        await callback.answer(compose_texts.unknown_draft(), show_alert=True)
        return
    if await approval_rule.needed(pool, team, role, draft.audience_obj()):  # four eyes
        note = await approval.submit_series(bot, pool, settings, team, series, draft, rule,
                                            callback.from_user.id)
        await _submitted(callback, state, note)
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


async def _submitted(callback: CallbackQuery, state: FSMContext, note: str | None) -> None:
    """Submitted for approval instead of started (None: the end date passed meanwhile)."""
    if note is None:
        await callback.answer(texts.no_occurrence(), show_alert=True)
        return
    await state.clear()
    await callback.answer()
    await show_screen(callback, Screen(note, main_menu()))


def create_router() -> Router:
    router = Router(name="compose_repeat")
    has_draft = StateFilter(Compose)
    on = RuleCallback.filter
    mine = F.series == 0  # the composer's draft; a series' rule is changed from its card
    router.callback_query.register(ask_frequency, on(mine & (F.step == RuleStep.ASK)), has_draft)
    router.callback_query.register(pick_frequency, on(mine & (F.step == RuleStep.EVERY)),
                                   has_draft)
    router.callback_query.register(toggle_weekday, on(mine & (F.step == RuleStep.DAY)),
                                   has_draft)
    router.callback_query.register(weekdays_done, on(mine & (F.step == RuleStep.DAYS_OK)),
                                   has_draft)
    router.callback_query.register(forever, on(mine & (F.step == RuleStep.FOREVER)), has_draft)
    router.callback_query.register(start_series, on(mine & (F.step == RuleStep.OK)), has_draft)
    typed_steps = StateFilter(*_STATES.values())
    router.message.register(take_part, typed_steps, F.text, TypedInput())
    router.message.register(_not_text, typed_steps, TypedInput())
    return router


async def _not_text(message: Message) -> None:
    await message.answer(compose_texts.text_needed(),
                         reply_markup=rule_kb.typed(kb.repeat_exits()))
