"""/scheduled: upcoming broadcasts; each can be sent now, moved, edited or cancelled."""

from __future__ import annotations


import asyncpg
from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.config import Settings
from bot.db import audiences, streams
from bot.db import broadcasts as db
from bot.db import series as series_db
from bot.enums import BroadcastStatus
from bot.filters import TypedInput
from bot.handlers.common import read_content, read_text
from bot.keyboards import scheduled as kb
from bot.keyboards.menu import MenuCallback, Section
from bot.keyboards.scheduled import Sched, ScheduledCallback
from bot.services.broadcasts import CANCEL, BroadcastService
from bot.services.delivery import progress
from bot.services.series import SeriesService
from bot.text.format import when
from bot.text.when import parse_when
from bot.views import scheduled as views
from bot.views import series as series_views
from bot.views.broadcast import audience_title
from bot.views.broadcast import progress_view
from bot.views.screen import Screen, answer_screen, show_screen


class ScheduledEdit(StatesGroup):
    when = State()
    content = State()


async def list_screen(pool: asyncpg.Pool, settings: Settings, series: SeriesService) -> Screen:
    """Recurring series first, each with its next occurrences; then one-off broadcasts."""
    titles = await streams.titles(pool)
    items = [(b, audience_title(b.audience, titles)) for b in await db.scheduled(pool)]
    labels = [(b.id, f"{when(b.scheduled_at, settings.tz)} · {title}") for b, title in items
              if b.status == BroadcastStatus.SCHEDULED]  # one awaiting approval: not yet
    repeating = [(s, audience_title(s.audience, titles), series.upcoming(s))
                 for s in await series_db.active(pool)]
    return Screen(views.scheduled_list(items, settings.tz,
                                       series_views.list_block(repeating, settings.tz)),
                  kb.scheduled_list(labels, [(s.id, series_views.list_label(s, title))
                                             for s, title, _ in repeating
                                             if s.status == "active"]))  # no card: not yet


async def show_list(message: Message, pool: asyncpg.Pool, settings: Settings,
                    series: SeriesService) -> None:
    await answer_screen(message, await list_screen(pool, settings, series))


async def open_list(callback: CallbackQuery, state: FSMContext, pool: asyncpg.Pool,
                    settings: Settings, series: SeriesService) -> None:
    await callback.answer()
    await state.clear()
    await show_screen(callback, await list_screen(pool, settings, series))


async def _scheduled(callback: CallbackQuery, pool: asyncpg.Pool, broadcast_id: int
                     ) -> db.Broadcast | None:
    """The broadcast if it is still scheduled; otherwise say what became of it."""
    broadcast = await db.get(pool, broadcast_id)
    if broadcast is None or broadcast.status != BroadcastStatus.SCHEDULED:
        await callback.answer(views.not_scheduled_now(broadcast.status if broadcast else None),
                              show_alert=True)
        return None
    return broadcast


async def card_screen(pool: asyncpg.Pool, broadcast: db.Broadcast, settings: Settings
                      ) -> Screen:
    assert broadcast.audience is not None
    size = (await audiences.count(pool, broadcast.audience)).total
    title = audience_title(broadcast.audience, await streams.titles(pool))
    return Screen(views.scheduled_card(broadcast, title, size, settings.tz),
                  kb.scheduled_card(broadcast.id))


async def open_card(callback: CallbackQuery, callback_data: ScheduledCallback,
                    state: FSMContext, pool: asyncpg.Pool, settings: Settings) -> None:
    broadcast = await _scheduled(callback, pool, callback_data.id)
    if broadcast is None:
        return
    await callback.answer()
    await state.clear()  # also the way back from a question about this broadcast
    await show_screen(callback, await card_screen(pool, broadcast, settings))


async def ask_cancel(callback: CallbackQuery, callback_data: ScheduledCallback,
                     pool: asyncpg.Pool, settings: Settings) -> None:
    broadcast = await _scheduled(callback, pool, callback_data.id)
    if broadcast is None:
        return
    await callback.answer()
    shown = await card_screen(pool, broadcast, settings)
    await show_screen(callback, Screen(shown.text, kb.scheduled_cancel(broadcast.id)).above(
        views.ask_cancel()))


async def cancel(callback: CallbackQuery, callback_data: ScheduledCallback, pool: asyncpg.Pool,
                 settings: Settings, broadcasts: BroadcastService, series: SeriesService
                 ) -> None:
    broadcast = await _scheduled(callback, pool, callback_data.id)
    if broadcast is None:
        return
    await broadcasts.transition(broadcast.id, CANCEL, callback.from_user.id)
    await callback.answer(views.cancelled())
    await show_screen(callback, await list_screen(pool, settings, series))


async def send_now(callback: CallbackQuery, callback_data: ScheduledCallback, pool: asyncpg.Pool,
                   broadcasts: BroadcastService) -> None:
    broadcast = await _scheduled(callback, pool, callback_data.id)
    if broadcast is None:
        return
    assert isinstance(callback.message, Message)
    card = (callback.message.chat.id, callback.message.message_id)  # becomes the progress
    started = await broadcasts.start_scheduled(broadcast.id, callback.from_user.id,
                                               progress_message=card)
    await callback.answer(views.send_now_note(started is not None))
    if started is not None:
        await show_screen(callback, progress_view(await progress.gather(pool, started, None)))


async def ask_time(callback: CallbackQuery, callback_data: ScheduledCallback, state: FSMContext,
                   pool: asyncpg.Pool, settings: Settings) -> None:
    await _ask(callback, state, pool, callback_data.id, ScheduledEdit.when,
               views.ask_when(settings.tz))


async def ask_content(callback: CallbackQuery, callback_data: ScheduledCallback,
                      state: FSMContext, pool: asyncpg.Pool) -> None:
    await _ask(callback, state, pool, callback_data.id, ScheduledEdit.content,
               views.ask_content())


async def _ask(callback: CallbackQuery, state: FSMContext, pool: asyncpg.Pool, broadcast_id: int,
               step: State, question: str) -> None:
    """Wait for a new time or content of a broadcast that is still scheduled."""
    broadcast = await _scheduled(callback, pool, broadcast_id)
    if broadcast is None:
        return
    await callback.answer()
    await state.set_state(step)
    await state.set_data({"broadcast_id": broadcast.id})
    await show_screen(callback, Screen(question, kb.back_to_scheduled(broadcast.id)))


async def take_when(message: Message, state: FSMContext, pool: asyncpg.Pool, settings: Settings,
                    broadcasts: BroadcastService) -> None:
    broadcast_id = (await state.get_data())["broadcast_id"]
    moment = await read_text(message, lambda text: parse_when(text, settings.tz),
                             kb.back_to_scheduled(broadcast_id))
    if moment is None:
        return
    await state.clear()
    assert message.from_user is not None
    changed = await broadcasts.reschedule(broadcast_id, moment, message.from_user.id)
    await _answer_card(message, pool, settings, broadcast_id, views.rescheduled() if changed else None)


async def take_content(message: Message, state: FSMContext, pool: asyncpg.Pool,
                       settings: Settings, broadcasts: BroadcastService) -> None:
    broadcast_id = (await state.get_data())["broadcast_id"]
    content = await read_content(message, kb.back_to_scheduled(broadcast_id))
    if content is None:
        return
    await state.clear()
    assert message.from_user is not None
    changed = await broadcasts.replace_content(broadcast_id, content, message.from_user.id)
    await _answer_card(message, pool, settings, broadcast_id,  # its buttons stay as they were
                       views.content_replaced() if changed else None)


async def _answer_card(message: Message, pool: asyncpg.Pool, settings: Settings,
                       broadcast_id: int, done: str | None) -> None:
    """The card again after a change, or why nothing changed (None: it left the schedule)."""
    broadcast = await db.get(pool, broadcast_id)
    if done is None or broadcast is None:
        await message.answer(views.not_scheduled())
        return
    await answer_screen(message, (await card_screen(pool, broadcast, settings)).under(done))


def create_router() -> Router:
    router = Router(name="scheduled")
    router.message.register(show_list, Command("scheduled"))
    router.callback_query.register(open_list, MenuCallback.filter(F.section == Section.SCHEDULED))
    router.callback_query.register(open_list, ScheduledCallback.filter(F.action == Sched.LIST))
    on = ScheduledCallback.filter
    router.callback_query.register(open_card, on(F.action == Sched.OPEN))
    router.callback_query.register(ask_cancel, on(F.action == Sched.CANCEL))
    router.callback_query.register(cancel, on(F.action == Sched.CANCEL_OK))
    router.callback_query.register(send_now, on(F.action == Sched.SEND_NOW))
    router.callback_query.register(ask_time, on(F.action == Sched.RESCHEDULE))
    router.callback_query.register(ask_content, on(F.action == Sched.EDIT))
    router.message.register(take_when, ScheduledEdit.when, F.text, TypedInput())
    router.message.register(take_content, ScheduledEdit.content, TypedInput())
    return router
