"""🏷 on the statistics' events screen: the names event codes are shown by; admins add and
rename them by typing «code = Name» lines (for the language their Telegram is in)."""

from __future__ import annotations

import re

import asyncpg
from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.db import audit, event_labels
from bot.db.event_labels import Language
from bot.db.pool import transaction
from bot.filters import TypedInput
from bot.handlers.common import read_text
from bot.i18n import i18n
from bot.keyboards import event_labels as kb
from bot.keyboards.event_labels import EventLabelAction, EventLabelCallback
from bot.views import event_labels as views
from bot.views.screen import Screen, answer_screen, show_screen

# the codes the course bot writes look like menu_opened; a few more characters are let in
CODE = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")


class EventLabelEdit(StatesGroup):
    typing = State()


def parse_names(text: str) -> list[tuple[str, str]]:
    """«code = Name» lines as (code, name) pairs; a ValueError names the first bad line."""
    pairs: dict[str, str] = {}
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines or [""]:
        code, equals, name = line.partition("=")
        code, name = code.strip(), " ".join(name.split())
        if not equals or not CODE.match(code) or not 1 <= len(name) <= 64:
            raise ValueError(views.bad_line(line))
        pairs[code] = name
    return list(pairs.items())


async def names_screen(pool: asyncpg.Pool) -> Screen:
    return Screen(views.names_list(await event_labels.all_labels(pool),
                                   await event_labels.unnamed_codes(pool)), kb.names_list())


async def show(callback: CallbackQuery, state: FSMContext, pool: asyncpg.Pool) -> None:
    await callback.answer()
    await state.clear()
    await show_screen(callback, await names_screen(pool))


async def ask(callback: CallbackQuery, state: FSMContext) -> None:
    await callback.answer()
    await state.set_state(EventLabelEdit.typing)
    await show_screen(callback, Screen(views.ask_names(), kb.cancel_typing()))


async def cancel(callback: CallbackQuery, state: FSMContext, pool: asyncpg.Pool) -> None:
    await callback.answer(views.cancelled())
    await state.clear()
    await show_screen(callback, await names_screen(pool))


async def typed(message: Message, state: FSMContext, pool: asyncpg.Pool) -> None:
    assert message.from_user is not None
    pairs = await read_text(message, parse_names, kb.cancel_typing())
    if pairs is None:
        return
    language: Language = "en" if i18n.current_locale == "en" else "ru"
    async with transaction(pool) as conn:
        for code, name in pairs:
            before = await event_labels.set_label(conn, code, language, name)
            if before != name:
                await audit.record_action(conn, message.from_user.id, "event_label.set", code,
                                          {"from": before, "to": name, "language": language})
    await state.clear()
    await message.answer(views.saved(pairs))
    await answer_screen(message, await names_screen(pool))


def create_router() -> Router:
    """The names as they are."""
    router = Router(name="event_labels")
    router.callback_query.register(show, EventLabelCallback.filter(
        F.action == EventLabelAction.LIST))
    return router


def create_edit_router() -> Router:
    """Adding and renaming them."""
    router = Router(name="event_labels_edit")
    on = EventLabelCallback.filter
    router.callback_query.register(ask, on(F.action == EventLabelAction.EDIT))
    router.callback_query.register(cancel, on(F.action == EventLabelAction.CANCEL))
    router.message.register(typed, EventLabelEdit.typing, F.text, TypedInput())
    return router
