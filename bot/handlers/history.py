"""/history: broadcasts newest first, filtered by audience; a card with counts by status,
top failure reasons, who did not get it, resend, recall and a CSV of the recipients."""

from __future__ import annotations

import asyncpg
from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.config import Settings
from bot.db import broadcasts as db
from bot.db import series as series_db
from bot.db import edits as edits_db
from bot.db import streams
from bot.db.outcomes import outcomes
from bot.enums import BroadcastStatus, DeliveryStatus, EditRefusal, RecallStatus
from bot.keyboards import history as kb
from bot.keyboards.history import Hist, HistoryCallback, HistoryKind
from bot.keyboards.menu import MenuCallback, Section
from bot.paging import read_page
from bot.text.format import csv_document
from bot.views import history as views
from bot.services import edits
from bot.services.broadcasts import BroadcastService
from bot.views import broadcast as broadcast_views
from bot.views.broadcast import audience_title, broadcast_gone
from bot.views.outcomes import outcome_block, tracked_labels
from bot.views.screen import Screen, answer_screen, show_screen

PAGE = 6
WHO_PAGE = 10
UNREACHED = (DeliveryStatus.FAILED.value, DeliveryStatus.BLOCKED.value,
             DeliveryStatus.UNKNOWN.value)


async def list_screen(pool: asyncpg.Pool, settings: Settings, page: int, kind: HistoryKind,
                      stream: str) -> Screen:
    titles = await streams.titles(pool)
    items, total, at = await read_page(
        lambda offset, limit: db.history(pool, kind or None, stream or None, offset, limit),
        page, PAGE)
    named = [(b, audience_title(b.audience, titles)) for b in items]
    labels = [(b.id, f"#{b.id} · {title} · {b.sent}/{b.total}") for b, title in named]
    text = views.history_list(named, total, views.filter_title(kind, stream, titles), at.number,
                              at.count, settings.tz)
    return Screen(text, kb.history_list(labels, at.number, at.count, kind, stream))


async def show_history(message: Message, pool: asyncpg.Pool, settings: Settings) -> None:
    await answer_screen(message, await list_screen(pool, settings, 0, HistoryKind.ANY, ""))


async def from_menu(callback: CallbackQuery, pool: asyncpg.Pool, settings: Settings) -> None:
    await callback.answer()
    await show_screen(callback, await list_screen(pool, settings, 0, HistoryKind.ANY, ""))


async def list_page(callback: CallbackQuery, callback_data: HistoryCallback,
                    pool: asyncpg.Pool, settings: Settings) -> None:
    await callback.answer()
    await show_screen(callback, await list_screen(pool, settings, callback_data.page,
                                                  callback_data.kind, callback_data.stream))


async def pick_filter(callback: CallbackQuery, pool: asyncpg.Pool) -> None:
    await callback.answer()
    titles = await streams.titles(pool)
    await show_screen(callback, Screen(views.pick_filter(),
                                       kb.history_filters(views.filter_options(titles))))


async def _broadcast(callback: CallbackQuery, pool: asyncpg.Pool, broadcast_id: int
                     ) -> db.Broadcast | None:
    """The broadcast a button is for (None: it is gone, and the admin is told)."""
    broadcast = await db.get(pool, broadcast_id)
    if broadcast is None:
        await callback.answer(broadcast_gone(), show_alert=True)
    return broadcast


async def open_card(callback: CallbackQuery, callback_data: HistoryCallback, pool: asyncpg.Pool,
                    settings: Settings) -> None:
    broadcast = await _broadcast(callback, pool, callback_data.id)
    if broadcast is None:
        return
    await callback.answer()
    await show_screen(callback, await card_screen(pool, broadcast, settings, callback_data))


async def who_missed(callback: CallbackQuery, callback_data: HistoryCallback,
                     pool: asyncpg.Pool) -> None:
    """Who did not get the broadcast, and why, a page at a time."""
    broadcast = await _broadcast(callback, pool, callback_data.id)
    if broadcast is None:
        return
    await callback.answer()
    rows, total, at = await read_page(
        lambda offset, limit: db.recipients_with(pool, broadcast.id, UNREACHED, offset, limit),
        callback_data.page, WHO_PAGE)
    await show_screen(callback, Screen(views.who_list(list(rows), total, at.number, at.count),
                                       kb.who_pages(broadcast.id, at.number, at.count)))


async def send_csv(callback: CallbackQuery, callback_data: HistoryCallback,
                   pool: asyncpg.Pool) -> None:
    broadcast = await _broadcast(callback, pool, callback_data.id)
    if broadcast is None:
        return
    await callback.answer(views.preparing_file())
    assert isinstance(callback.message, Message)
    await callback.message.answer_document(
        BufferedInputFile(await export_csv(pool, broadcast.id), f"broadcast-{broadcast.id}.csv"),
        caption=views.csv_caption(broadcast.id))


# ---- the card's controls: recall and resend, each answered on the card itself --------

async def ask_recall(callback: CallbackQuery, callback_data: HistoryCallback,
                     pool: asyncpg.Pool, settings: Settings) -> None:
    broadcast = await _broadcast(callback, pool, callback_data.id)
    if broadcast is None:
        return
    refusal = broadcast_views.recall_refusal(broadcast)
    if refusal is not None:
        await callback.answer(refusal, show_alert=True)
        await _redraw(callback, pool, settings, callback_data)
        return
    await callback.answer()
    await _ask(callback, pool, settings, broadcast, callback_data,
               broadcast_views.ask_recall(broadcast.sent), Hist.RECALL_OK,
               broadcast_views.yes_recall())


async def ask_resend_unknown(callback: CallbackQuery, callback_data: HistoryCallback,
                             pool: asyncpg.Pool, settings: Settings) -> None:
    broadcast = await _broadcast(callback, pool, callback_data.id)
    if broadcast is None:
        return
    await callback.answer()
    await _ask(callback, pool, settings, broadcast, callback_data,
               broadcast_views.ask_resend_unknown(broadcast.unknown), Hist.UNKNOWN_OK,
               broadcast_views.yes_resend())


async def recall(callback: CallbackQuery, callback_data: HistoryCallback, pool: asyncpg.Pool,
                 settings: Settings, broadcasts: BroadcastService) -> None:
    broadcast = await _broadcast(callback, pool, callback_data.id)
    if broadcast is None:
        return
    if await broadcasts.recall(broadcast.id, callback.from_user.id):
        note = broadcast_views.recalling()
    else:
        note = broadcast_views.recall_refusal(await db.get(pool, broadcast.id) or broadcast) \
            or broadcast_views.recall_not_started()
    await callback.answer(note, show_alert=True)
    await _redraw(callback, pool, settings, callback_data)


async def resend(callback: CallbackQuery, callback_data: HistoryCallback, pool: asyncpg.Pool,
                 settings: Settings, broadcasts: BroadcastService) -> None:
    """Failed recipients again, or (once confirmed) those whose delivery is unknown."""
    broadcast = await _broadcast(callback, pool, callback_data.id)
    if broadcast is None:
        return
    whom = DeliveryStatus.FAILED if callback_data.action is Hist.RESEND \
        else DeliveryStatus.UNKNOWN
    count = await broadcasts.resend(broadcast.id, callback.from_user.id, whom.value)
    await callback.answer(broadcast_views.resend_note(count))
    await _redraw(callback, pool, settings, callback_data)


async def _ask(callback: CallbackQuery, pool: asyncpg.Pool, settings: Settings,
               broadcast: db.Broadcast, data: HistoryCallback, question: str, yes: Hist,
               yes_text: str) -> None:
    """The card with a question under it; its buttons: yes, or back to the card."""
    card = await card_screen(pool, broadcast, settings, data)
    await show_screen(callback, Screen(card.text, kb.card_question(data, yes, yes_text)).above(
        views.question(question)))


async def _redraw(callback: CallbackQuery, pool: asyncpg.Pool, settings: Settings,
                  data: HistoryCallback) -> None:
    """The card again, with the buttons that fit the broadcast now."""
    broadcast = await db.get(pool, data.id)
    if broadcast is not None:
        await show_screen(callback, await card_screen(pool, broadcast, settings, data))


OUTCOME_DAYS = 7  # the window after each delivery in which what people did is counted


async def card_screen(pool: asyncpg.Pool, broadcast: db.Broadcast, settings: Settings,
                      data: HistoryCallback) -> Screen:
    counts = await db.status_counts(pool, broadcast.id)
    reasons = await db.failure_reasons(pool, broadcast.id)
    title = audience_title(broadcast.audience, await streams.titles(pool))
    unreached = sum(counts.get(s, 0) for s in UNREACHED)
    sending = broadcast.status == BroadcastStatus.SENDING
    resend = (0, 0) if sending else (counts.get(DeliveryStatus.FAILED, 0),
                                     counts.get(DeliveryStatus.UNKNOWN, 0))
    can_recall = counts.get(DeliveryStatus.SENT, 0) > 0 and not sending \
        and broadcast.recall_status not in (RecallStatus.REQUESTED, RecallStatus.RUNNING)
    fixed = await edits_db.made_by_admins(pool, broadcast.id)
    fixable = await edits.why_not(pool, broadcast)  # None: «✏️ Исправить» is offered
    text = views.history_card(broadcast, title, counts, reasons, settings.tz,
                              await series_db.of_broadcast(pool, broadcast.id), fixed=fixed,
                              fixing=fixable is EditRefusal.EDITING)
    if broadcast.started_at is not None:  # what it caused, within OUTCOME_DAYS of delivery
        text += "\n\n" + outcome_block(await outcomes(pool, broadcast.id, OUTCOME_DAYS),
                                       tracked_labels(broadcast), OUTCOME_DAYS, None)
    return Screen(text, kb.history_card(broadcast.id, unreached, resend, can_recall, data.kind,
                                        data.stream, data.page,
                                        outcomes=broadcast.started_at is not None,
                                        can_edit=fixable is None))


async def export_csv(pool: asyncpg.Pool, broadcast_id: int) -> bytes:
    """All recipients with their status and clicks; the error in the admin's words where it
    is a known one (as on the card), else as Telegram put it."""
    rows = [[row["user_id"], row["username"] or "", row["first_name"] or "",
             row["delivery_status"], broadcast_views.reason(row["error"]) if row["error"] else "",
             row["sent_at"].isoformat() if row["sent_at"] else "",
             row["telegram_message_id"] or "", row["clicks"]]
            async for row in db.export_rows(pool, broadcast_id)]
    return csv_document(["user_id", "username", "first_name", "status", "error", "sent_at",
                         "telegram_message_id", "clicks"], rows)


def create_router() -> Router:
    """Looking: the list, its filter, a card, who did not get it."""
    router = Router(name="history")
    router.message.register(show_history, Command("history"))
    router.callback_query.register(from_menu, MenuCallback.filter(F.section == Section.HISTORY))
    on = HistoryCallback.filter
    router.callback_query.register(list_page, on(F.action == Hist.LIST))
    router.callback_query.register(pick_filter, on(F.action == Hist.FILTER))
    router.callback_query.register(open_card, on(F.action == Hist.OPEN))
    router.callback_query.register(who_missed, on(F.action == Hist.WHO))
    return router


def create_export_router() -> Router:
    """The recipients as a CSV (personal data)."""
    router = Router(name="history_export")
    router.callback_query.register(send_csv, HistoryCallback.filter(F.action == Hist.CSV))
    return router


def create_actions_router() -> Router:
    """The card's controls: recall and resend."""
    router = Router(name="history_actions")
    on = HistoryCallback.filter
    router.callback_query.register(ask_recall, on(F.action == Hist.RECALL))
    router.callback_query.register(recall, on(F.action == Hist.RECALL_OK))
    router.callback_query.register(ask_resend_unknown, on(F.action == Hist.UNKNOWN))
    router.callback_query.register(resend, on(F.action.in_({Hist.RESEND, Hist.UNKNOWN_OK})))
    return router
