"""Composing a broadcast: audience, content, URL buttons, then the preview and its summary.
What the admin chose lives in the FSM data (in the database), so a restart loses nothing."""

from __future__ import annotations


import asyncpg
from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.config import Settings
from bot.db import audiences, reachability, streams
from bot.db import users as user_db
from bot.db.audiences import Audience
from bot.filters import TypedInput
from bot.handlers.common import read_content, read_text, send_content
from bot.keyboards import compose as kb
from bot.keyboards import users as users_kb
from bot.keyboards.compose import ComposeCallback, Step
from bot.keyboards.menu import MenuCallback, Section
from bot.keyboards.users import WriteCallback
from bot.paging import clamp
from bot.services.broadcasts import BroadcastService
from bot.services.composer import Draft, parse_user_list, reach
from bot.text.format import csv_document
from bot.services.links import unsubscribe_preview_url
from bot.text.composer import check_label, estimate, parse_link
from bot.views import compose as texts
from bot.views import users as views
from bot.views.broadcast import audience_title
from bot.views.menu import stale_button_text
from bot.views.screen import Screen, answer_screen, show_screen


class Compose(StatesGroup):
    audience = State()
    user_list = State()
    content = State()
    button_label = State()
    button_url = State()
    preview = State()
    when = State()
    repeat_day = State()    # a recurring broadcast: the day of the month,
    repeat_time = State()   # the time,
    repeat_until = State()  # the last day


async def load(state: FSMContext) -> Draft:
    return Draft.load(await state.get_data())


async def save(state: FSMContext, draft: Draft, new_state: State | None = None) -> None:
    await state.set_data(draft.dump())
    if new_state is not None:
        await state.set_state(new_state)


# ---- one person (the user card's «write» button) ----------------------------------------

async def write(callback: CallbackQuery, callback_data: WriteCallback, state: FSMContext,
                pool: asyncpg.Pool, settings: Settings) -> None:
    """A broadcast to this one person: straight to the composer's content step. If the bot
    knows it can't reach them, it says so first and offers to try all the same."""
    card = await user_db.card(pool, callback_data.user_id)
    if card is None:
        await callback.answer(views.user_gone_short(), show_alert=True)
        return
    await callback.answer()
    if card.unreachable is not None:
        if not callback_data.anyway:  # say so before anything is written
            await show_screen(callback, Screen(views.unreachable_warning(card, settings.tz),
                                               users_kb.write_anyway(card.user_id)))
            return
        await reachability.mark_reachable(pool, card.user_id)  # marked again if still so
    audience = Audience("users", user_ids=(card.user_id,))
    draft = Draft()
    draft.audience = audience.to_json()
    await save(state, draft, Compose.content)
    name = views.label(card.user_id, card.first_name, card.username)
    size = await audiences.count(pool, audience)
    await show_screen(callback, Screen(texts.ask_content(name, size),
                                       kb.back_to_picker()))



# ---- audience ------------------------------------------------------------------------

async def picker_screen(pool: asyncpg.Pool) -> Screen:
    counts = await audiences.picker_counts(pool)
    return Screen(texts.pick_audience(), kb.audience_picker(
        [(s.code, s.title, s.members) for s in counts.streams],
        counts.everyone, counts.leads, counts.free_lesson, counts.pending))


async def start_compose(message: Message, state: FSMContext, pool: asyncpg.Pool) -> None:
    await save(state, Draft(), Compose.audience)
    await answer_screen(message, await picker_screen(pool))


async def start_from_menu(callback: CallbackQuery, state: FSMContext, pool: asyncpg.Pool) -> None:
    await callback.answer()
    await save(state, Draft(), Compose.audience)
    await show_screen(callback, await picker_screen(pool))


async def back_to_picker(callback: CallbackQuery, state: FSMContext, pool: asyncpg.Pool) -> None:
    await callback.answer()
    await state.set_state(Compose.audience)
    await show_screen(callback, await picker_screen(pool))


async def open_lessons(callback: CallbackQuery, pool: asyncpg.Pool) -> None:
    await callback.answer()
    total = (await audiences.count(pool, Audience("free_lesson"))).total
    await show_screen(callback, Screen(texts.pick_lesson(),
                                       kb.lesson_picker(await audiences.lesson_types(pool), total)))


async def ask_list(callback: CallbackQuery, state: FSMContext) -> None:
    await callback.answer()
    draft = await load(state)
    draft.audience = None  # the list starts empty; pastes add to it
    await save(state, draft, Compose.user_list)
    await show_screen(callback, Screen(texts.paste_list(), kb.back_to_picker()))


async def pick_audience(callback: CallbackQuery, callback_data: ComposeCallback,
                        state: FSMContext, pool: asyncpg.Pool) -> None:
    kind, arg = callback_data.kind, callback_data.arg or None
    try:
        audience = Audience(kind, stream=arg if kind == "stream" else None,
                            lesson_type=arg if kind == "free_lesson" else None)
    except ValueError:  # no kind, or a stream without its code: not a button the bot made
        await callback.answer(stale_button_text(), show_alert=True)
        return
    size = await audiences.count(pool, audience)
    if size.total == 0:
        await callback.answer(texts.audience_empty(), show_alert=True)
        return
    await callback.answer()
    draft = await load(state)
    draft.audience = audience.to_json()
    await save(state, draft, Compose.content)
    title = audience_title(audience, await streams.titles(pool))
    await show_screen(callback, Screen(texts.ask_content(title, size), kb.back_to_picker()))


async def take_list(message: Message, state: FSMContext, pool: asyncpg.Pool) -> None:
    """A pasted list adds to the people taken so far; with everything clear, on to the content.
    An @username several people had is listed back with them, and the step waits for an id."""
    parsed = await parse_user_list(pool, message.text or "")
    draft = await load(state)
    earlier = draft.audience_obj().user_ids if draft.audience else ()
    ids = tuple(dict.fromkeys([*earlier, *parsed.user_ids]))
    if ids:
        draft.audience = Audience("users", user_ids=ids).to_json()
    ambiguous = [user_id for _token, owners in parsed.ambiguous for user_id in owners]
    owners = {r["user_id"]: views.label(r["user_id"], r["first_name"], r["username"])
              for r in await audiences.page(pool, Audience("users", user_ids=tuple(ambiguous)),
                                            None)} if ambiguous else {}
    report = texts.list_report(parsed, len(ids), owners)
    if parsed.ambiguous or not ids:
        await save(state, draft)
        await message.answer(texts.list_again(report, taken=len(ids)),
                             reply_markup=kb.list_next(len(ids)))
        return
    await save(state, draft, Compose.content)
    await message.answer(f"{report}\n\n" + await _ask_content_text(pool, draft),
                         reply_markup=kb.back_to_picker())


async def list_done(callback: CallbackQuery, state: FSMContext, pool: asyncpg.Pool) -> None:
    draft = await load(state)
    if draft.audience is None:
        await callback.answer(texts.list_empty(), show_alert=True)
        return
    await callback.answer()
    await save(state, draft, Compose.content)
    await show_screen(callback, Screen(await _ask_content_text(pool, draft), kb.back_to_picker()))


async def _ask_content_text(pool: asyncpg.Pool, draft: Draft) -> str:
    """The content prompt for a pasted list."""
    return texts.ask_content(texts.list_title(), await audiences.count(pool, draft.audience_obj()))


# ---- content and buttons ---------------------------------------------------------------

async def take_content(message: Message, state: FSMContext, pool: asyncpg.Pool,
                       settings: Settings) -> None:
    draft = await load(state)
    content = await read_content(message, kb.back_to_preview() if draft.content
                                 else kb.back_to_picker())
    if content is None:
        return
    draft.set_content(content)
    await save(state, draft, Compose.preview)
    await send_preview(message, draft, pool, settings, state)


async def send_preview(message: Message, draft: Draft, pool: asyncpg.Pool,
                       settings: Settings, state: FSMContext) -> None:
    """The exact message a recipient gets (filled in for this admin), then the summary. If
    Telegram refuses the message, the admin is told why and asked for another version."""
    chat = message.chat
    markup = kb.url_buttons(draft.buttons, unsubscribe_preview_url(settings.links_base)
                            if settings.links_base and draft.unsubscribe_button(True) else None)
    try:
        assert message.bot is not None
        await send_content(message.bot, chat.id, draft.content_obj(), markup, chat.first_name,
                           chat.username)
    except TelegramBadRequest as exc:
        await state.set_state(Compose.content)
        await message.answer(texts.preview_refused(exc.message), reply_markup=kb.back_to_picker())
        return
    await answer_screen(message, await summary_screen(draft, pool, settings))


async def summary_screen(draft: Draft, pool: asyncpg.Pool, settings: Settings) -> Screen:
    audience = draft.audience_obj()
    now = await reach(pool, draft, settings.frequency_cap)
    title = audience_title(audience, await streams.titles(pool))
    numbers = estimate(now.recipients, settings.broadcast_rate, settings.broadcast_paid_rate)
    cap = None if audience.personal else settings.frequency_cap
    can_unsubscribe = settings.links_base is not None
    unsubscribe = None if audience.personal else (
        draft.unsubscribe_button(True) if can_unsubscribe else None)
    text = texts.summary(title, now.size, numbers, settings.broadcast_rate,
                         settings.broadcast_paid_allowed, sum(len(r) for r in draft.buttons),
                         draft.holdout, tracked=can_unsubscribe,
                         capped=now.capped, cap=cap, cap_off=draft.cap_off,
                         unsubscribe=False if audience.personal else unsubscribe,
                         offers=tuple(texts.offer_notes(draft.buttons, settings.tz)))
    return Screen(text, kb.preview_actions(settings.broadcast_paid_allowed, draft.holdout,
                                           cap=cap is not None, cap_off=draft.cap_off,
                                           capped=now.capped, unsubscribe=unsubscribe))


async def switch_unsubscribe(callback: CallbackQuery, state: FSMContext, pool: asyncpg.Pool,
                             settings: Settings) -> None:
    """The «Отписаться от рассылок» button on or off for this broadcast."""
    await callback.answer()
    draft = await load(state)
    draft.unsubscribe = not draft.unsubscribe_button(True)
    await save(state, draft)
    await show_screen(callback, await summary_screen(draft, pool, settings))


async def switch_cap(callback: CallbackQuery, state: FSMContext, pool: asyncpg.Pool,
                     settings: Settings) -> None:
    """The frequency cap on or off for this broadcast."""
    await callback.answer()
    draft = await load(state)
    draft.cap_off = not draft.cap_off
    await save(state, draft)
    await show_screen(callback, await summary_screen(draft, pool, settings))


CAPPED_PAGE = 20


async def show_capped(callback: CallbackQuery, callback_data: ComposeCallback,
                      state: FSMContext, pool: asyncpg.Pool, settings: Settings) -> None:
    """Who the frequency cap skips, a page at a time, each with how many broadcasts they got."""
    await callback.answer()
    draft = await load(state)
    audience, cap = draft.audience_obj(), settings.frequency_cap
    total = await audiences.capped_count(pool, audience, cap)
    at = clamp(int(callback_data.arg) if callback_data.arg.isdigit() else 0, total, CAPPED_PAGE)
    rows = await audiences.capped_page(pool, audience, cap, CAPPED_PAGE, at.offset)
    shown = [(views.label(r["user_id"], r["first_name"], r["username"]), r["got"]) for r in rows]
    await show_screen(callback, Screen(texts.capped_list(shown, total, cap, at.number, at.count),
                                       kb.capped_list(at.number, at.count, total)))


async def capped_csv(callback: CallbackQuery, state: FSMContext, pool: asyncpg.Pool,
                     settings: Settings) -> None:
    draft = await load(state)
    rows = await audiences.capped_page(pool, draft.audience_obj(), settings.frequency_cap, None)
    await callback.answer()
    document = csv_document(["user_id", "username", "first_name", "email", "broadcasts"], (
        (r["user_id"], r["username"] or "", r["first_name"] or "", r["email"] or "", r["got"])
        for r in rows))
    if isinstance(callback.message, Message):
        await callback.message.answer_document(BufferedInputFile(document, "capped.csv"),
                                               caption=texts.capped_csv_caption(len(rows)))


async def switch_holdout(callback: CallbackQuery, state: FSMContext, pool: asyncpg.Pool,
                         settings: Settings) -> None:
    """Off, 5 %, 10 %, off: the share kept back to measure what the broadcast caused."""
    await callback.answer()
    draft = await load(state)
    shares = kb.HOLDOUTS
    draft.holdout = shares[(shares.index(draft.holdout) + 1) % len(shares)] \
        if draft.holdout in shares else 0
    await save(state, draft)
    await show_screen(callback, await summary_screen(draft, pool, settings))


async def edit_content(callback: CallbackQuery, state: FSMContext, pool: asyncpg.Pool) -> None:
    await callback.answer()
    draft = await load(state)
    await state.set_state(Compose.content)
    audience = draft.audience_obj()
    size = await audiences.count(pool, audience)
    title = audience_title(audience, await streams.titles(pool))
    await show_screen(callback, Screen(texts.ask_content(title, size, editing=True),
                                       kb.back_to_preview()))


async def open_buttons(callback: CallbackQuery, state: FSMContext, settings: Settings) -> None:
    await callback.answer()
    draft = await load(state)
    await show_screen(callback, Screen(texts.buttons_text(draft.buttons, settings.tz),
                                       kb.button_editor(bool(draft.buttons))))


async def ask_label(callback: CallbackQuery, state: FSMContext) -> None:
    await callback.answer()
    await state.set_state(Compose.button_label)
    await show_screen(callback, Screen(texts.ask_label(), kb.back_to_preview()))


async def take_label(message: Message, state: FSMContext) -> None:
    label = await read_text(message, check_label, kb.back_to_preview())
    if label is None:
        return
    draft = await load(state)
    draft.pending_label = label
    await save(state, draft, Compose.button_url)
    await message.answer(texts.ask_url(), reply_markup=kb.back_to_preview())


async def take_url(message: Message, state: FSMContext, pool: asyncpg.Pool,
                   settings: Settings, broadcasts: BroadcastService) -> None:
    """The link, and the end of the offer if one follows it («https://… | до 23:59 пт»)."""
    link = await read_text(message, lambda text: parse_link(text, settings.tz,
                                                            broadcasts.engine.clock()),
                           kb.back_to_preview())
    if link is None:
        return
    draft = await load(state)
    label = draft.pending_label or texts.default_label()
    draft.buttons.append([{"text": label, **link}])
    if "until" in link:
        await message.answer(texts.offer_noted(label, link["until"], settings.tz,
                                               link.get("ended_text")))
    draft.pending_label = None
    await save(state, draft, Compose.preview)
    await send_preview(message, draft, pool, settings, state)


async def clear_buttons(callback: CallbackQuery, state: FSMContext, pool: asyncpg.Pool,
                        settings: Settings) -> None:
    await callback.answer(texts.buttons_cleared())
    draft = await load(state)
    draft.buttons = []
    await save(state, draft, Compose.preview)
    if isinstance(callback.message, Message):
        await send_preview(callback.message, draft, pool, settings, state)


async def expect_buttons(message: Message) -> None:
    await message.answer(texts.pick_with_buttons(), reply_markup=kb.cancel_only())


async def not_text(message: Message) -> None:
    await message.answer(texts.text_needed(),
                         reply_markup=kb.cancel_only())


def create_router() -> Router:
    router = Router(name="compose")
    router.message.register(start_compose, Command("broadcast"))
    router.callback_query.register(start_from_menu, MenuCallback.filter(F.section == Section.BROADCAST))
    router.callback_query.register(write, WriteCallback.filter())
    has_draft = StateFilter(Compose)
    on = ComposeCallback.filter
    router.callback_query.register(back_to_picker, on(F.step == Step.PICKER), has_draft)
    router.callback_query.register(open_lessons, on(F.step == Step.LESSONS), has_draft)
    router.callback_query.register(ask_list, on(F.step == Step.PASTE), has_draft)
    router.callback_query.register(pick_audience, on(F.step == Step.AUDIENCE), has_draft)
    router.callback_query.register(list_done, on(F.step == Step.LIST_DONE), has_draft)
    router.callback_query.register(edit_content, on(F.step == Step.EDIT), has_draft)
    router.callback_query.register(open_buttons, on(F.step == Step.BUTTONS), has_draft)
    router.callback_query.register(ask_label, on(F.step == Step.BUTTON_ADD), has_draft)
    router.callback_query.register(clear_buttons, on(F.step == Step.BUTTONS_CLEAR), has_draft)
    router.callback_query.register(switch_holdout, on(F.step == Step.HOLDOUT), has_draft)
    router.callback_query.register(switch_cap, on(F.step == Step.CAP), has_draft)
    router.callback_query.register(switch_unsubscribe, on(F.step == Step.UNSUBSCRIBE), has_draft)
    router.callback_query.register(show_capped, on(F.step == Step.CAPPED), has_draft)
    router.callback_query.register(capped_csv, on(F.step == Step.CAPPED_CSV), has_draft)
    router.message.register(take_list, Compose.user_list, F.text, TypedInput())
    router.message.register(take_content, Compose.content, TypedInput())
    router.message.register(take_label, Compose.button_label, F.text, TypedInput())
    router.message.register(take_url, Compose.button_url, F.text, TypedInput())
    router.message.register(not_text, StateFilter(Compose.user_list, Compose.button_label,
                                                  Compose.button_url), TypedInput())
    router.message.register(expect_buttons, StateFilter(Compose.audience, Compose.preview),
                            TypedInput())
    return router
