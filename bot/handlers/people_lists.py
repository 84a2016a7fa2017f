"""Lists of people (leads, pending bookings, free-lesson registrants, a stream's members):
paged, counted, each name opening the card, and the whole list as a CSV document."""

from __future__ import annotations

import re
import asyncpg
from aiogram import Router
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.db import audiences, streams
from bot.db.audiences import Audience
from bot.i18n import _
from bot.keyboards import people_lists as kb
from bot.keyboards.menu import pager, users_button
from bot.keyboards.people_lists import ListCallback
from bot.keyboards.streams import streams_button
from bot.keyboards.users import people
from bot.paging import clamp
from bot.text.format import csv_document
from bot.views import people_lists as texts
from bot.views import users as views
from bot.views.menu import stale_button_text
from bot.views.screen import Screen, show_screen

PAGE = 10


def _audience(data: ListCallback) -> Audience | None:
    if data.kind == "stream":
        return Audience("stream", stream=data.stream) if data.stream else None
    return Audience(data.kind) if data.kind in texts.TITLES else None


async def show_list(callback: CallbackQuery, callback_data: ListCallback,
                    pool: asyncpg.Pool) -> None:
    audience = _audience(callback_data)
    if audience is None:
        await callback.answer(stale_button_text(), show_alert=True)
        return
    if callback_data.kind == "stream":
        if not await streams.exists(pool, callback_data.stream):
            await callback.answer(texts.no_stream(callback_data.stream),
                                  show_alert=True)
            return
        title = texts.stream_title((await streams.titles(pool)).get(callback_data.stream,
                                                                     callback_data.stream))
    else:
        title = str(texts.TITLES[callback_data.kind])
    if callback_data.csv:
        await send_csv(callback, pool, audience, callback_data)
        return
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


def create_router() -> Router:
    router = Router(name="people_lists")
    router.callback_query.register(show_list, ListCallback.filter())
    return router
