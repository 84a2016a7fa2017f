"""Four-eyes approval: a big broadcast goes to the team's other editors and owners, each
getting its exact preview and a request with the audience and its size; ✅ approves it (it
starts, or waits for its time), ❌ asks for a reason and rejects it. The author is told."""

from __future__ import annotations

import logging
from contextlib import suppress
from datetime import datetime

import asyncpg
from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.config import Settings
from bot.db import approvals, audiences, audit, preferences, streams
from bot.db import broadcasts as db
from bot.enums import Role
from bot.filters import TypedInput
from bot.handlers.common import read_text, send_content
from bot.i18n import use_locale
from bot.keyboards import approval as kb
from bot.keyboards.approval import ApprovalCallback, Verdict
from bot.keyboards.compose import url_buttons
from bot.services import approval
from bot.services.broadcasts import BroadcastService
from bot.services.composer import Draft
from bot.services.links import unsubscribe_preview_url
from bot.services.team import Team
from bot.views import approval as views
from bot.views.broadcast import audience_title
from bot.views.screen import Screen, show_screen
from bot.views.team import person

log = logging.getLogger(__name__)

REASON_LIMIT = 500


class ApprovalReason(StatesGroup):
    reason = State()


async def submit(bot: Bot, pool: asyncpg.Pool, settings: Settings, team: Team,
                 broadcasts: BroadcastService, draft: Draft, author: int,
                 moment: datetime | None, paid: bool = False) -> str:
    """Keep the draft's broadcast for approval and ask the others; what the author is told."""
    launch = await approval.submit(
        broadcasts, draft.content_obj(settings.links_base is not None), draft.audience_obj(),
        author, moment, paid=paid, draft_key=draft.key, holdout=draft.holdout,
        cap_off=draft.cap_off, quiet_off=draft.quiet_off)
    if not launch.created:  # a second tap: the first one asked already
        return views.submitted(launch.broadcast.id, 0)
    asked = await ask_approvers(bot, pool, settings, team, launch.broadcast)
    return views.submitted(launch.broadcast.id, asked) if asked \
        else views.nobody_to_approve(launch.broadcast.id)


async def ask_approvers(bot: Bot, pool: asyncpg.Pool, settings: Settings, team: Team,
                        broadcast: db.Broadcast) -> int:
    """The preview and the request to every other editor and owner; how many got them."""
    assert broadcast.audience is not None
    approvers = [user_id for user_id, role in (await team.everyone()).items()
                 if role.reaches(Role.EDITOR) and user_id != broadcast.created_by]
    names = await audit.names_of(pool, [*approvers, broadcast.created_by or 0])
    title = audience_title(broadcast.audience, await streams.titles(pool))
    size = (await audiences.count(pool, broadcast.audience)).total
    content = broadcast.content
    markup = url_buttons(content.buttons_json(), unsubscribe_preview_url(settings.links_base)
                         if settings.links_base and content.unsubscribe else None)
    asked = 0
    for user_id in approvers:
        name, username = names.get(user_id, (None, None))
        with use_locale(await preferences.locale(pool, user_id)):
            text = views.request(broadcast.id, person(broadcast.created_by or 0, names), title,
                                 size, broadcast.scheduled_at, settings.tz)
            try:
                await send_content(bot, user_id, content, markup, name, username)
                await bot.send_message(user_id, text, reply_markup=kb.request(broadcast.id))
                asked += 1
            except TelegramAPIError as exc:  # never opened the bot, blocked it
                log.warning("approval request not sent: %s", exc.message,
                            extra={"user_id": user_id, "broadcast_id": broadcast.id})
    return asked


async def _tell_author(bot: Bot, author: int | None, say: str) -> None:
    if not author:
        return
    try:
        await bot.send_message(author, say)
    except TelegramAPIError as exc:
        log.warning("approval result not told: %s", exc.message, extra={"user_id": author})


async def _refusal(pool: asyncpg.Pool, broadcast_id: int, user_id: int) -> str:
    """Why this press decides nothing: the author's own, or decided already."""
    broadcast = await db.get(pool, broadcast_id)
    if broadcast is not None and broadcast.created_by == user_id \
            and broadcast.status == approvals.AWAITING:
        return views.own_broadcast()
    status, by, _reason = await approvals.decided_by(pool, broadcast_id)
    who = person(by, await audit.names_of(pool, [by])) if by else None
    return views.decided_already(status, who)


async def approve(callback: CallbackQuery, callback_data: ApprovalCallback, pool: asyncpg.Pool,
                  settings: Settings, broadcasts: BroadcastService, bot: Bot) -> None:
    me = callback.from_user.id
    result = await approval.approve(broadcasts, callback_data.id, me)
    if result is None:
        await callback.answer(await _refusal(pool, callback_data.id, me), show_alert=True)
        return
    await callback.answer()
    await _mark_card(callback, views.approved_here(callback_data.id))
    broadcast = await db.get(pool, callback_data.id)
    moment = None if result.decision.now or broadcast is None else broadcast.scheduled_at
    author = result.decision.created_by
    with use_locale(await preferences.locale(pool, author)):
        say = views.approved_to_author(callback_data.id, person(me, await audit.names_of(
            pool, [me])), moment, settings.tz)
    await _tell_author(bot, author, say)


async def _mark_card(callback: CallbackQuery, note: str) -> None:
    """The request, its buttons gone, with what was decided under it."""
    if isinstance(callback.message, Message) and callback.message.text is not None:
        await show_screen(callback, Screen(callback.message.html_text).above(note))


async def ask_reason(callback: CallbackQuery, callback_data: ApprovalCallback,
                     state: FSMContext, pool: asyncpg.Pool) -> None:
    broadcast = await db.get(pool, callback_data.id)
    if broadcast is None or broadcast.status != approvals.AWAITING \
            or broadcast.created_by == callback.from_user.id:
        await callback.answer(await _refusal(pool, callback_data.id, callback.from_user.id),
                              show_alert=True)
        return
    await callback.answer()
    await state.set_state(ApprovalReason.reason)
    card = callback.message.message_id if isinstance(callback.message, Message) else None
    await state.update_data(broadcast_id=callback_data.id, card=card)
    if isinstance(callback.message, Message):  # below the request, which keeps its buttons
        await callback.message.answer(views.ask_reason(callback_data.id),
                                      reply_markup=kb.reason_step())


def _reason(text: str) -> str:
    reason = " ".join(text.split())
    if not 1 <= len(reason) <= REASON_LIMIT:
        raise ValueError(views.bad_reason())
    return reason


async def take_reason(message: Message, state: FSMContext, pool: asyncpg.Pool,
                      broadcasts: BroadcastService, bot: Bot) -> None:
    assert message.from_user is not None
    reason = await read_text(message, _reason, kb.reason_step())
    if reason is None:
        return
    data = await state.get_data()
    broadcast_id, card = int(data.get("broadcast_id", 0)), data.get("card")
    await state.clear()
    me = message.from_user.id
    decision = await approval.reject(broadcasts, broadcast_id, me, reason)
    if decision is None:
        await message.answer(await _refusal(pool, broadcast_id, me))
        return
    if card is not None:  # the request's buttons go: it is decided
        with suppress(TelegramAPIError):
            await bot.edit_message_reply_markup(chat_id=me, message_id=card, reply_markup=None)
    await message.answer(views.rejected_here(broadcast_id))
    with use_locale(await preferences.locale(pool, decision.created_by)):
        say = views.rejected_to_author(broadcast_id, person(me, await audit.names_of(
            pool, [me])), reason)
    await _tell_author(bot, decision.created_by, say)


def create_router() -> Router:
    router = Router(name="approval")
    on = ApprovalCallback.filter
    router.callback_query.register(approve, on(F.verdict == Verdict.APPROVE))
    router.callback_query.register(ask_reason, on(F.verdict == Verdict.REJECT))
    router.message.register(take_reason, ApprovalReason.reason, F.text, TypedInput())
    return router
