"""The buttons on a broadcast's progress message and history card: pause, resume, cancel,
recall, resend (each asks first where it cannot be undone)."""

from __future__ import annotations

from html import escape

import asyncpg
from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

from bot.db import broadcasts as db
from bot.enums import BroadcastStatus, DeliveryStatus, RecallStatus
from bot.handlers.common import progress_screen, show_screen
from bot.i18n import _
from bot.keyboards.broadcast import Action, BroadcastCallback, confirm
from bot.services.broadcasts import CANCEL, PAUSE, RESUME, BroadcastService
from bot.views.screen import Screen


async def _pressed(callback: CallbackQuery, data: BroadcastCallback, pool: asyncpg.Pool,
                   broadcasts: BroadcastService) -> db.Broadcast | None:
    """The broadcast a button is for (None: it is gone, and the admin is told). Any press
    answers a question standing on it."""
    broadcast = await db.get(pool, data.id)
    if broadcast is None:
        await callback.answer(_("Этой рассылки больше нет."), show_alert=True)
        return None
    await broadcasts.answered(data.id)
    return broadcast


async def _done(callback: CallbackQuery, broadcast_id: int, pool: asyncpg.Pool,
                note: str | None, alert: bool) -> None:
    """Say what came of the press (a note in an alert where it matters), then redraw."""
    await callback.answer(note or _("Готово."), show_alert=bool(note and alert))
    await _refresh(callback, broadcast_id, pool)


async def ask_cancel(callback: CallbackQuery, callback_data: BroadcastCallback,
                     pool: asyncpg.Pool, broadcasts: BroadcastService) -> None:
    broadcast = await _pressed(callback, callback_data, pool, broadcasts)
    if broadcast is None:
        return
    await callback.answer()
    await _ask(callback, broadcast, broadcasts,
               _("Отменить рассылку? Уже отправленные сообщения останутся."),
               Action.CANCEL_OK, _("Да, отменить"))


async def ask_recall(callback: CallbackQuery, callback_data: BroadcastCallback,
                     pool: asyncpg.Pool, broadcasts: BroadcastService) -> None:
    broadcast = await _pressed(callback, callback_data, pool, broadcasts)
    if broadcast is None:
        return
    refusal = _recall_refusal(broadcast)
    if refusal is not None:
        await callback.answer(refusal, show_alert=True)
        await _refresh(callback, broadcast.id, pool)
        return
    await callback.answer()
    question = _("Удалить рассылку у всех получателей ({count})? Сообщения старше 48 часов "
                 "Telegram удалить не даст.").format(count=broadcast.sent)
    await _ask(callback, broadcast, broadcasts, question, Action.RECALL_OK,
               _("Да, удалить у всех"))


async def ask_resend_unknown(callback: CallbackQuery, callback_data: BroadcastCallback,
                             pool: asyncpg.Pool, broadcasts: BroadcastService) -> None:
    broadcast = await _pressed(callback, callback_data, pool, broadcasts)
    if broadcast is None:
        return
    await callback.answer()
    question = _("У {count} получателей неизвестно, дошло ли сообщение: запрос ушёл, а ответа "
                 "Telegram не было (например, бот перезапустился). Часть из них сообщение уже "
                 "получила и получит его второй раз. Отправить им ещё раз?").format(
        count=broadcast.unknown)
    await _ask(callback, broadcast, broadcasts, question, Action.RESEND_UNKNOWN_OK,
               _("Да, отправить ещё раз"))


_STEPS = {Action.PAUSE: PAUSE, Action.RESUME: RESUME, Action.CANCEL_OK: CANCEL}


async def change_status(callback: CallbackQuery, callback_data: BroadcastCallback,
                        pool: asyncpg.Pool, broadcasts: BroadcastService) -> None:
    """Pause, resume, or cancel once confirmed."""
    broadcast = await _pressed(callback, callback_data, pool, broadcasts)
    if broadcast is None:
        return
    changed = await broadcasts.transition(broadcast.id, _STEPS[callback_data.action],
                                          callback.from_user.id)
    await _done(callback, broadcast.id, pool, None if changed else _stale(broadcast.status),
                alert=True)


async def recall(callback: CallbackQuery, callback_data: BroadcastCallback, pool: asyncpg.Pool,
                 broadcasts: BroadcastService) -> None:
    broadcast = await _pressed(callback, callback_data, pool, broadcasts)
    if broadcast is None:
        return
    note = (_("Удаляю сообщения; когда закончу, пришлю итог.")
            if await broadcasts.recall(broadcast.id, callback.from_user.id)
            else _recall_refusal(await db.get(pool, broadcast.id) or broadcast)
            or _("Отзыв уже идёт или нечего отзывать."))
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
    note = (_("Отправлю ещё раз: {count}.").format(count=count) if count
            else _("Повторять некому."))
    await _done(callback, broadcast.id, pool, note, alert=False)


async def back(callback: CallbackQuery, callback_data: BroadcastCallback, pool: asyncpg.Pool,
               broadcasts: BroadcastService) -> None:
    """From a question back to the controls."""
    broadcast = await _pressed(callback, callback_data, pool, broadcasts)
    if broadcast is not None:
        await _done(callback, broadcast.id, pool, None, alert=False)


def _recall_refusal(broadcast: db.Broadcast) -> str | None:
    """Why this broadcast can't be recalled now (None: it can)."""
    if broadcast.recall_status == RecallStatus.DONE:
        return _("Рассылка уже отозвана.")
    if broadcast.recall_status in (RecallStatus.REQUESTED, RecallStatus.RUNNING):
        return _("Отзыв уже идёт.")
    if broadcast.status == BroadcastStatus.SENDING:
        return _("Рассылка ещё идёт: поставьте её на паузу или дождитесь конца.")
    if broadcast.sent == 0:
        return _("Отзывать нечего: рассылка никому не доставлена.")
    return None


def _stale(status: str) -> str:
    words: dict[str, str] = {BroadcastStatus.DONE: _("Рассылка уже завершена."),
                             BroadcastStatus.CANCELLED: _("Рассылка уже отменена."),
                             BroadcastStatus.PAUSED: _("Рассылка уже на паузе."),
                             BroadcastStatus.SENDING: _("Рассылка уже идёт.")}
    return words.get(status) or _("Рассылка в другом состоянии.")


async def _ask(callback: CallbackQuery, broadcast: db.Broadcast, broadcasts: BroadcastService,
               question: str, yes: Action, yes_text: str) -> None:
    """The question replaces the buttons; on the progress message of a running broadcast,
    the progress display waits for the answer instead of drawing over it."""
    if isinstance(callback.message, Message) \
            and callback.message.message_id == broadcast.progress_message_id:
        await broadcasts.ask(broadcast.id)
    text = (await progress_screen(broadcasts.pool, broadcast)).text
    await show_screen(callback, Screen(text, confirm(broadcast.id, yes, yes_text)).above(
        f"<b>{escape(question)}</b>"))


async def _refresh(callback: CallbackQuery, broadcast_id: int, pool: asyncpg.Pool) -> None:
    broadcast = await db.get(pool, broadcast_id)
    if broadcast is not None:
        await show_screen(callback, await progress_screen(pool, broadcast))


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
    return router
