"""What an admin can change from the user card, each after a question and into the audit log:
the stream of the user's current booking and a booking's status. (The card's personal message
is the composer's: handlers/compose.py.)"""

from __future__ import annotations

import asyncpg
from aiogram import Router
from aiogram.types import CallbackQuery

from bot.config import Settings
from bot.db import audit, streams, users
from bot.handlers.users import card_screen
from bot.keyboards import users as kb
from bot.keyboards.users import MoveCallback, StatusCallback
from bot.views import users as views
from bot.views.menu import stale_button_text
from bot.views.screen import Screen, show_screen


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


def create_router() -> Router:
    router = Router(name="user_actions")
    router.callback_query.register(move, MoveCallback.filter())
    router.callback_query.register(set_status, StatusCallback.filter())
    return router
