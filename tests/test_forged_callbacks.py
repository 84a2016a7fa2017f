"""Forged and replayed callbacks of the recurring series' card and of fixing a sent broadcast:
other ids (a series or a broadcast that is not there, a stopped series, a recalled broadcast),
old buttons pressed after the state changed, and two presses at once. Each changes nothing it
should not and is answered with a reason, never the generic apology."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, time

import asyncpg
import pytest

from bot.db.audiences import Audience
from bot.db.broadcasts import Content
from bot.db.series import Rule
from bot.keyboards.edit_sent import Fix, FixCallback
from bot.keyboards.history import Hist, HistoryCallback
from bot.keyboards.scheduled import SeriesAction, SeriesCallback
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import ADMIN_ID, BotHarness, ChatClient
from bot.services.series import SeriesService
from support import STREAM, Clock, add_members, service, wait_status
from zoneinfo import ZoneInfo

pytestmark = pytest.mark.unpaced_chats

APOLOGY = "Не получилось выполнить действие"
MONDAY = datetime(2027, 3, 1, 9, 0, tzinfo=ZoneInfo("Europe/Moscow"))
NOT_ACTIVE = "Эта повторяющаяся рассылка уже остановлена или завершилась."


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def series_rows(pool: asyncpg.Pool) -> list[tuple[object, ...]]:
    rows = await pool.fetch("SELECT id, status, paused, skip_next, next_at, at_time,"
                            " content_html FROM broadcast_series ORDER BY id")
    return [tuple(r) for r in rows]


async def audit_count(pool: asyncpg.Pool) -> int:
    return await pool.fetchval("SELECT count(*) FROM admin_audit_log")


async def make_series(harness: BotHarness, text: str) -> int:
    series: SeriesService = harness.dispatcher["series"]
    made = await series.create(Content("text", text), Audience("stream", stream=STREAM),
                               Rule("daily", time(10, 0)), ADMIN_ID)
    assert made is not None
    return made.id


def answer_of(admin: ChatClient) -> str:
    answer = admin.callback_answer()
    assert answer["answered"]
    return str(answer.get("text") or "")


# ---- the series' card -------------------------------------------------------------------------

async def test_series_callbacks_with_other_ids_change_nothing(
        make_harness, pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    harness = await make_harness(frequency_cap="off", clock=Clock(MONDAY))
    await add_members(pool, 2)
    going = await make_series(harness, "Идёт")
    stopped = await make_series(harness, "Остановлена")
    await harness.dispatcher["series"].stop(stopped, ADMIN_ID)
    admin = harness.chat(ADMIN_ID)
    await admin.send("/scheduled")
    before, logged = await series_rows(pool), await audit_count(pool)
    caplog.clear()
    for series_id in (stopped, 999_999, 0):  # stopped, never made, no such id
        for action in SeriesAction:
            await admin.press_forged(SeriesCallback(action=action, id=series_id).pack())
            assert answer_of(admin) == NOT_ACTIVE, (series_id, action)
    assert await series_rows(pool) == before and await audit_count(pool) == logged
    assert not any(APOLOGY in m.text for m in admin.messages())
    assert not errors_logged(caplog)
    assert going  # untouched, as the rows say


async def test_stop_confirmed_twice_stops_once(
        make_harness, pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    harness = await make_harness(frequency_cap="off", clock=Clock(MONDAY))
    await add_members(pool, 2)
    series_id = await make_series(harness, "Урок")
    admin = harness.chat(ADMIN_ID)
    await admin.send("/scheduled")
    await admin.click(next(b for b in admin.buttons() if b.startswith("🔁 #")))
    await admin.click("⏹ Остановить")
    confirm = SeriesCallback(action=SeriesAction.STOP_OK, id=series_id).pack()
    await admin.click(data=confirm)
    assert "Повторяющаяся рассылка остановлена." in admin.last().text
    await admin.press_forged(confirm)  # the old «Да, остановить» pressed again
    assert answer_of(admin) == NOT_ACTIVE
    stops = await pool.fetchval("SELECT count(*) FROM admin_audit_log"
                                " WHERE action = 'series.stop'")
    assert stops == 1

    # two presses at once on a second series: one stop in the journal, both answered
    other = await make_series(harness, "Второй урок")
    confirm = SeriesCallback(action=SeriesAction.STOP_OK, id=other).pack()
    first, second = harness.chat(ADMIN_ID), harness.chat(ADMIN_ID)
    caplog.clear()
    await asyncio.gather(first.press_forged(confirm), second.press_forged(confirm))
    assert await pool.fetchval("SELECT count(*) FROM admin_audit_log"
                               " WHERE action = 'series.stop'") == 2
    assert await pool.fetchval("SELECT status FROM broadcast_series WHERE id = $1",
                               other) == "stopped"
    for chat in (first, second):
        assert APOLOGY not in answer_of(chat)
    assert not errors_logged(caplog)


async def test_a_series_time_that_leaves_no_occurrence_is_refused(
        make_harness, pool: asyncpg.Pool) -> None:  # type: ignore[no-untyped-def]
    """The last occurrence is today at 10:00 and it is 09:00: 08:00 would leave none."""
    harness = await make_harness(frequency_cap="off", clock=Clock(MONDAY))
    await add_members(pool, 1)
    series: SeriesService = harness.dispatcher["series"]
    made = await series.create(Content("text", "Урок"), Audience("stream", stream=STREAM),
                               Rule("daily", time(10, 0), until=MONDAY.date()), ADMIN_ID)
    assert made is not None
    admin = harness.chat(ADMIN_ID)
    await admin.send("/scheduled")
    await admin.click(next(b for b in admin.buttons() if b.startswith("🔁 #")))
    await admin.click("🕒 Изменить время")
    await admin.send("08:00")
    assert "В это время больше ни одной рассылки не выйдет: последний день — 01.03.2027" \
        in admin.last().text
    assert "↩️ Назад" in admin.buttons()
    row = await pool.fetchrow("SELECT status, next_at, at_time FROM broadcast_series")
    assert tuple(row) == ("active", made.next_at, time(10, 0))
    await admin.send("09:30")  # still the same step: a later time is taken
    assert "Время изменено." in admin.last().text
    assert await pool.fetchval("SELECT at_time FROM broadcast_series") == time(9, 30)


# ---- fixing a sent broadcast ------------------------------------------------------------------

async def _sent(harness: BotHarness, pool: asyncpg.Pool, text: str) -> int:
    launched = await service(harness).launch(Content("text", text),
                                             Audience("stream", stream=STREAM), ADMIN_ID)
    await wait_status(pool, launched.broadcast.id, "done")
    return launched.broadcast.id


async def _edits(pool: asyncpg.Pool) -> list[tuple[object, ...]]:
    return [tuple(r) for r in await pool.fetch(
        "SELECT broadcast_id, version, change FROM broadcast_edits ORDER BY id")]


async def _to_confirm(admin: ChatClient, broadcast_id: int, text: str) -> None:
    await admin.send("/history")
    await admin.click(data=HistoryCallback(action=Hist.OPEN, id=broadcast_id).pack())
    await admin.click("✏️ Исправить")
    await admin.send(text)
    assert "✅ Исправить у всех" in admin.buttons()


async def test_fix_callbacks_with_other_ids_change_nothing(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator,
        caplog: pytest.LogCaptureFixture) -> None:
    await add_members(pool, 3)
    mine = await _sent(harness, pool, "Урок в 19:00")
    recalled = await _sent(harness, pool, "Отозванная")
    await pool.execute("UPDATE message_history SET recall_status = 'done' WHERE id = $1",
                       recalled)
    admin = harness.chat(ADMIN_ID)
    await admin.send("/history")
    caplog.clear()
    # «✏️ Исправить» on a broadcast that is not there, or was recalled
    await admin.press_forged(HistoryCallback(action=Hist.EDIT, id=999_999).pack())
    assert answer_of(admin) and APOLOGY not in answer_of(admin)
    await admin.press_forged(HistoryCallback(action=Hist.EDIT, id=recalled).pack())
    assert answer_of(admin) == "Рассылка отозвана — исправлять нечего."
    # the steps' buttons with no fix begun
    for action in Fix:
        await admin.press_forged(FixCallback(action=action, id=mine).pack())
        assert answer_of(admin) and APOLOGY not in answer_of(admin), action

    # a fix of one broadcast under way; «✅ Исправить у всех» forged with another id
    await _to_confirm(admin, mine, "Урок в 20:00")
    for other in (recalled, 999_999):
        await admin.press_forged(FixCallback(action=Fix.GO, id=other).pack())
        assert answer_of(admin) == "Эта кнопка устарела. Откройте меню заново: /menu"
        assert await _edits(pool) == []
    assert (await pool.fetchval("SELECT message_text FROM message_history WHERE id = $1",
                                recalled)) == "Отозванная"
    assert not any(APOLOGY in m.text for m in admin.messages())
    assert not errors_logged(caplog)


async def test_buttons_kept_with_no_new_text_is_no_fix(
        harness: BotHarness, pool: asyncpg.Pool) -> None:
    """«↩️ Кнопки как были» only shows once a new text is given; forged before that, it
    leads to no fix of nothing."""
    await add_members(pool, 2)
    broadcast_id = await _sent(harness, pool, "Урок в 19:00")
    admin = harness.chat(ADMIN_ID)
    await admin.send("/history")
    await admin.click(data=HistoryCallback(action=Hist.OPEN, id=broadcast_id).pack())
    await admin.click("✏️ Исправить")
    await admin.press_forged(FixCallback(action=Fix.KEEP, id=broadcast_id).pack())
    assert answer_of(admin) == "Сначала пришлите новый текст: без него исправлять нечего."
    await admin.press_forged(FixCallback(action=Fix.GO, id=broadcast_id).pack())
    assert await _edits(pool) == []
    assert await pool.fetchval("SELECT count(*) FROM admin_audit_log"
                               " WHERE action = 'broadcast.fix'") == 0


async def test_fix_pressed_twice_at_once_runs_once(
        harness: BotHarness, pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture) -> None:
    await add_members(pool, 3)
    broadcast_id = await _sent(harness, pool, "Урок в 19:00")
    admin = harness.chat(ADMIN_ID)
    await _to_confirm(admin, broadcast_id, "Урок в 20:00")
    go = FixCallback(action=Fix.GO, id=broadcast_id).pack()
    first, second = harness.chat(ADMIN_ID), harness.chat(ADMIN_ID)
    caplog.clear()
    await asyncio.gather(first.click(data=go), second.click(data=go))
    assert await _edits(pool) == [(broadcast_id, 1, "text")]
    assert await pool.fetchval("SELECT count(*) FROM admin_audit_log"
                               " WHERE action = 'broadcast.fix'") == 1
    for chat in (first, second):
        assert APOLOGY not in answer_of(chat)
    assert not errors_logged(caplog)
    await admin.press_forged(go)  # and once more, after it started
    assert await _edits(pool) == [(broadcast_id, 1, "text")]
    assert APOLOGY not in answer_of(admin)


async def test_a_photo_where_button_lines_are_asked_keeps_the_way_back(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    """With a new text given, the buttons' step offers «↩️ Кнопки как были»; a photo sent
    there is refused with that way still under the answer."""
    await add_members(pool, 2)
    broadcast_id = await _sent(harness, pool, "Урок в 19:00")
    admin = harness.chat(ADMIN_ID)
    await _to_confirm(admin, broadcast_id, "Урок в 20:00")
    await admin.click("🔗 Кнопки")
    await emulator.send_file(harness.token, ADMIN_ID, "photo", b"img", caption="x")
    await harness.settle()
    assert admin.buttons() == ["↩️ Кнопки как были", "✖️ Отмена"]
    await admin.click("↩️ Кнопки как были")
    assert "✅ Исправить у всех" in admin.buttons()
    assert await _edits(pool) == []
