"""/find and the menu's 👥: search as you type, the user card, its bookings and events."""

from __future__ import annotations

from html import escape

import asyncpg
from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.config import Settings
from bot.db import event_labels, streams, unsubscribes, users
from bot.enums import BookingStatus
from bot.filters import TypedInput
from bot.keyboards import users as kb
from bot.keyboards.menu import MenuCallback, Section, pager
from bot.keyboards.users import CardCallback, CardView, SearchCallback
from bot.paging import clamp
from bot.views import unsubscribe as unsubscribe_views
from bot.views import users as views
from bot.views.screen import Screen, answer_screen, show_screen

PAGE = 8
EVENTS_PAGE = 15


class UserSearch(StatesGroup):
    query = State()


async def open_section(callback: CallbackQuery, state: FSMContext) -> None:
    await callback.answer()
    await state.set_state(UserSearch.query)
    await show_screen(callback, Screen(views.ask_search(), kb.section()))


async def find_command(message: Message, command: CommandObject, state: FSMContext,
                       pool: asyncpg.Pool, settings: Settings) -> None:
    await state.set_state(UserSearch.query)
    if not command.args:
        await message.answer(views.ask_search(), reply_markup=kb.section())
        return
    await run_search(message, state, pool, settings, command.args)


async def typed(message: Message, state: FSMContext, pool: asyncpg.Pool,
                settings: Settings) -> None:
    await run_search(message, state, pool, settings, message.text or "")


async def run_search(message: Message, state: FSMContext, pool: asyncpg.Pool,
                     settings: Settings, raw: str) -> None:
    try:
        query = views.check_query(raw)
    except ValueError as exc:
        await message.answer(escape(str(exc)))
        return
    await state.update_data(query=query)
    await answer_screen(message, await results_screen(pool, settings, query, 0))


async def results_screen(pool: asyncpg.Pool, settings: Settings, query: str, page: int
                         ) -> Screen:
    found, total = await users.search(pool, query, PAGE, page * PAGE)
    # pages go as far as the best CANDIDATES; a later page asked for shows the last one
    at = clamp(page, min(total, users.CANDIDATES), PAGE)
    if at.number != page:
        found, total = await users.search(pool, query, PAGE, at.offset)
    single_exact = found and found[0].exact and not (len(found) > 1 and found[1].exact)
    if total == 1 or (at.number == 0 and single_exact):
        return await card_screen(pool, settings, found[0].user_id)
    people = [(f.user_id, views.label(f.user_id, f.first_name, f.username)) for f in found]
    return Screen(views.results(query, found, total, at.number, at.count),
                  kb.people(people, pager(at.number, at.count, SearchCallback)))


async def search_page(callback: CallbackQuery, callback_data: SearchCallback, state: FSMContext,
                      pool: asyncpg.Pool, settings: Settings) -> None:
    query = (await state.get_data()).get("query")
    if not query:
        await callback.answer(views.search_expired(), show_alert=True)
        return
    await callback.answer()
    await show_screen(callback, await results_screen(pool, settings, query, callback_data.page))


async def card_screen(pool: asyncpg.Pool, settings: Settings, user_id: int) -> Screen:
    card = await users.card(pool, user_id)
    if card is None:
        return Screen(views.no_such_user(user_id), kb.section())
    titles = await streams.titles(pool)
    # a booking in a status the bot knows can be changed (a cancelled one back to pending)
    changeable = any(BookingStatus.of(b.confirmed) is not None for b in card.bookings)
    text = views.card(card, titles, settings.tz)
    unsubscribed = await unsubscribes.since(pool, user_id)
    if unsubscribed is not None:
        text += "\n" + unsubscribe_views.card_line(unsubscribed, settings.tz)
    return Screen(text, kb.card(user_id, card.current_booking is not None, changeable,
                                card.events > 0, unsubscribed=unsubscribed is not None))


async def open_card(callback: CallbackQuery, callback_data: CardCallback, pool: asyncpg.Pool,
                    settings: Settings) -> None:
    await callback.answer()
    user_id = callback_data.user_id
    if callback_data.view is CardView.MAIN:
        await show_screen(callback, await card_screen(pool, settings, user_id))
        return
    card = await users.card(pool, user_id)
    if card is None:
        await show_screen(callback, Screen(views.user_gone(user_id), kb.section()))
    elif callback_data.view is CardView.BOOKINGS:
        titles = await streams.titles(pool)
        labels = [(b.id, BookingStatus.of(b.confirmed), f"#{b.id}")
                  for b in card.bookings[:views.BOOKINGS_SHOWN]]
        await show_screen(callback, Screen(views.bookings(card, titles, settings.tz),
                                           kb.booking_actions(user_id, labels)))
    else:
        at = clamp(callback_data.page, card.events, EVENTS_PAGE)
        page, pages = at.number, at.count
        rows = await users.events_page(pool, user_id, EVENTS_PAGE, at.offset)
        await show_screen(callback, Screen(
            views.events(card, rows, page, pages, settings.tz,
                         await event_labels.all_labels(pool)),
            kb.back_to_card(user_id, pager(page, pages, CardCallback, user_id=user_id,
                                              view=CardView.EVENTS))))


async def card_link(message: Message, command: CommandObject, state: FSMContext,
                    pool: asyncpg.Pool, settings: Settings) -> None:
    """/start u<id>: a name linked to its card (on the Recent screen) was tapped."""
    await state.set_state(UserSearch.query)
    await answer_screen(message, await card_screen(pool, settings,
                                                   int((command.args or "u0")[1:])))


def create_router() -> Router:
    router = Router(name="users")
    router.message.register(card_link, CommandStart(deep_link=True,
                                                    magic=F.args.regexp(r"^u\d{1,18}$")))
    router.message.register(find_command, Command("find"))
    router.callback_query.register(open_section, MenuCallback.filter(F.section == Section.USERS))
    router.callback_query.register(search_page, SearchCallback.filter())
    router.callback_query.register(open_card, CardCallback.filter())
    router.message.register(typed, UserSearch.query, F.text, TypedInput())
    # text outside any flow is a search too (the admin filter sits on the parent router:
    # strangers never get here); a command the bot does not know is not a name
    router.message.register(typed, StateFilter(None), F.text, ~F.text.startswith("/"))
    return router
