"""Four-eyes approval: a big broadcast or recurring series goes to the team's other editors
and owners, each getting its exact preview and a request with the audience and its size (a
series: its rule and next occurrences too); ✅ approves it (it starts, or waits for its time;
a series goes from its next occurrence), ❌ asks for a reason and rejects it. The author is
told."""

from __future__ import annotations

import logging
from collections.abc import Callable
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
from bot.db import series as series_db
from bot.db.broadcasts import Content
from bot.db.series import Rule, Series
from bot.enums import Role
from bot.filters import TypedInput
from bot.handlers.common import read_text, send_content
from bot.i18n import use_locale
from bot.keyboards import approval as kb
from bot.keyboards.approval import ApprovalCallback, Kind, Verdict
from bot.keyboards.compose import url_buttons
from bot.services import approval
from bot.services.broadcasts import BroadcastService
from bot.services.composer import Draft
from bot.services.series import SeriesService
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


async def submit_series(bot: Bot, pool: asyncpg.Pool, settings: Settings, team: Team,
                        service: SeriesService, draft: Draft, rule: Rule, author: int
                        ) -> str | None:
    """Keep the draft's series for approval (no occurrences meanwhile) and ask the others;
    what the author is told (None: the rule gives no occurrence)."""
    made = await service.make(
        draft.content_obj(settings.links_base is not None), draft.audience_obj(), rule, author,
        draft_key=draft.key, holdout=draft.holdout, cap_off=draft.cap_off,
        quiet_off=draft.quiet_off, awaiting_approval=True)
    if made is None:
        return None
    series, created = made
    if not created:  # a second tap: the first one asked already
        return views.series_submitted(series.id, 0)
    asked = await ask_series_approvers(bot, pool, settings, team, service, series)
    return views.series_submitted(series.id, asked) if asked \
        else views.series_nobody_to_approve(series.id)


async def ask_approvers(bot: Bot, pool: asyncpg.Pool, settings: Settings, team: Team,
                        broadcast: db.Broadcast) -> int:
    """The preview and the request to every other editor and owner; how many got them."""
    assert broadcast.audience is not None
    title = audience_title(broadcast.audience, await streams.titles(pool))
    size = (await audiences.count(pool, broadcast.audience)).total
    return await _ask(bot, pool, settings, team, broadcast.created_by, broadcast.content,
                      Kind.BROADCAST, broadcast.id, lambda author: views.request(
                          broadcast.id, author, title, size, broadcast.scheduled_at,
                          settings.tz))


async def ask_series_approvers(bot: Bot, pool: asyncpg.Pool, settings: Settings, team: Team,
                               service: SeriesService, series: Series) -> int:
    """The same for a recurring broadcast: its rule and next occurrences on the request."""
    title = audience_title(series.audience, await streams.titles(pool))
    size = (await audiences.count(pool, series.audience)).total
    moments = service.upcoming(series)
    return await _ask(bot, pool, settings, team, series.created_by, series.content,
                      Kind.SERIES, series.id, lambda author: views.series_request(
                          series.id, author, title, size, series.rule, moments, settings.tz))


async def _ask(bot: Bot, pool: asyncpg.Pool, settings: Settings, team: Team, author: int | None,
               content: Content, kind: Kind, row_id: int, request: Callable[[str], str]) -> int:
    """The preview and `request` (given the author's name, in each one's language) to every
    other editor and owner; how many got them."""
    approvers = [user_id for user_id, role in (await team.everyone()).items()
                 if role.reaches(Role.EDITOR) and user_id != author]
    names = await audit.names_of(pool, [*approvers, author or 0])
    markup = url_buttons(content.buttons_json(), unsubscribe_preview_url(settings.links_base)
                         if settings.links_base and content.unsubscribe else None)
    asked = 0
    for user_id in approvers:
        name, username = names.get(user_id, (None, None))
        with use_locale(await preferences.locale(pool, user_id)):
            text = request(person(author or 0, names))
            try:
                await send_content(bot, user_id, content, markup, name, username)
                await bot.send_message(user_id, text, reply_markup=kb.request(row_id, kind))
                asked += 1
            except TelegramAPIError as exc:  # never opened the bot, blocked it
                log.warning("approval request not sent: %s", exc.message,
                            extra={"user_id": user_id, "row_id": row_id, "kind": kind})
    return asked


async def _tell_author(bot: Bot, author: int | None, say: str) -> None:
    if not author:
        return
    try:
        await bot.send_message(author, say)
    except TelegramAPIError as exc:
        log.warning("approval result not told: %s", exc.message, extra={"user_id": author})


async def _standing(pool: asyncpg.Pool, kind: Kind, row_id: int
                    ) -> tuple[str, int | None, int | None]:
    """(status, author, who approved or rejected it) of what waits or waited for approval."""
    if kind is Kind.SERIES:
        series = await series_db.get(pool, row_id)
        status, by = await series_db.decided_by(pool, row_id)
        return status, series.created_by if series else None, by
    broadcast = await db.get(pool, row_id)
    status, by, _reason = await approvals.decided_by(pool, row_id)
    return status, broadcast.created_by if broadcast else None, by


async def _refusal(pool: asyncpg.Pool, kind: Kind, row_id: int, user_id: int) -> str:
    """Why this press decides nothing: the author's own, or decided already."""
    status, author, by = await _standing(pool, kind, row_id)
    if author == user_id and status == approvals.AWAITING:
        return views.own_broadcast()
    who = person(by, await audit.names_of(pool, [by])) if by else None
    return views.decided_already(status, who)


async def approve(callback: CallbackQuery, callback_data: ApprovalCallback, pool: asyncpg.Pool,
                  settings: Settings, broadcasts: BroadcastService, bot: Bot) -> None:
    me = callback.from_user.id
    result = await approval.approve(broadcasts, callback_data.id, me)
    if result is None:
        await callback.answer(await _refusal(pool, Kind.BROADCAST, callback_data.id, me),
                              show_alert=True)
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


async def approve_series(callback: CallbackQuery, callback_data: ApprovalCallback,
                         pool: asyncpg.Pool, settings: Settings, series: SeriesService,
                         bot: Bot) -> None:
    """It goes from its next occurrence on (one whose time passed while it waited: not)."""
    me = callback.from_user.id
    found = await series.approve(callback_data.id, me)
    if found is None:
        await callback.answer(await _refusal(pool, Kind.SERIES, callback_data.id, me),
                              show_alert=True)
        return
    await callback.answer()
    await _mark_card(callback, views.series_approved_here(found.id))
    with use_locale(await preferences.locale(pool, found.created_by)):
        say = views.series_approved_to_author(found.id, person(me, await audit.names_of(
            pool, [me])), found.next_at, settings.tz)
    await _tell_author(bot, found.created_by, say)


async def _mark_card(callback: CallbackQuery, note: str) -> None:
    """The request, its buttons gone, with what was decided under it."""
    if isinstance(callback.message, Message) and callback.message.text is not None:
        await show_screen(callback, Screen(callback.message.html_text).above(note))


async def ask_reason(callback: CallbackQuery, callback_data: ApprovalCallback,
                     state: FSMContext, pool: asyncpg.Pool) -> None:
    kind, row_id, me = callback_data.kind, callback_data.id, callback.from_user.id
    status, author, _by = await _standing(pool, kind, row_id)
    if status != approvals.AWAITING or author == me:
        await callback.answer(await _refusal(pool, kind, row_id, me), show_alert=True)
        return
    await callback.answer()
    await state.set_state(ApprovalReason.reason)
    card = callback.message.message_id if isinstance(callback.message, Message) else None
    await state.update_data(broadcast_id=row_id, kind=kind.value, card=card)
    if isinstance(callback.message, Message):  # below the request, which keeps its buttons
        await callback.message.answer(views.ask_reason(callback_data.id),
                                      reply_markup=kb.reason_step())


def _reason(text: str) -> str:
    reason = " ".join(text.split())
    if not 1 <= len(reason) <= REASON_LIMIT:
        raise ValueError(views.bad_reason())
    return reason


async def take_reason(message: Message, state: FSMContext, pool: asyncpg.Pool,
                      broadcasts: BroadcastService, series: SeriesService, bot: Bot) -> None:
    assert message.from_user is not None
    reason = await read_text(message, _reason, kb.reason_step())
    if reason is None:
        return
    data = await state.get_data()
    row_id, card = int(data.get("broadcast_id", 0)), data.get("card")
    kind = Kind(data.get("kind", Kind.BROADCAST))
    await state.clear()
    me = message.from_user.id
    decided, author = await _reject(broadcasts, series, kind, row_id, me, reason)
    if not decided:
        await message.answer(await _refusal(pool, kind, row_id, me))
        return
    if card is not None:  # the request's buttons go: it is decided
        with suppress(TelegramAPIError):
            await bot.edit_message_reply_markup(chat_id=me, message_id=card, reply_markup=None)
    here, told = (views.series_rejected_here, views.series_rejected_to_author) \
        if kind is Kind.SERIES else (views.rejected_here, views.rejected_to_author)
    await message.answer(here(row_id))
    with use_locale(await preferences.locale(pool, author)):
        say = told(row_id, person(me, await audit.names_of(pool, [me])), reason)
    await _tell_author(bot, author, say)


async def _reject(broadcasts: BroadcastService, series: SeriesService, kind: Kind, row_id: int,
                  by: int, reason: str) -> tuple[bool, int | None]:
    """(whether this rejected it, its author)."""
    if kind is Kind.SERIES:
        author = await series.reject(row_id, by, reason)
        return author is not None, author
    decision = await approval.reject(broadcasts, row_id, by, reason)
    return decision is not None, decision.created_by if decision else None


def create_router() -> Router:
    router = Router(name="approval")
    on = ApprovalCallback.filter
    router.callback_query.register(approve, on((F.verdict == Verdict.APPROVE)
                                                & (F.kind == Kind.BROADCAST)))
    router.callback_query.register(approve_series, on((F.verdict == Verdict.APPROVE)
                                                       & (F.kind == Kind.SERIES)))
    router.callback_query.register(ask_reason, on(F.verdict == Verdict.REJECT))
    router.message.register(take_reason, ApprovalReason.reason, F.text, TypedInput())
    return router
