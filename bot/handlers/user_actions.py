"""What an admin can change from the user card, each after a question and into the audit log:
the stream of the user's current booking and a booking's status. (The card's personal message
is the composer's: handlers/compose.py.)"""

from __future__ import annotations

import asyncpg
from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.config import Settings
from bot.db import audit, streams, unsubscribes, users
from bot.filters import TypedInput
from bot.handlers.users import card_screen
from bot.keyboards import users as kb
from bot.keyboards.users import MoveCallback, ResubscribeCallback, StatusCallback
from bot.views import unsubscribe as unsubscribe_views
from bot.views import users as views
from bot.views.menu import stale_button_text
from bot.views.screen import Screen, answer_screen, show_screen

MAX_REASON = 300


class Resubscribe(StatesGroup):
    reason = State()  # why someone who unsubscribed gets broadcasts again


async def move(callback: CallbackQuery, callback_data: MoveCallback, pool: asyncpg.Pool,
               settings: Settings) -> None:
    """Pick a stream, confirm, move: each step re-reads the booking it applies to."""
    data = callback_data
    card = await users.card(pool, data.user_id)
    booking = card.current_booking if card else None
    if card is None or booking is None or (data.booking_id and booking.id != data.booking_id):
        await callback.answer(views.nothing_to_move(), show_alert=True)
        return
    titles = await streams.titles(pool)
    active = {s.code: s.title for s in await streams.list_active_streams(pool)
              if s.code != booking.stream}
    if data.to and data.to == booking.stream:
        await callback.answer(views.already_in_stream(booking.id),
                              show_alert=True)
        return
    if data.to and data.to not in active:
        await callback.answer(views.stream_not_active(), show_alert=True)
        return
    if data.sure:
        return await _do_move(callback, pool, settings, booking, data, active[data.to])
    await callback.answer()
    now = titles.get(booking.stream or "", booking.stream or "—")
    if not data.to:
        await show_screen(callback, Screen(
            views.ask_move(card, booking.id, now),
            kb.streams_to_move(data.user_id, booking.id, list(active.items()))))
        return
    sure = MoveCallback(user_id=data.user_id, booking_id=booking.id, to=data.to, sure=True)
    await show_screen(callback, Screen(views.confirm_move(card, booking.id, now, active[data.to]),
                                       kb.confirm(views.yes_move(), sure, data.user_id)))


async def _do_move(callback: CallbackQuery, pool: asyncpg.Pool, settings: Settings,
                   booking: users.Booking, data: MoveCallback, title: str) -> None:
    moved = await audit.recorded(
        pool, callback.from_user.id, "user.change_stream", str(data.user_id),
        {"booking_id": booking.id, "from": booking.stream, "to": data.to},
        lambda conn: users.change_stream(conn, booking.id, data.user_id, data.to))
    await callback.answer(views.moved(title) if moved else views.move_failed(),
                          show_alert=True)
    await show_screen(callback, await card_screen(pool, settings, data.user_id))


async def set_status(callback: CallbackQuery, callback_data: StatusCallback, pool: asyncpg.Pool,
                     settings: Settings) -> None:
    data = callback_data
    if data.to not in views.STATUS_QUESTION or data.was == data.to:
        await callback.answer(stale_button_text(), show_alert=True)
        return
    if not data.sure:
        card = await users.card(pool, data.user_id)
        booking = next((b for b in card.bookings if b.id == data.booking_id), None) if card else None
        if card is None or booking is None or booking.confirmed != data.was:
            await callback.answer(views.booking_changed(), show_alert=True)
            return
        await callback.answer()
        stream = (await streams.titles(pool)).get(booking.stream or "", booking.stream or "—")
        sure = data.model_copy(update={"sure": True})
        await show_screen(callback, Screen(views.ask_status(data.to, booking.id, stream, card),
                                           kb.confirm(views.yes(), sure, data.user_id)))
        return
    changed = await audit.recorded(
        pool, callback.from_user.id, "booking.status", str(data.user_id),
        {"booking_id": data.booking_id, "from": data.was, "to": data.to},
        lambda conn: users.set_booking_status(conn, data.booking_id, data.user_id, data.was,
                                              data.to))
    await callback.answer(views.status_done(data.to, data.booking_id) if changed else
                          views.status_failed(), show_alert=True)
    await show_screen(callback, await card_screen(pool, settings, data.user_id))


async def ask_resubscribe(callback: CallbackQuery, callback_data: ResubscribeCallback,
                          state: FSMContext, pool: asyncpg.Pool) -> None:
    """Only the person undoes their unsubscribe, or an admin who says why (the audit log)."""
    user_id = callback_data.user_id
    card = await users.card(pool, user_id)
    if card is None or await unsubscribes.since(pool, user_id) is None:
        await callback.answer(unsubscribe_views.not_unsubscribed(), show_alert=True)
        return
    await callback.answer()
    await state.set_state(Resubscribe.reason)
    await state.set_data({"user_id": user_id})
    await show_screen(callback, Screen(unsubscribe_views.ask_reason(
        views.label(user_id, card.first_name, card.username)), kb.reason_step(user_id)))


async def take_reason(message: Message, state: FSMContext, pool: asyncpg.Pool,
                      settings: Settings) -> None:
    reason = " ".join((message.text or "").split())
    if not reason or len(reason) > MAX_REASON:
        await message.answer(unsubscribe_views.reason_needed())
        return
    user_id = int((await state.get_data())["user_id"])
    await state.clear()
    assert message.from_user is not None
    changed = await unsubscribes.undo_by_admin(pool, user_id, message.from_user.id, reason)
    note = unsubscribe_views.resubscribed() if changed else unsubscribe_views.not_unsubscribed()
    await answer_screen(message, (await card_screen(pool, settings, user_id)).under(note))


def create_router() -> Router:
    router = Router(name="user_actions")
    router.callback_query.register(move, MoveCallback.filter())
    router.callback_query.register(set_status, StatusCallback.filter())
    router.callback_query.register(ask_resubscribe, ResubscribeCallback.filter())
    router.message.register(take_reason, Resubscribe.reason, F.text, TypedInput())
    return router
