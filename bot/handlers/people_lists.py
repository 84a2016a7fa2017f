"""Lists of people (everyone, leads, pending bookings, a stream's members; free-lesson
registrants by lesson type and lesson dates; bookings by stream and status): paged, counted,
each name opening the card, and the whole list as a CSV document."""

from __future__ import annotations

import re
from datetime import datetime

import asyncpg
from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.config import Settings
from bot.db import audiences, streams
from bot.db.audiences import Audience
from bot.filters import TypedInput
from bot.handlers.common import read_text
from bot.keyboards import people_lists as kb
from bot.keyboards.people_lists import (
    BOOKING_FILTERS, BookingsCallback, RegistrantsCallback,
)
from bot.keyboards.menu import pager, users_button
from bot.keyboards.people_lists import ListCallback
from bot.keyboards.streams import streams_button
from bot.keyboards.users import people
from bot.paging import clamp, read_page
from bot.text.dates import date_key, from_key, parse_date_range
from bot.text.format import csv_document
from bot.views import people_lists as texts
from bot.views import users as views
from bot.views.menu import stale_button_text
from bot.views.screen import Screen, answer_screen, show_screen

PAGE = 10


class RegistrantDates(StatesGroup):
    range = State()  # a typed range of lesson dates for the registrants' list


def _audience(data: ListCallback) -> Audience | None:
    if data.kind == "stream":
        return Audience("stream", stream=data.stream) if data.stream else None
    return Audience(data.kind) if data.kind in texts.TITLES else None


async def _list(callback: CallbackQuery, data: ListCallback, pool: asyncpg.Pool
                ) -> tuple[Audience, str] | None:
    """The list a button is for and its title (None: it is not there, and the admin is told)."""
    audience = _audience(data)
    if audience is None:
        await callback.answer(stale_button_text(), show_alert=True)
        return None
    if data.kind != "stream":
        return audience, str(texts.TITLES[data.kind])
    if not await streams.exists(pool, data.stream):
        await callback.answer(texts.no_stream(data.stream), show_alert=True)
        return None
    return audience, texts.stream_title((await streams.titles(pool)).get(data.stream,
                                                                          data.stream))


async def show_list(callback: CallbackQuery, callback_data: ListCallback,
                    pool: asyncpg.Pool) -> None:
    found_list = await _list(callback, callback_data, pool)
    if found_list is None:
        return
    audience, title = found_list
    await callback.answer()
    total = (await audiences.count(pool, audience)).total
    at = clamp(callback_data.page, total, PAGE)
    page, pages = at.number, at.count
    rows = await audiences.page(pool, audience, PAGE, at.offset)
    found = [(r["user_id"], views.label(r["user_id"], r["first_name"], r["username"]))
              for r in rows]
    # a stream's members were opened from the stream: back goes to the streams
    back = streams_button() if callback_data.kind == "stream" else users_button()
    await show_screen(callback, Screen(texts.list_head(title, total, page, pages), people(
        found, pager(page, pages, ListCallback, kind=callback_data.kind,
                         stream=callback_data.stream),
        kb.list_footer(callback_data.kind, callback_data.stream, back) if total else [[back]])))


async def list_csv(callback: CallbackQuery, callback_data: ListCallback,
                   pool: asyncpg.Pool) -> None:
    found_list = await _list(callback, callback_data, pool)
    if found_list is not None:
        await send_csv(callback, pool, found_list[0], callback_data)


async def send_csv(callback: CallbackQuery, pool: asyncpg.Pool, audience: Audience,
                   data: ListCallback) -> None:
    await callback.answer(texts.preparing_file())
    rows = await audiences.page(pool, audience, None)
    document = csv_document(["user_id", "username", "first_name", "email"], (
        (r["user_id"], r["username"] or "", r["first_name"] or "", r["email"] or "")
        for r in rows))
    stream = re.sub(r"[^A-Za-z0-9_-]", "", data.stream) if data.kind == "stream" else ""
    name = f"{data.kind}{'_' + stream if stream else ''}.csv"
    if isinstance(callback.message, Message):
        await callback.message.answer_document(
            BufferedInputFile(document, name),
            caption=texts.csv_caption(name, len(rows)))


# ---- free-lesson registrants: by lesson type and a range of lesson dates ---------------

async def registrants_screen(pool: asyncpg.Pool, data: RegistrantsCallback) -> Screen | None:
    """The list as the button asks for it (None: dates no button of the bot carries)."""
    since, until = from_key(data.since), from_key(data.until)
    if (data.since and since is None) or (data.until and until is None):
        return None
    rows, total, at = await read_page(
        lambda offset, limit: audiences.registrants(pool, data.lesson or None, since, until,
                                                    offset, limit), data.page, PAGE)
    shown = data.model_copy(update={"page": at.number, "csv": False, "ask_dates": False})
    dates = texts.dates_text(since, until)
    found = [(r["user_id"], views.label(r["user_id"], r["first_name"], r["username"]))
             for r in rows]
    lessons = [lesson for lesson, _count in await audiences.lesson_types(pool)]
    extra = kb.registrant_filters(shown, lessons, dates) + (
        kb.registrants_footer(shown) if total else [[users_button()]])
    return Screen(texts.registrants(list(rows), total, at.number, at.count, data.lesson, dates,
                                    at.offset),
                  people(found, pager(at.number, at.count, RegistrantsCallback, **shown.model_dump(
                      exclude={"page"})), extra))


async def show_registrants(callback: CallbackQuery, callback_data: RegistrantsCallback,
                           state: FSMContext, pool: asyncpg.Pool) -> None:
    data = callback_data
    if data.ask_dates:
        await callback.answer()
        await state.set_state(RegistrantDates.range)
        await state.set_data({"list": data.model_dump(mode="json")})
        await show_screen(callback, Screen(texts.ask_dates(), kb.dates_prompt(data)))
        return
    if await state.get_state() == RegistrantDates.range:
        await state.clear()  # back from the question about dates
    screen = await registrants_screen(pool, data)
    if screen is None:
        await callback.answer(stale_button_text(), show_alert=True)
        return
    await callback.answer()
    await show_screen(callback, screen)


async def typed_dates(message: Message, state: FSMContext, pool: asyncpg.Pool,
                      settings: Settings) -> None:
    data = RegistrantsCallback.model_validate((await state.get_data()).get("list") or {})
    today = datetime.now(settings.tz).date()
    dates = await read_text(message, lambda text: parse_date_range(text, today),
                            kb.dates_prompt(data))
    if dates is None:
        return  # told why; still waiting for dates
    await state.clear()
    chosen = data.model_copy(update={"since": date_key(dates[0]), "until": date_key(dates[1]),
                                     "page": 0})
    screen = await registrants_screen(pool, chosen)
    assert screen is not None  # the dates were just read
    await answer_screen(message, screen)


async def send_registrants_csv(callback: CallbackQuery, callback_data: RegistrantsCallback,
                               pool: asyncpg.Pool) -> None:
    data = callback_data
    since, until = from_key(data.since), from_key(data.until)
    await callback.answer(texts.preparing_file())
    rows, _total = await audiences.registrants(pool, data.lesson or None, since, until, 0, None)
    document = csv_document(
        ["user_id", "username", "first_name", "email", "lesson_type", "lesson_date",
         "registered_at"],
        ((r["user_id"], r["username"] or "", r["first_name"] or "", r["email"] or "",
          r["lesson_type"] or "", r["lesson_date"].isoformat() if r["lesson_date"] else "",
          r["registered_at"].isoformat() if r["registered_at"] else "") for r in rows))
    if isinstance(callback.message, Message):
        await callback.message.answer_document(
            BufferedInputFile(document, "free_lesson.csv"),
            caption=texts.csv_caption("free_lesson.csv", len(rows)))


# ---- bookings: by stream and status ----------------------------------------------------

async def show_bookings(callback: CallbackQuery, callback_data: BookingsCallback,
                        pool: asyncpg.Pool, settings: Settings) -> None:
    data = callback_data
    status = BOOKING_FILTERS[data.status]
    await callback.answer()
    rows, total, at = await read_page(
        lambda offset, limit: audiences.bookings(pool, data.stream or None,
                                                 int(status) if status is not None else None,
                                                 offset, limit), data.page, PAGE)
    titles = await streams.titles(pool)
    active = [(s.code, s.title) for s in await streams.list_active_streams(pool)]
    if data.stream and data.stream not in dict(active):  # an archived stream's bookings
        active.append((data.stream, titles.get(data.stream, data.stream)))
    found = [(r["user_id"], f"#{r['id']} · " + views.label(r["user_id"], r["first_name"],
                                                           r["username"]))
             for r in rows if r["user_id"] is not None]
    shown = data.model_copy(update={"page": at.number})
    await show_screen(callback, Screen(
        texts.bookings(list(rows), total, at.number, at.count, data.stream or None,
                       status, titles, settings.tz, at.offset),
        people(found, pager(at.number, at.count, BookingsCallback, stream=shown.stream,
                            status=shown.status),
               kb.booking_filters(shown, active) + [[users_button()]])))


def create_router() -> Router:
    router = Router(name="people_lists")
    router.callback_query.register(show_list, ListCallback.filter(~F.csv))
    router.callback_query.register(show_registrants, RegistrantsCallback.filter(~F.csv))
    router.callback_query.register(show_bookings, BookingsCallback.filter())
    router.message.register(typed_dates, RegistrantDates.range, F.text, TypedInput())
    return router


def create_export_router() -> Router:
    """The lists as CSV documents (personal data)."""
    router = Router(name="people_lists_export")
    router.callback_query.register(list_csv, ListCallback.filter(F.csv))
    router.callback_query.register(send_registrants_csv, RegistrantsCallback.filter(F.csv))
    return router
