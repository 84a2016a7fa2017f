"""What an admin can change from the user card, each after a question and into the audit log:
the stream of the user's current booking, a booking's status, and a personal message (composed
like any broadcast and delivered by the engine)."""

from __future__ import annotations

from html import escape

import asyncpg
from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery

from bot.config import Settings
from bot.db import audiences, audit, reachability, streams, users
from bot.db.audiences import Audience
from bot.handlers.common import show_screen, stale_button_text
from bot.handlers.compose import Compose, save
from bot.handlers.users import card_screen
from bot.i18n import _, __
from bot.keyboards import compose as compose_kb
from bot.keyboards import users as kb
from bot.keyboards.users import MoveCallback, StatusCallback, WriteCallback
from bot.services.composer import Draft
from bot.views import compose as compose_texts
from bot.views import users as views
from bot.views.screen import Screen

QUESTION = {2: __("Подтвердить оплату брони #{id} ({stream})?"),
            -1: __("Отменить бронь #{id} ({stream})?")}
DONE = {2: __("Оплата брони #{id} подтверждена."), -1: __("Бронь #{id} отменена.")}


async def move(callback: CallbackQuery, callback_data: MoveCallback, pool: asyncpg.Pool,
               settings: Settings) -> None:
    """Pick a stream, confirm, move: each step re-reads the booking it applies to."""
    data = callback_data
    card = await users.card(pool, data.user_id)
    booking = card.current_booking if card else None
    if card is None or booking is None or (data.booking_id and booking.id != data.booking_id):
        await callback.answer(_("Нет действующей брони: переводить нечего. Поток меняется у "
                              "оплаченной или ожидающей оплаты брони."), show_alert=True)
        return
    titles = await streams.titles(pool)
    active = {s.code: s.title for s in await streams.list_active_streams(pool)
              if s.code != booking.stream}
    if data.to and data.to == booking.stream:
        await callback.answer(_("Бронь #{id} уже в этом потоке.").format(id=booking.id),
                              show_alert=True)
        return
    if data.to and data.to not in active:
        await callback.answer(_("Этого потока нет среди действующих."), show_alert=True)
        return
    if data.sure:
        return await _do_move(callback, pool, settings, booking, data, active[data.to])
    await callback.answer()
    head = _("🔀 {person} · бронь #{id}\nСейчас: <b>{stream}</b>").format(
        person=views.mention(card.user_id, card.first_name), id=booking.id,
        stream=escape(titles.get(booking.stream or "", booking.stream or "—")))
    if not data.to:
        await show_screen(callback, Screen(
            f"{head}\n\n" + _("В какой поток перевести?"),
            kb.streams_to_move(data.user_id, booking.id, list(active.items()))))
        return
    sure = MoveCallback(user_id=data.user_id, booking_id=booking.id, to=data.to, sure=True)
    await show_screen(callback, Screen(
        f"{head}\n" + _("Будет: <b>{stream}</b>\n\nСменить поток?").format(
            stream=escape(active[data.to])),
        kb.confirm(_("Да, перевести"), sure, data.user_id)))


async def _do_move(callback: CallbackQuery, pool: asyncpg.Pool, settings: Settings,
                   booking: users.Booking, data: MoveCallback, title: str) -> None:
    moved = await audit.recorded(
        pool, callback.from_user.id, "user.change_stream", str(data.user_id),
        {"booking_id": booking.id, "from": booking.stream, "to": data.to},
        lambda conn: users.change_stream(conn, booking.id, data.user_id, data.to))
    await callback.answer(_("Готово: {stream}.").format(stream=title) if moved else
                          _("Не вышло: бронь изменилась, пока вы решали. Посмотрите карточку."),
                          show_alert=True)
    await show_screen(callback, await card_screen(pool, settings, data.user_id))


async def set_status(callback: CallbackQuery, callback_data: StatusCallback, pool: asyncpg.Pool,
                     settings: Settings) -> None:
    data = callback_data
    if data.to not in QUESTION or data.was == data.to:
        await callback.answer(stale_button_text(), show_alert=True)
        return
    if not data.sure:
        card = await users.card(pool, data.user_id)
        booking = next((b for b in card.bookings if b.id == data.booking_id), None) if card else None
        if card is None or booking is None or booking.confirmed != data.was:
            await callback.answer(_("Бронь уже изменилась. Посмотрите карточку."), show_alert=True)
            return
        await callback.answer()
        stream = (await streams.titles(pool)).get(booking.stream or "", booking.stream or "—")
        sure = data.model_copy(update={"sure": True})
        question = QUESTION[data.to].format(id=booking.id, stream=escape(stream))
        person = views.mention(card.user_id, card.first_name)
        await show_screen(callback, Screen(f"{question}\n👤 {person}",
                                           kb.confirm(_("Да"), sure, data.user_id)))
        return
    changed = await audit.recorded(
        pool, callback.from_user.id, "booking.status", str(data.user_id),
        {"booking_id": data.booking_id, "from": data.was, "to": data.to},
        lambda conn: users.set_booking_status(conn, data.booking_id, data.user_id, data.was,
                                              data.to))
    await callback.answer(DONE[data.to].format(id=data.booking_id) if changed else
                          _("Не вышло: бронь изменилась, пока вы решали."), show_alert=True)
    await show_screen(callback, await card_screen(pool, settings, data.user_id))


async def write(callback: CallbackQuery, callback_data: WriteCallback, state: FSMContext,
                pool: asyncpg.Pool, settings: Settings) -> None:
    """A broadcast to this one person: straight to the composer's content step. If the bot
    knows it can't reach them, it says so first and offers to try all the same."""
    card = await users.card(pool, callback_data.user_id)
    if card is None:
        await callback.answer(_("Пользователя больше нет."), show_alert=True)
        return
    await callback.answer()
    if card.unreachable is not None:
        if not callback_data.anyway:  # say so before anything is written
            await show_screen(callback, Screen(views.unreachable_warning(card, settings.tz),
                                               kb.write_anyway(card.user_id)))
            return
        await reachability.mark_reachable(pool, card.user_id)  # marked again if still so
    audience = Audience("users", user_ids=(card.user_id,))
    draft = Draft()
    draft.audience = audience.to_json()
    await save(state, draft, Compose.content)
    name = views.label(card.user_id, card.first_name, card.username)
    size = await audiences.count(pool, audience)
    await show_screen(callback, Screen(compose_texts.ask_content(name, size),
                                       compose_kb.back_to_picker()))


def create_router() -> Router:
    router = Router(name="user_actions")
    router.callback_query.register(move, MoveCallback.filter())
    router.callback_query.register(set_status, StatusCallback.filter())
    router.callback_query.register(write, WriteCallback.filter())
    return router
