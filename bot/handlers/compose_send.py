"""The composer's last step: send now (asking once more above a threshold), schedule,
send a test to oneself, or drop the draft."""

from __future__ import annotations

from datetime import datetime

import asyncpg
from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.config import Settings
from bot.db import audiences
from bot.db import broadcasts as db
from bot.enums import DeliveryStatus, Role
from bot.filters import TypedInput
from bot.handlers import approval
from bot.handlers.common import read_text
from bot.handlers.compose import Compose, load, save, send_preview, summary_screen
from bot.keyboards import compose as kb
from bot.keyboards.compose import ComposeCallback, Step
from bot.keyboards.menu import main_menu
from bot.services import approval as approval_rule
from bot.services.broadcasts import BroadcastService
from bot.services.composer import Draft, reach
from bot.services.delivery import progress
from bot.services.team import Team
from bot.text.when import parse_when
from bot.views import compose as texts
from bot.views.broadcast import reason
from bot.views.broadcast import progress_view
from bot.views.safeguards import before_send
from bot.views.scheduled import ask_when as when_prompt
from bot.views.screen import Screen, show_screen


async def back_to_summary(callback: CallbackQuery, state: FSMContext, pool: asyncpg.Pool,
                          settings: Settings) -> None:
    await callback.answer()
    draft = await load(state)
    await state.set_state(Compose.preview)
    await show_screen(callback, await summary_screen(draft, pool, settings))


async def needs_approval(pool: asyncpg.Pool, team: Team, role: Role, draft: Draft) -> bool:
    """A big broadcast (APPROVAL_MIN_AUDIENCE, or to all users) waits for a second pair of
    eyes; a message to one person never does."""
    return await approval_rule.needed(pool, team, role, draft.audience_obj())


async def _submit(callback: CallbackQuery, state: FSMContext, bot: Bot, pool: asyncpg.Pool,
                  settings: Settings, team: Team, broadcasts: BroadcastService, draft: Draft,
                  moment: datetime | None, paid: bool = False) -> None:
    """Submitted for approval instead of sent or scheduled; the summary says so."""
    note = await approval.submit(bot, pool, settings, team, broadcasts, draft,
                                 callback.from_user.id, moment, paid)
    await state.clear()
    await callback.answer()
    await show_screen(callback, Screen(note, main_menu()))


async def send(callback: CallbackQuery, callback_data: ComposeCallback, state: FSMContext,
               pool: asyncpg.Pool, settings: Settings, broadcasts: BroadcastService,
               team: Team, role: Role, bot: Bot) -> None:
    draft = await load(state)
    if draft.content is None or draft.audience is None:
        await callback.answer(texts.unknown_draft(), show_alert=True)
        return
    paid = callback_data.step in (Step.PAID, Step.PAID_OK) or callback_data.arg == "paid"
    if callback_data.step == Step.QUIET_NOW:  # through quiet hours: the author said so
        draft.quiet_off = True
        await state.set_data(draft.dump())
        if draft.pending_when is not None:  # at the time asked for, all the same
            await _schedule(callback, state, pool, settings, broadcasts, draft,
                            datetime.fromisoformat(draft.pending_when), team, role, bot)
            return
    elif draft.pending_when is not None:
        draft.pending_when = None  # back on the summary: «now» is asked about afresh
        await state.set_data(draft.dump())
    ends = None if draft.quiet_off or draft.audience_obj().personal else broadcasts.quiet_end()
    if ends is not None and settings.quiet_hours is not None:
        await callback.answer()
        await show_screen(callback, Screen(
            texts.ask_quiet_now(settings.quiet_hours, ends, settings.tz),
            kb.quiet_choice(texts.quiet_anyway(None, settings.tz),
                            texts.quiet_end_short(ends, settings.tz), paid)))
        return
    confirmed = callback_data.step in (Step.SEND_OK, Step.PAID_OK)
    reachable = (await reach(pool, draft, settings.frequency_cap)).recipients
    if not confirmed and reachable > settings.broadcast_confirm_threshold:
        await callback.answer()
        notes = before_send(broadcasts.plan(reachable), settings.tz)
        await show_screen(callback, Screen(texts.confirm_send(reachable, notes),
                                           kb.confirm_send(reachable, paid)))
        return
    if await needs_approval(pool, team, role, draft):
        await _submit(callback, state, bot, pool, settings, team, broadcasts, draft, None, paid)
        return
    # the summary becomes the progress message, registered before the engine can look
    assert isinstance(callback.message, Message)
    summary = (callback.message.chat.id, callback.message.message_id)
    content = draft.content_obj(settings.links_base is not None)
    launch = await broadcasts.launch(content, draft.audience_obj(), callback.from_user.id,
                                     paid=paid, draft_key=draft.key, holdout=draft.holdout,
                                     progress_message=summary, cap_off=draft.cap_off,
                                     quiet_off=draft.quiet_off)
    await state.clear()
    if not launch.created:
        await _already_going(callback, launch.broadcast.id)
        return
    await callback.answer(texts.sending())
    await show_screen(callback, progress_view(await progress.gather(pool, launch.broadcast, None,
                                                                   settings.tz)))


async def ask_when(callback: CallbackQuery, state: FSMContext, settings: Settings) -> None:
    await callback.answer()
    await state.set_state(Compose.when)
    await show_screen(callback, Screen(when_prompt(settings.tz), kb.when_choice()))


async def take_when(message: Message, state: FSMContext, pool: asyncpg.Pool, settings: Settings,
                    broadcasts: BroadcastService, team: Team, role: Role, bot: Bot) -> None:
    moment = await read_text(message, lambda text: parse_when(text, settings.tz),
                             kb.back_to_preview())
    if moment is None:
        return
    draft = await load(state)
    assert message.from_user is not None
    ends = None if draft.audience_obj().personal else broadcasts.quiet_end(moment)
    if ends is not None and settings.quiet_hours is not None:  # ask: then anyway, or at the end
        draft.pending_when = moment.isoformat()
        await save(state, draft, Compose.preview)
        await message.answer(texts.ask_quiet_at(moment, settings.quiet_hours, ends, settings.tz),
                             reply_markup=kb.quiet_choice(
                                 texts.quiet_anyway(moment, settings.tz),
                                 texts.quiet_end_short(ends, settings.tz)))
        return
    if await needs_approval(pool, team, role, draft):
        note = await approval.submit(bot, pool, settings, team, broadcasts, draft,
                                     message.from_user.id, moment)
        await state.clear()
        await message.answer(note, reply_markup=main_menu())
        return
    content = draft.content_obj(settings.links_base is not None)
    launch = await broadcasts.schedule(content, draft.audience_obj(), message.from_user.id,
                                       moment, draft_key=draft.key, holdout=draft.holdout, cap_off=draft.cap_off,
                                       quiet_off=draft.quiet_off)
    await state.clear()
    size = (await audiences.count(pool, draft.audience_obj())).total
    await message.answer(texts.scheduled_ok(launch.broadcast.id, moment, settings.tz, size),
                         reply_markup=main_menu())


async def when_quiet_ends(callback: CallbackQuery, state: FSMContext, pool: asyncpg.Pool,
                          settings: Settings, broadcasts: BroadcastService, team: Team,
                          role: Role, bot: Bot) -> None:
    """Scheduled for the end of the quiet hours «now» (or the time asked for) falls in."""
    draft = await load(state)
    if draft.content is None or draft.audience is None:
        await callback.answer(texts.unknown_draft(), show_alert=True)
        return
    asked = datetime.fromisoformat(draft.pending_when) if draft.pending_when else None
    moment = broadcasts.quiet_end(asked) or asked or broadcasts.engine.clock()
    await _schedule(callback, state, pool, settings, broadcasts, draft, moment, team, role, bot)


async def _schedule(callback: CallbackQuery, state: FSMContext, pool: asyncpg.Pool,
                    settings: Settings, broadcasts: BroadcastService, draft: Draft,
                    moment: datetime, team: Team, role: Role, bot: Bot) -> None:
    if await needs_approval(pool, team, role, draft):
        await _submit(callback, state, bot, pool, settings, team, broadcasts, draft, moment)
        return
    content = draft.content_obj(settings.links_base is not None)
    launch = await broadcasts.schedule(content, draft.audience_obj(), callback.from_user.id,
                                       moment, draft_key=draft.key, holdout=draft.holdout, cap_off=draft.cap_off,
                                       quiet_off=draft.quiet_off)
    await state.clear()
    if not launch.created:
        await _already_going(callback, launch.broadcast.id)
        return
    await callback.answer()
    size = (await audiences.count(pool, draft.audience_obj())).total
    await show_screen(callback, Screen(texts.scheduled_ok(launch.broadcast.id, moment,
                                                          settings.tz, size), main_menu()))


async def test_to_me(callback: CallbackQuery, state: FSMContext, pool: asyncpg.Pool,
                     settings: Settings, broadcasts: BroadcastService) -> None:
    draft = await load(state)
    user = callback.from_user
    content = draft.content_obj(settings.links_base is not None)
    result = await broadcasts.send_test(content, user.id, user.first_name, user.username)
    if result.status == DeliveryStatus.SENT:
        await callback.answer(texts.test_sent(), show_alert=True)
        if settings.broadcast_token == settings.bot_token and isinstance(callback.message,
                                                                         Message):
            await _below_the_test(callback.message, state, pool, settings)
    elif result.status == DeliveryStatus.BLOCKED:
        await callback.answer(
            texts.test_blocked(),
            show_alert=True)
    else:
        await callback.answer(texts.test_failed(reason(result.error)),
                              show_alert=True)


async def _below_the_test(summary: Message, state: FSMContext, pool: asyncpg.Pool,
                          settings: Settings) -> None:
    """One bot for both: the test copy came into this chat below the summary. The preview
    and the summary come again below it; the old summary loses its buttons, so only one
    set is live."""
    try:
        await summary.edit_reply_markup(reply_markup=None)
    except TelegramBadRequest:
        pass  # gone or too old: its buttons then do nothing anyway (the draft is one)
    await send_preview(summary, await load(state), pool, settings, state)


async def drop(callback: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await callback.answer(texts.draft_dropped())
    await show_screen(callback, Screen(texts.nothing_sent(), main_menu()))


async def stale(callback: CallbackQuery, pool: asyncpg.Pool) -> None:
    """The draft is gone. If its summary already became a broadcast's progress (a second tap
    on «Отправить»), say which broadcast is going."""
    message = callback.message
    started = await db.shown_in(pool, message.chat.id, message.message_id) \
        if isinstance(message, Message) else None
    if started is not None:
        await _already_going(callback, started)
        return
    await callback.answer(texts.unknown_draft(), show_alert=True)


async def _already_going(callback: CallbackQuery, broadcast_id: int) -> None:
    """A second tap on «Отправить»: the first one started it."""
    await callback.answer(texts.already_going(broadcast_id),
                          show_alert=True)


def create_router() -> Router:
    router = Router(name="compose_send")
    has_draft = StateFilter(Compose)
    on = ComposeCallback.filter
    router.callback_query.register(back_to_summary, on(F.step == Step.PREVIEW), has_draft)
    router.callback_query.register(send, on(F.step.in_({Step.SEND, Step.SEND_OK, Step.PAID,
                                                        Step.PAID_OK, Step.QUIET_NOW})),
                                   has_draft)
    router.callback_query.register(when_quiet_ends, on(F.step == Step.QUIET_LATER), has_draft)
    router.callback_query.register(ask_when, on(F.step == Step.SCHEDULE), has_draft)
    router.callback_query.register(test_to_me, on(F.step == Step.TEST), has_draft)
    router.callback_query.register(drop, on(F.step == Step.CANCEL), has_draft)
    router.callback_query.register(stale, on())  # the draft is gone: sent, cancelled, expired
    router.message.register(take_when, Compose.when, F.text, TypedInput())
    return router
