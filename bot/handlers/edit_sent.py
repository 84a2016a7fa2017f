"""Fixing a sent broadcast from its history card: the new text (caption) and/or buttons, the
message as recipients will see it and a question, then the delivery engine edits every copy
(bot/services/edits.py, bot/services/delivery/editor.py)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import asyncpg
from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.config import Settings
from bot.db import broadcasts as db
from bot.enums import EditRefusal
from bot.filters import TypedInput
from bot.handlers.common import read_text, send_content
from bot.keyboards import edit_sent as kb
from bot.keyboards.compose import url_buttons
from bot.keyboards.edit_sent import Fix, FixCallback
from bot.keyboards.history import Hist, HistoryCallback
from bot.services import edits
from bot.services.broadcasts import BroadcastService
from bot.services.links import unsubscribe_preview_url
from bot.text.composer import parse_buttons
from bot.views import edit_sent as views
from bot.views.broadcast import broadcast_gone
from bot.views.compose import content_refused, preview_refused, text_needed
from bot.views.menu import stale_button_text
from bot.views.screen import Screen, answer_screen, show_screen


class FixSent(StatesGroup):
    text = State()
    buttons = State()
    confirm = State()


async def _fix(state: FSMContext) -> dict[str, Any]:
    """What the admin gave so far: the broadcast's id, the new `html`, the new `buttons`."""
    return dict((await state.get_data()).get("fix") or {})


async def _save(state: FSMContext, fix: dict[str, Any], step: State) -> None:
    await state.set_data({"fix": fix})
    await state.set_state(step)


async def start(callback: CallbackQuery, callback_data: HistoryCallback, state: FSMContext,
                pool: asyncpg.Pool) -> None:
    broadcast = await _fixable(callback, pool, callback_data.id)
    if broadcast is None:
        return
    await callback.answer()
    await _save(state, {"id": broadcast.id}, FixSent.text)
    await show_screen(callback, Screen(views.ask_text(broadcast), kb.text_step(broadcast.id)))


async def ask_text(callback: CallbackQuery, state: FSMContext, pool: asyncpg.Pool) -> None:
    pressed = await _pressed(callback, state, pool, FixSent.text)
    if pressed is not None:
        _, broadcast = pressed
        await show_screen(callback, Screen(views.ask_text(broadcast), kb.text_step(broadcast.id)))


async def take_text(message: Message, state: FSMContext, pool: asyncpg.Pool,
                    settings: Settings) -> None:
    typed = await _typed(message, state, pool)
    if typed is None:
        return
    fix, broadcast = typed
    try:
        fix["html"] = edits.new_text(broadcast, message)
    except ValueError as exc:
        await message.answer(content_refused(str(exc)), reply_markup=kb.text_step(broadcast.id))
        return
    await _ask(message, state, fix, broadcast, settings, pool)


async def ask_buttons(callback: CallbackQuery, state: FSMContext, pool: asyncpg.Pool,
                      settings: Settings) -> None:
    pressed = await _pressed(callback, state, pool, FixSent.buttons)
    if pressed is not None:
        fix, broadcast = pressed
        rows = fix.get("buttons", broadcast.content.buttons_json())
        await show_screen(callback, Screen(views.ask_buttons(broadcast, rows, settings.tz),
                                           kb.buttons_step(broadcast.id, "html" in fix)))


async def take_buttons(message: Message, state: FSMContext, pool: asyncpg.Pool,
                       settings: Settings, broadcasts: BroadcastService) -> None:
    typed = await _typed(message, state, pool)
    if typed is None:
        return
    fix, broadcast = typed
    rows = await read_text(message, lambda text: parse_buttons(text, settings.tz,
                                                               broadcasts.engine.clock()),
                           kb.buttons_step(broadcast.id, "html" in fix))
    if rows is None:
        return
    fix["buttons"] = rows
    await _ask(message, state, fix, broadcast, settings, pool)


async def keep_buttons(callback: CallbackQuery, state: FSMContext, pool: asyncpg.Pool,
                       settings: Settings) -> None:
    if "html" not in await _fix(state):  # only offered once a new text is given
        await callback.answer(views.text_first(), show_alert=True)
        return
    pressed = await _pressed(callback, state, pool, None)
    if pressed is not None and isinstance(callback.message, Message):
        fix, broadcast = pressed
        fix.pop("buttons", None)
        await _ask(callback.message, state, fix, broadcast, settings, pool)


async def _ask(message: Message, state: FSMContext, fix: dict[str, Any],
               broadcast: db.Broadcast, settings: Settings, pool: asyncpg.Pool) -> None:
    """The message as it will look (filled in for this admin), then the question."""
    content = broadcast.content
    rows = fix.get("buttons", content.buttons_json())
    unsubscribe = unsubscribe_preview_url(broadcast.links_base) \
        if content.unsubscribe and broadcast.links_base else None
    try:
        assert message.bot is not None
        await send_content(message.bot, message.chat.id,
                           replace(content, html=fix.get("html", content.html)),
                           url_buttons(rows, unsubscribe), message.chat.first_name,
                           message.chat.username)
    except TelegramBadRequest as exc:
        await _save(state, fix, FixSent.text)
        await message.answer(preview_refused(exc.message), reply_markup=kb.text_step(broadcast.id))
        return
    await _save(state, fix, FixSent.confirm)
    held, too_old = await edits.copies(pool, broadcast.id)
    await answer_screen(message, Screen(views.confirm(broadcast, "html" in fix, "buttons" in fix,
                                                      held, too_old), kb.confirm(broadcast.id)))


async def go(callback: CallbackQuery, callback_data: FixCallback, state: FSMContext,
             pool: asyncpg.Pool, settings: Settings) -> None:
    fix = await _fix(state)
    if callback_data.id != fix.get("id"):  # a button of another fix, left from before
        await callback.answer(stale_button_text(), show_alert=True)
        return
    if not isinstance(callback.message, Message):
        return
    result = await edits.request_edit(
        pool, fix.get("id", 0), callback.from_user.id, html=fix.get("html"),
        buttons=fix.get("buttons"), links_base=settings.links_base,
        progress=(callback.message.chat.id, callback.message.message_id))
    if isinstance(result, EditRefusal):
        await callback.answer(views.refusal(result), show_alert=True)
        return
    await callback.answer()
    await state.clear()
    broadcast = await db.get(pool, result.broadcast_id)
    assert broadcast is not None
    await show_screen(callback, Screen(views.started(broadcast, result.total)))


async def _fixable(callback: CallbackQuery, pool: asyncpg.Pool, broadcast_id: int
                   ) -> db.Broadcast | None:
    """The broadcast, if it can be fixed now; else the admin is told why and gets None."""
    broadcast = await db.get(pool, broadcast_id)
    why = None if broadcast is None else await edits.why_not(pool, broadcast)
    if broadcast is None or why is not None:
        await callback.answer(views.refusal(why) if why else broadcast_gone(), show_alert=True)
        return None
    return broadcast


async def _pressed(callback: CallbackQuery, state: FSMContext, pool: asyncpg.Pool,
                   step: State | None) -> tuple[dict[str, Any], db.Broadcast] | None:
    """A button of the steps: what was given so far and the broadcast, if it can still be
    fixed (then the press is answered and the admin is at `step`)."""
    fix = await _fix(state)
    broadcast = await _fixable(callback, pool, fix.get("id", 0))
    if broadcast is None:
        return None
    await callback.answer()
    if step is not None:
        await state.set_state(step)
    return fix, broadcast


async def _typed(message: Message, state: FSMContext, pool: asyncpg.Pool
                 ) -> tuple[dict[str, Any], db.Broadcast] | None:
    """What was given so far and the broadcast, for what the admin typed (None: it is gone)."""
    fix = await _fix(state)
    broadcast = await db.get(pool, fix.get("id", 0))
    if broadcast is None:
        await message.answer(broadcast_gone())
        return None
    return fix, broadcast


async def not_text(message: Message, state: FSMContext) -> None:
    fix = await _fix(state)
    await message.answer(text_needed(), reply_markup=kb.buttons_step(fix.get("id", 0),
                                                                     "html" in fix))


async def use_buttons(message: Message) -> None:
    await message.answer(views.use_buttons())


async def stale(callback: CallbackQuery) -> None:
    """A fix's button after the fix was made, cancelled or lost: here rather than in the
    fallback, so the role gate of this router answers a member who may not fix anything."""
    await callback.answer(stale_button_text(), show_alert=True)


def create_router() -> Router:
    router = Router(name="edit_sent")
    router.callback_query.register(start, HistoryCallback.filter(F.action == Hist.EDIT))
    on = FixCallback.filter
    fixing = StateFilter(FixSent)
    router.callback_query.register(ask_text, on(F.action == Fix.TEXT), fixing)
    router.callback_query.register(ask_buttons, on(F.action == Fix.BUTTONS), fixing)
    router.callback_query.register(keep_buttons, on(F.action == Fix.KEEP), fixing)
    router.callback_query.register(go, on(F.action == Fix.GO), StateFilter(FixSent.confirm))
    router.callback_query.register(stale, on())
    router.message.register(take_text, FixSent.text, TypedInput())
    router.message.register(take_buttons, FixSent.buttons, F.text, TypedInput())
    router.message.register(not_text, FixSent.buttons, TypedInput())
    router.message.register(use_buttons, FixSent.confirm, TypedInput())
    return router
