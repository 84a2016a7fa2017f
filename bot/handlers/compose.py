"""Composing a broadcast: audience, content, URL buttons, then the preview and its summary.
What the admin chose lives in the FSM data (in the database), so a restart loses nothing."""

from __future__ import annotations

from html import escape

import asyncpg
from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.config import Settings
from bot.db import audiences, streams
from bot.db.audiences import Audience
from bot.handlers.common import read_content, read_text, show_screen
from bot.i18n import _
from bot.keyboards import compose as kb
from bot.keyboards.compose import ComposeCallback, Step
from bot.keyboards.menu import MenuCallback, Section
from bot.services.composer import Draft, check_label, check_url, estimate, parse_user_list
from bot.services.delivery.render import personalise
from bot.views import compose as texts
from bot.views.broadcast import audience_title


class Compose(StatesGroup):
    audience = State()
    user_list = State()
    content = State()
    button_label = State()
    button_url = State()
    preview = State()
    when = State()


async def load(state: FSMContext) -> Draft:
    return Draft.load(await state.get_data())


async def save(state: FSMContext, draft: Draft, new_state: State | None = None) -> None:
    await state.set_data(draft.dump())
    if new_state is not None:
        await state.set_state(new_state)


# ---- audience ------------------------------------------------------------------------

async def picker_markup(pool: asyncpg.Pool):  # type: ignore[no-untyped-def]
    counts = await audiences.picker_counts(pool)
    return kb.audience_picker([(s.code, s.title, s.members) for s in counts.streams],
                              counts.everyone, counts.leads, counts.free_lesson, counts.pending)


async def start_compose(message: Message, state: FSMContext, pool: asyncpg.Pool) -> None:
    await save(state, Draft(), Compose.audience)
    await message.answer(texts.pick_audience(), reply_markup=await picker_markup(pool))


async def start_from_menu(callback: CallbackQuery, state: FSMContext, pool: asyncpg.Pool) -> None:
    await callback.answer()
    await save(state, Draft(), Compose.audience)
    await show_screen(callback, texts.pick_audience(), await picker_markup(pool))


async def back_to_picker(callback: CallbackQuery, state: FSMContext, pool: asyncpg.Pool) -> None:
    await callback.answer()
    await state.set_state(Compose.audience)
    await show_screen(callback, texts.pick_audience(), await picker_markup(pool))


async def open_lessons(callback: CallbackQuery, pool: asyncpg.Pool) -> None:
    await callback.answer()
    total = (await audiences.count(pool, Audience("free_lesson")))[0]
    await show_screen(callback, _("<b>Записавшиеся на бесплатный урок</b>\nКакой урок?"),
                      kb.lesson_picker(await audiences.lesson_types(pool), total))


async def ask_list(callback: CallbackQuery, state: FSMContext) -> None:
    await callback.answer()
    await state.set_state(Compose.user_list)
    await show_screen(callback, texts.paste_list(), kb.back_to_picker())


async def pick_audience(callback: CallbackQuery, callback_data: ComposeCallback,
                        state: FSMContext, pool: asyncpg.Pool) -> None:
    kind, arg = callback_data.kind, callback_data.arg or None
    audience = Audience(kind, stream=arg if kind == "stream" else None,
                        lesson_type=arg if kind == "free_lesson" else None)
    size, blocked = await audiences.count(pool, audience)
    if size == 0:
        await callback.answer(_("В этой аудитории пока никого нет."), show_alert=True)
        return
    await callback.answer()
    draft = await load(state)
    draft.audience = audience.to_json()
    await save(state, draft, Compose.content)
    title = audience_title(audience, await streams.titles(pool))
    await show_screen(callback, texts.ask_content(title, size, blocked), kb.back_to_picker())


async def take_list(message: Message, state: FSMContext, pool: asyncpg.Pool) -> None:
    parsed = await parse_user_list(pool, message.text or "")
    missing = ", ".join(escape(t) for t in parsed.unknown[:50])
    if len(parsed.unknown) > 50:
        missing += _(" и ещё {count}").format(count=len(parsed.unknown) - 50)
    if not parsed.user_ids:
        text = (_("Никого не нашёл: {missing}.").format(missing=missing) if missing
                else _("Никого не нашёл."))
        await message.answer(text + " " + _("Пришлите id или @username ещё раз."),
                             reply_markup=kb.back_to_picker())
        return
    draft = await load(state)
    audience = Audience("users", user_ids=tuple(parsed.user_ids))
    draft.audience = audience.to_json()
    await save(state, draft, Compose.content)
    size, blocked = await audiences.count(pool, audience)
    found = _("Нашёл {count}.").format(count=len(parsed.user_ids))
    if missing:
        found += " " + _("Не нашёл: {missing}.").format(missing=missing)
    await message.answer(f"{found}\n\n" + texts.ask_content(_("список"), size, blocked),
                         reply_markup=kb.back_to_picker())


# ---- content and buttons ---------------------------------------------------------------

async def take_content(message: Message, state: FSMContext, pool: asyncpg.Pool,
                       settings: Settings) -> None:
    content = await read_content(message)
    if content is None:
        return
    draft = await load(state)
    draft.set_content(content)
    await save(state, draft, Compose.preview)
    await send_preview(message, draft, pool, settings)


async def send_preview(message: Message, draft: Draft, pool: asyncpg.Pool,
                       settings: Settings) -> None:
    """The exact message a recipient gets (filled in for this admin), then the summary."""
    chat = message.chat
    content = draft.content_obj()
    html = personalise(content.html, chat.first_name, chat.username)
    markup = kb.url_buttons(draft.buttons)
    if content.kind == "text":
        await message.answer(html, reply_markup=markup)
    else:
        send = {"photo": message.answer_photo, "video": message.answer_video,
                "document": message.answer_document, "animation": message.answer_animation}
        await send[content.kind](content.source_file_id, caption=html or None, reply_markup=markup)
    text, markup = await summary_screen(draft, pool, settings)
    await message.answer(text, reply_markup=markup)


async def summary_screen(draft: Draft, pool: asyncpg.Pool, settings: Settings
                         ) -> tuple[str, InlineKeyboardMarkup]:
    audience = draft.audience_obj()
    size, blocked = await audiences.count(pool, audience)
    title = audience_title(audience, await streams.titles(pool))
    numbers = estimate(size - blocked, settings.broadcast_rate, settings.broadcast_paid_rate)
    text = texts.summary(title, size, blocked, numbers, settings.broadcast_rate,
                         settings.broadcast_paid_allowed, sum(len(r) for r in draft.buttons))
    return text, kb.preview_actions(settings.broadcast_paid_allowed)


async def edit_content(callback: CallbackQuery, state: FSMContext, pool: asyncpg.Pool) -> None:
    await callback.answer()
    draft = await load(state)
    await state.set_state(Compose.content)
    audience = draft.audience_obj()
    size, blocked = await audiences.count(pool, audience)
    title = audience_title(audience, await streams.titles(pool))
    await show_screen(callback, texts.ask_content(title, size, blocked, editing=True), None)


async def open_buttons(callback: CallbackQuery, state: FSMContext) -> None:
    await callback.answer()
    draft = await load(state)
    await show_screen(callback, texts.buttons_text(draft.buttons), kb.button_editor(bool(draft.buttons)))


async def ask_label(callback: CallbackQuery, state: FSMContext) -> None:
    await callback.answer()
    await state.set_state(Compose.button_label)
    await show_screen(callback, texts.ask_label(), None)


async def take_label(message: Message, state: FSMContext) -> None:
    label = await read_text(message, check_label)
    if label is None:
        return
    draft = await load(state)
    draft.pending_label = label
    await save(state, draft, Compose.button_url)
    await message.answer(texts.ask_url())


async def take_url(message: Message, state: FSMContext, pool: asyncpg.Pool,
                   settings: Settings) -> None:
    url = await read_text(message, check_url)
    if url is None:
        return
    draft = await load(state)
    draft.buttons.append([{"text": draft.pending_label or _("Открыть"), "url": url}])
    draft.pending_label = None
    await save(state, draft, Compose.preview)
    await send_preview(message, draft, pool, settings)


async def clear_buttons(callback: CallbackQuery, state: FSMContext, pool: asyncpg.Pool,
                        settings: Settings) -> None:
    await callback.answer(_("Кнопки убраны."))
    draft = await load(state)
    draft.buttons = []
    await save(state, draft, Compose.preview)
    if isinstance(callback.message, Message):
        await send_preview(callback.message, draft, pool, settings)


async def expect_buttons(message: Message) -> None:
    await message.answer(texts.pick_with_buttons())


async def not_text(message: Message) -> None:
    await message.answer(_("Нужен текст. Пришлите его сообщением или отмените: /cancel"))


def create_router() -> Router:
    router = Router(name="compose")
    router.message.register(start_compose, Command("broadcast"))
    router.callback_query.register(start_from_menu, MenuCallback.filter(F.section == Section.BROADCAST))
    has_draft = StateFilter(Compose)
    on = ComposeCallback.filter
    router.callback_query.register(back_to_picker, on(F.step == Step.PICKER), has_draft)
    router.callback_query.register(open_lessons, on(F.step == Step.LESSONS), has_draft)
    router.callback_query.register(ask_list, on(F.step == Step.PASTE), has_draft)
    router.callback_query.register(pick_audience, on(F.step == Step.AUDIENCE), has_draft)
    router.callback_query.register(edit_content, on(F.step == Step.EDIT), has_draft)
    router.callback_query.register(open_buttons, on(F.step == Step.BUTTONS), has_draft)
    router.callback_query.register(ask_label, on(F.step == Step.BUTTON_ADD), has_draft)
    router.callback_query.register(clear_buttons, on(F.step == Step.BUTTONS_CLEAR), has_draft)
    router.message.register(take_list, Compose.user_list, F.text)
    router.message.register(take_content, Compose.content)
    router.message.register(take_label, Compose.button_label, F.text)
    router.message.register(take_url, Compose.button_url, F.text)
    router.message.register(not_text, StateFilter(Compose.user_list, Compose.button_label,
                                                  Compose.button_url))
    router.message.register(expect_buttons, StateFilter(Compose.audience, Compose.preview))
    return router
