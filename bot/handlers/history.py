"""/history: broadcasts newest first, filtered by audience; a card with counts by status,
top failure reasons, who did not get it, resend, recall and a CSV of the recipients."""

from __future__ import annotations

import asyncpg
from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.config import Settings
from bot.db import broadcasts as db
from bot.db import streams
from bot.handlers.common import show_screen
from bot.i18n import _
from bot.keyboards import lists as kb
from bot.keyboards.lists import Hist, HistoryCallback
from bot.keyboards.menu import MenuCallback, Section
from bot.paging import read_page
from bot.views import lists as views
from bot.views.broadcast import AUDIENCE_TITLES, audience_title
from bot.views.format import csv_document

PAGE = 6
WHO_PAGE = 10
UNREACHED = ("failed", "blocked", "unknown")


def _filter_title(kind: str, stream: str, titles: dict[str, str]) -> str:
    if stream:
        return titles.get(stream, stream)
    return str(AUDIENCE_TITLES.get(kind) or _("все")) if kind else _("все")


async def list_screen(pool: asyncpg.Pool, settings: Settings, page: int, kind: str, stream: str
                      ) -> tuple[str, object]:
    titles = await streams.titles(pool)
    items, total, at = await read_page(
        lambda offset, limit: db.history(pool, kind or None, stream or None, offset, limit),
        page, PAGE)
    named = [(b, audience_title(b.audience, titles)) for b in items]
    labels = [(b.id, f"#{b.id} · {title} · {b.sent}/{b.total}") for b, title in named]
    text = views.history_list(named, total, _filter_title(kind, stream, titles), at.number,
                              at.count, settings.tz)
    return text, kb.history_list(labels, at.number, at.count, kind, stream)


async def show_history(message: Message, pool: asyncpg.Pool, settings: Settings) -> None:
    text, markup = await list_screen(pool, settings, 0, "", "")
    await message.answer(text, reply_markup=markup)  # type: ignore[arg-type]


async def from_menu(callback: CallbackQuery, pool: asyncpg.Pool, settings: Settings) -> None:
    await callback.answer()
    await show_screen(callback, *await list_screen(pool, settings, 0, "", ""))  # type: ignore[arg-type]


async def on_history(callback: CallbackQuery, callback_data: HistoryCallback,
                     pool: asyncpg.Pool, settings: Settings) -> None:
    data = callback_data
    if data.action is Hist.LIST:
        await callback.answer()
        await show_screen(callback, *await list_screen(pool, settings, data.page, data.kind,  # type: ignore[arg-type]
                                                       data.stream))
        return
    if data.action is Hist.FILTER:
        await callback.answer()
        titles = await streams.titles(pool)
        options = [(_("Все"), "", "")] + [(t, "stream", c) for c, t in titles.items()] + [
            (AUDIENCE_TITLES[k].capitalize(), k, "") for k in ("all", "leads", "free_lesson",
                                                               "pending", "users")]
        await show_screen(callback, _("<b>Показать рассылки для аудитории:</b>"),
                          kb.history_filters(options))
        return
    broadcast = await db.get(pool, data.id)
    if broadcast is None:
        await callback.answer(_("Этой рассылки больше нет."), show_alert=True)
        return
    if data.action is Hist.OPEN:
        await callback.answer()
        await show_screen(callback, *await card_screen(pool, broadcast, settings, data))  # type: ignore[arg-type]
    elif data.action is Hist.WHO:
        await callback.answer()
        rows, total, at = await read_page(
            lambda offset, limit: db.recipients_with(pool, broadcast.id, UNREACHED, offset, limit),
            data.page, WHO_PAGE)
        await show_screen(callback, views.who_list(list(rows), total, at.number, at.count),
                          kb.who_pages(broadcast.id, at.number, at.count))
    elif data.action is Hist.CSV:
        await callback.answer(_("Готовлю файл…"))
        assert isinstance(callback.message, Message)
        await callback.message.answer_document(
            BufferedInputFile(await export_csv(pool, broadcast.id), f"broadcast-{broadcast.id}.csv"),
            caption=_("Получатели рассылки #{id}").format(id=broadcast.id))


async def card_screen(pool: asyncpg.Pool, broadcast: db.Broadcast, settings: Settings,
                      data: HistoryCallback) -> tuple[str, object]:
    counts = await db.status_counts(pool, broadcast.id)
    reasons = await db.failure_reasons(pool, broadcast.id)
    title = audience_title(broadcast.audience, await streams.titles(pool))
    unreached = sum(counts.get(s, 0) for s in UNREACHED)
    resend = (counts.get("failed", 0), counts.get("unknown", 0)) \
        if broadcast.status != "sending" else (0, 0)
    can_recall = counts.get("sent", 0) > 0 and broadcast.status != "sending" \
        and broadcast.recall_status not in ("requested", "running")
    return (views.history_card(broadcast, title, counts, reasons, settings.tz),
            kb.history_card(broadcast.id, unreached, resend, can_recall, data.kind, data.stream,
                            data.page))


async def export_csv(pool: asyncpg.Pool, broadcast_id: int) -> bytes:
    """All recipients with their status, read through a cursor page by page."""
    async with pool.acquire() as conn, conn.transaction():
        rows = [[row["user_id"], row["username"] or "", row["first_name"] or "",
                 row["delivery_status"], row["error"] or "",
                 row["sent_at"].isoformat() if row["sent_at"] else "",
                 row["telegram_message_id"] or ""]
                async for row in db.export_rows(conn, broadcast_id)]
    return csv_document(["user_id", "username", "first_name", "status", "error", "sent_at",
                         "telegram_message_id"], rows)


def create_router() -> Router:
    router = Router(name="history")
    router.message.register(show_history, Command("history"))
    router.callback_query.register(from_menu, MenuCallback.filter(F.section == Section.HISTORY))
    router.callback_query.register(on_history, HistoryCallback.filter())
    return router
