"""/streams and the menu's 📚: streams with their members; add, rename, archive (archived
streams leave every picker, their bookings stay)."""

from __future__ import annotations

import re

import asyncpg
from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.db import audit, streams
from bot.db.streams import StreamSummary
from bot.filters import TypedInput
from bot.handlers.common import read_text
from bot.keyboards import streams as kb
from bot.keyboards.menu import MenuCallback, Section
from bot.keyboards.streams import StreamAction, StreamCallback
from bot.views import streams as views
from bot.views.screen import Screen, answer_screen, show_screen

CODE = re.compile(r"^[a-z0-9_]{1,32}$")


class StreamEdit(StatesGroup):
    code = State()
    title = State()


def parse_code(text: str) -> str:
    code = text.strip()
    if not CODE.match(code):
        raise ValueError(views.bad_code())
    return code


def parse_title(text: str) -> str:
    title = " ".join(text.split())
    if not 1 <= len(title) <= 64:
        raise ValueError(views.bad_title(len(title)))
    return title


async def list_screen(pool: asyncpg.Pool) -> Screen:
    summary = await streams.list_active_streams(pool)
    return Screen(views.streams_text(summary),
                  kb.stream_list([(s.code, f"{s.title} · {s.members}") for s in summary]))


async def command(message: Message, state: FSMContext, pool: asyncpg.Pool) -> None:
    await state.clear()
    await answer_screen(message, await list_screen(pool))


async def from_menu(callback: CallbackQuery, state: FSMContext, pool: asyncpg.Pool) -> None:
    screen = await list_screen(pool)
    await callback.answer()
    await state.clear()
    await show_screen(callback, screen)


async def ask_code(callback: CallbackQuery, state: FSMContext) -> None:
    await callback.answer()
    await state.set_state(StreamEdit.code)
    await show_screen(callback, Screen(views.ask_code(), kb.back_to_streams()))


async def _active(callback: CallbackQuery, pool: asyncpg.Pool, code: str
                  ) -> StreamSummary | None:
    """The active stream a button is for (None: there is none such, and the admin is told)."""
    stream = next((s for s in await streams.list_active_streams(pool) if s.code == code), None)
    if stream is None:
        await callback.answer(views.no_active_stream(), show_alert=True)
    return stream


async def open_stream(callback: CallbackQuery, callback_data: StreamCallback,
                      pool: asyncpg.Pool) -> None:
    stream = await _active(callback, pool, callback_data.code)
    if stream is None:
        return
    await callback.answer()
    await show_screen(callback, Screen(views.stream_card(stream), kb.stream_card(stream.code)))


async def ask_new_title(callback: CallbackQuery, callback_data: StreamCallback,
                        state: FSMContext, pool: asyncpg.Pool) -> None:
    stream = await _active(callback, pool, callback_data.code)
    if stream is None:
        return
    await callback.answer()
    await state.set_state(StreamEdit.title)
    await state.update_data(code=stream.code)
    await show_screen(callback, Screen(views.ask_new_title(stream.title), kb.back_to_streams()))


async def ask_archive(callback: CallbackQuery, callback_data: StreamCallback,
                      pool: asyncpg.Pool) -> None:
    stream = await _active(callback, pool, callback_data.code)
    if stream is None:
        return
    await callback.answer()
    await show_screen(callback, Screen(views.ask_archive(stream), kb.confirm_archive(stream.code)))


async def archive(callback: CallbackQuery, callback_data: StreamCallback,
                  pool: asyncpg.Pool) -> None:
    stream = await _active(callback, pool, callback_data.code)
    if stream is None:
        return
    await callback.answer()
    await audit.recorded(pool, callback.from_user.id, "stream.archive", stream.code, None,
                         lambda conn: streams.archive(conn, stream.code))
    await show_screen(callback, await list_screen(pool))


async def typed_code(message: Message, state: FSMContext, pool: asyncpg.Pool) -> None:
    code = await read_text(message, parse_code, kb.back_to_streams())
    if code is None:
        return
    if await streams.get(pool, code) is not None:
        await message.answer(views.code_taken(code), reply_markup=kb.back_to_streams())
        return
    await state.update_data(code=code, new=True)
    await state.set_state(StreamEdit.title)
    await message.answer(views.ask_title(), reply_markup=kb.back_to_streams())


async def typed_title(message: Message, state: FSMContext, pool: asyncpg.Pool) -> None:
    assert message.from_user is not None
    title = await read_text(message, parse_title, kb.back_to_streams())
    if title is None:
        return
    data = await state.get_data()
    code = data.get("code", "")
    saved = await streams.save_title(pool, message.from_user.id, code, title,
                                     new=bool(data.get("new")))
    if saved.taken_by is not None:
        await message.answer(views.title_taken(title, saved.taken_by),
                             reply_markup=kb.back_to_streams())
        return
    await state.clear()
    await message.answer(views.saved(saved.done))
    await answer_screen(message, await list_screen(pool))


def create_router() -> Router:
    router = Router(name="streams")
    router.message.register(command, Command("streams"))
    router.callback_query.register(from_menu, MenuCallback.filter(F.section == Section.STREAMS))
    on = StreamCallback.filter
    router.callback_query.register(from_menu, on(F.action == StreamAction.LIST))
    router.callback_query.register(ask_code, on(F.action == StreamAction.ADD))
    router.callback_query.register(open_stream, on(F.action == StreamAction.OPEN))
    router.callback_query.register(ask_new_title, on(F.action == StreamAction.RENAME))
    router.callback_query.register(ask_archive, on(F.action == StreamAction.ARCHIVE))
    router.callback_query.register(archive, on(F.action == StreamAction.ARCHIVE_OK))
    router.message.register(typed_code, StreamEdit.code, F.text, TypedInput())
    router.message.register(typed_title, StreamEdit.title, F.text, TypedInput())
    return router
