"""The buttons on a broadcast's progress message and history card: pause, resume, cancel,
recall, resend (each asks first where it cannot be undone)."""

from __future__ import annotations

from html import escape

import asyncpg
from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot.db import broadcasts as db
from bot.handlers.common import show_screen
from bot.i18n import _
from bot.keyboards.broadcast import Action, BroadcastCallback, confirm
from bot.services.broadcasts import CANCEL, PAUSE, RESUME, BroadcastService
from bot.services.delivery.progress import screen


async def on_control(callback: CallbackQuery, callback_data: BroadcastCallback,
                     pool: asyncpg.Pool, broadcasts: BroadcastService) -> None:
    broadcast_id, action = callback_data.id, callback_data.action
    broadcast = await db.get(pool, broadcast_id)
    if broadcast is None:
        await callback.answer(_("Этой рассылки больше нет."), show_alert=True)
        return
    admin_id = callback.from_user.id
    note = None
    await broadcasts.answered(broadcast_id)  # any press answers a question standing on it
    if action is Action.CANCEL:
        await callback.answer()
        await _ask(callback, broadcast, broadcasts,
                   _("Отменить рассылку? Уже отправленные сообщения останутся."),
                   Action.CANCEL_OK, _("Да, отменить"))
        return
    if action is Action.RECALL:
        refusal = _recall_refusal(broadcast)
        if refusal is not None:
            await callback.answer(refusal, show_alert=True)
            await _refresh(callback, broadcast_id, pool)
            return
        await callback.answer()
        question = _("Удалить рассылку у всех получателей ({count})? Сообщения старше 48 часов "
                     "Telegram удалить не даст.").format(count=broadcast.sent)
        await _ask(callback, broadcast, broadcasts, question, Action.RECALL_OK,
                   _("Да, удалить у всех"))
        return
    if action is Action.RESEND_UNKNOWN:
        await callback.answer()
        question = _("У {count} получателей неизвестно, дошло ли сообщение: запрос ушёл, а ответа "
                     "Telegram не было (например, бот перезапустился). Часть из них сообщение уже "
                     "получила и получит его второй раз. Отправить им ещё раз?").format(
            count=broadcast.unknown)
        await _ask(callback, broadcast, broadcasts, question, Action.RESEND_UNKNOWN_OK,
                   _("Да, отправить ещё раз"))
        return
    if action in (Action.PAUSE, Action.RESUME, Action.CANCEL_OK):
        step = {Action.PAUSE: PAUSE, Action.RESUME: RESUME, Action.CANCEL_OK: CANCEL}[action]
        if not await broadcasts.transition(broadcast_id, step, admin_id):
            note = _stale(broadcast.status)
    elif action is Action.RECALL_OK:
        note = (_("Удаляю сообщения; когда закончу, пришлю итог.")
                if await broadcasts.recall(broadcast_id, admin_id)
                else _recall_refusal(await db.get(pool, broadcast_id) or broadcast)
                or _("Отзыв уже идёт или нечего отзывать."))
    elif action in (Action.RESEND, Action.RESEND_UNKNOWN_OK):
        count = await broadcasts.resend(broadcast_id, admin_id, "failed" if action is Action.RESEND
                                        else "unknown")
        note = (_("Отправлю ещё раз: {count}.").format(count=count) if count
                else _("Повторять некому."))
    await callback.answer(note or _("Готово."),
                          show_alert=bool(note and action not in (Action.RESEND,
                                                                  Action.RESEND_UNKNOWN_OK)))
    await _refresh(callback, broadcast_id, pool)


def _recall_refusal(broadcast: db.Broadcast) -> str | None:
    """Why this broadcast can't be recalled now (None: it can)."""
    if broadcast.recall_status == "done":
        return _("Рассылка уже отозвана.")
    if broadcast.recall_status in ("requested", "running"):
        return _("Отзыв уже идёт.")
    if broadcast.status == "sending":
        return _("Рассылка ещё идёт: поставьте её на паузу или дождитесь конца.")
    if broadcast.sent == 0:
        return _("Отзывать нечего: рассылка никому не доставлена.")
    return None


def _stale(status: str) -> str:
    return {"done": _("Рассылка уже завершена."), "cancelled": _("Рассылка уже отменена."),
            "paused": _("Рассылка уже на паузе."), "sending": _("Рассылка уже идёт.")}.get(
        status) or _("Рассылка в другом состоянии.")


async def _ask(callback: CallbackQuery, broadcast: db.Broadcast, broadcasts: BroadcastService,
               question: str, yes: Action, yes_text: str) -> None:
    """The question replaces the buttons; on the progress message of a running broadcast,
    the progress display waits for the answer instead of drawing over it."""
    if isinstance(callback.message, Message) \
            and callback.message.message_id == broadcast.progress_message_id:
        await broadcasts.ask(broadcast.id)
    text = (await screen(broadcasts.pool, broadcast, None))[0]
    await show_screen(callback, f"{text}\n\n<b>{escape(question)}</b>",
                      confirm(broadcast.id, yes, yes_text))


async def _refresh(callback: CallbackQuery, broadcast_id: int, pool: asyncpg.Pool) -> None:
    broadcast = await db.get(pool, broadcast_id)
    if broadcast is not None:
        await show_screen(callback, *await screen(pool, broadcast, None))


def create_router() -> Router:
    router = Router(name="broadcast")
    router.callback_query.register(on_control, BroadcastCallback.filter())
    return router
