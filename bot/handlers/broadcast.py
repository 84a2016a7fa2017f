"""The buttons on a broadcast's progress message and history card: pause, resume, cancel,
recall, resend (each asks first where it cannot be undone)."""

from __future__ import annotations

from html import escape

import asyncpg
from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

from bot.db import broadcasts as db
from bot.enums import DeliveryStatus
from bot.keyboards.broadcast import Action, BroadcastCallback, confirm
from bot.services.broadcasts import CANCEL, PAUSE, RESUME, BroadcastService
from bot.services.delivery import progress
from bot.views import broadcast as views
from bot.views.broadcast import progress_view
from bot.views.screen import Screen, show_screen


async def _pressed(callback: CallbackQuery, data: BroadcastCallback, pool: asyncpg.Pool,
                   broadcasts: BroadcastService) -> db.Broadcast | None:
    """The broadcast a button is for (None: it is gone, and the admin is told). Any press
    answers a question standing on it."""
    broadcast = await db.get(pool, data.id)
    if broadcast is None:
        await callback.answer(views.broadcast_gone(), show_alert=True)
        return None
    await broadcasts.answered(data.id)
    return broadcast


async def _done(callback: CallbackQuery, broadcast_id: int, pool: asyncpg.Pool,
                note: str | None, alert: bool) -> None:
    """Say what came of the press (a note in an alert where it matters), then redraw."""
    await callback.answer(note or views.done(), show_alert=bool(note and alert))
    await _refresh(callback, broadcast_id, pool)


async def ask_cancel(callback: CallbackQuery, callback_data: BroadcastCallback,
                     pool: asyncpg.Pool, broadcasts: BroadcastService) -> None:
    broadcast = await _pressed(callback, callback_data, pool, broadcasts)
    if broadcast is None:
        return
    await callback.answer()
    await _ask(callback, broadcast, broadcasts,
               views.ask_cancel(), Action.CANCEL_OK, views.yes_cancel())


async def ask_recall(callback: CallbackQuery, callback_data: BroadcastCallback,
                     pool: asyncpg.Pool, broadcasts: BroadcastService) -> None:
    broadcast = await _pressed(callback, callback_data, pool, broadcasts)
    if broadcast is None:
        return
    refusal = views.recall_refusal(broadcast)
    if refusal is not None:
        await callback.answer(refusal, show_alert=True)
        await _refresh(callback, broadcast.id, pool)
        return
    await callback.answer()
    await _ask(callback, broadcast, broadcasts, views.ask_recall(broadcast.sent),
               Action.RECALL_OK, views.yes_recall())


async def ask_resend_unknown(callback: CallbackQuery, callback_data: BroadcastCallback,
                             pool: asyncpg.Pool, broadcasts: BroadcastService) -> None:
    broadcast = await _pressed(callback, callback_data, pool, broadcasts)
    if broadcast is None:
        return
    await callback.answer()
    await _ask(callback, broadcast, broadcasts, views.ask_resend_unknown(broadcast.unknown),
               Action.RESEND_UNKNOWN_OK, views.yes_resend())


_STEPS = {Action.PAUSE: PAUSE, Action.RESUME: RESUME, Action.CANCEL_OK: CANCEL}


async def change_status(callback: CallbackQuery, callback_data: BroadcastCallback,
                        pool: asyncpg.Pool, broadcasts: BroadcastService) -> None:
    """Pause, resume, or cancel once confirmed."""
    broadcast = await _pressed(callback, callback_data, pool, broadcasts)
    if broadcast is None:
        return
    changed = await broadcasts.transition(broadcast.id, _STEPS[callback_data.action],
                                          callback.from_user.id)
    await _done(callback, broadcast.id, pool, None if changed else views.status_changed(broadcast.status),
                alert=True)


async def canary_go(callback: CallbackQuery, callback_data: BroadcastCallback,
                    pool: asyncpg.Pool, broadcasts: BroadcastService) -> None:
    """The rest now, before the canary's wait ends."""
    broadcast = await _pressed(callback, callback_data, pool, broadcasts)
    if broadcast is None:
        return
    changed = await broadcasts.canary_go(broadcast.id, callback.from_user.id)
    await _done(callback, broadcast.id, pool, None if changed else views.canary_over(),
                alert=True)


async def recall(callback: CallbackQuery, callback_data: BroadcastCallback, pool: asyncpg.Pool,
                 broadcasts: BroadcastService) -> None:
    broadcast = await _pressed(callback, callback_data, pool, broadcasts)
    if broadcast is None:
        return
    note = (views.recalling()
            if await broadcasts.recall(broadcast.id, callback.from_user.id)
            else views.recall_refusal(await db.get(pool, broadcast.id) or broadcast)
            or views.recall_not_started())
    await _done(callback, broadcast.id, pool, note, alert=True)


async def resend(callback: CallbackQuery, callback_data: BroadcastCallback, pool: asyncpg.Pool,
                 broadcasts: BroadcastService) -> None:
    """Failed recipients again, or (once confirmed) those whose delivery is unknown."""
    broadcast = await _pressed(callback, callback_data, pool, broadcasts)
    if broadcast is None:
        return
    whom = (DeliveryStatus.FAILED if callback_data.action is Action.RESEND
            else DeliveryStatus.UNKNOWN)
    count = await broadcasts.resend(broadcast.id, callback.from_user.id, whom.value)
    note = views.resend_note(count)
    await _done(callback, broadcast.id, pool, note, alert=False)


async def back(callback: CallbackQuery, callback_data: BroadcastCallback, pool: asyncpg.Pool,
               broadcasts: BroadcastService) -> None:
    """From a question back to the controls."""
    broadcast = await _pressed(callback, callback_data, pool, broadcasts)
    if broadcast is not None:
        await _done(callback, broadcast.id, pool, None, alert=False)


async def _ask(callback: CallbackQuery, broadcast: db.Broadcast, broadcasts: BroadcastService,
               question: str, yes: Action, yes_text: str) -> None:
    """The question replaces the buttons; on the progress message of a running broadcast,
    the progress display waits for the answer instead of drawing over it."""
    if isinstance(callback.message, Message) \
            and callback.message.message_id == broadcast.progress_message_id:
        await broadcasts.ask(broadcast.id)
    text = progress_view(await progress.gather(broadcasts.pool, broadcast, None)).text
    await show_screen(callback, Screen(text, confirm(broadcast.id, yes, yes_text)).above(
        f"<b>{escape(question)}</b>"))


async def _refresh(callback: CallbackQuery, broadcast_id: int, pool: asyncpg.Pool) -> None:
    broadcast = await db.get(pool, broadcast_id)
    if broadcast is not None:
        await show_screen(callback, progress_view(await progress.gather(pool, broadcast, None)))


def create_router() -> Router:
    router = Router(name="broadcast")
    on = BroadcastCallback.filter
    router.callback_query.register(ask_cancel, on(F.action == Action.CANCEL))
    router.callback_query.register(ask_recall, on(F.action == Action.RECALL))
    router.callback_query.register(ask_resend_unknown, on(F.action == Action.RESEND_UNKNOWN))
    router.callback_query.register(change_status, on(F.action.in_(_STEPS)))
    router.callback_query.register(recall, on(F.action == Action.RECALL_OK))
    router.callback_query.register(resend, on(F.action.in_({Action.RESEND,
                                                             Action.RESEND_UNKNOWN_OK})))
    router.callback_query.register(back, on(F.action == Action.BACK))
    router.callback_query.register(canary_go, on(F.action == Action.CANARY_GO))
    return router
