"""Four eyes on recurring broadcasts: with approval on, a series to all users is kept
«⏳ ждёт одобрения» (its time passes, nothing goes) until another editor approves it (it goes
from its next occurrence) or rejects it with a reason (it stops, the author reads why); two
approvers at once activate it once. And a one-off broadcast approved by another editor gets
its canary when it is large enough."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import ADMIN_ID, SECOND_ADMIN_ID, BotHarness, ChatClient
from support import Clock, add_members, compose_to_stream, sends_to, wait_status, wait_until
from test_approval import EDITOR_ID, bot_with_editor
from test_canary import noon
from test_recurring import MONDAY, at, audit_actions, held, next_occurrence

pytestmark = pytest.mark.unpaced_chats

REQUEST = "🖐 Повторяющаяся рассылка #1 ждёт одобрения"


async def submit_daily_to_everyone(harness: BotHarness, emulator: Emulator) -> ChatClient:
    """The owner makes a daily 10:00 series to all users; approval keeps it."""
    author = await compose_to_stream(harness, emulator, "Все пользователи · 3",
                                     "Урок сегодня в 19:00", [])
    await author.click("🕒 Запланировать")
    await author.click("🔁 Повторять")
    await author.click("📅 Каждый день")
    await author.send("10:00")
    await author.click("♾ Бессрочно")
    await author.click("✅ Запустить")
    return author


async def waiting_series(make_harness, pool: asyncpg.Pool, emulator: Emulator  # type: ignore[no-untyped-def]
                         ) -> tuple[Clock, BotHarness, ChatClient]:
    """Approval from 1000 recipients (or to all users): the series to all users (three
    people) waits."""
    clock = Clock(MONDAY)
    await add_members(pool, 3)
    harness = await bot_with_editor(make_harness, pool, approval_min_audience="1000",
                                    frequency_cap="off", clock=clock)
    author = await submit_daily_to_everyone(harness, emulator)
    assert author.last().text.startswith(
        f"{REQUEST}: она большая, её должен одобрить ещё один редактор или владелец. "
        "Запрос отправлен 2 людям")
    assert await pool.fetchval("SELECT status FROM broadcast_series") == "awaiting_approval"
    return clock, harness, author


async def test_a_series_to_everyone_waits_for_approval_then_goes_from_its_next_time(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    clock, harness, author = await waiting_series(make_harness, pool, emulator)
    editor = harness.chat(EDITOR_ID)
    preview, request = editor.messages()[-2:]
    assert preview.text == "Урок сегодня в 19:00"  # as recipients get it
    assert request.text.startswith(REQUEST)
    assert "Автор: Анна · 501" in request.text and "Аудитория: все пользователи · 3 получателя" in request.text
    assert "Повтор: каждый день в 10:00, бессрочно" in request.text
    assert "Ближайшие: пн 01.03 10:00, вт 02.03 10:00, ср 03.03 10:00" in request.text
    assert "Одобрение действует на все отправки этой повторяющейся рассылки" in request.text
    assert editor.buttons() == ["✅ Одобрить", "❌ Отклонить (с причиной)"]
    await author.send("/scheduled")
    assert "⏳ ждёт одобрения" in author.last().text
    assert not any(b.startswith("🔁") for b in author.buttons())  # no card while it waits

    clock.at = at(0)  # Monday 10:00 passes while it waits: nothing goes
    await held(pool, 1, 0)
    assert await pool.fetchval("SELECT count(*) FROM message_recipients") == 0
    await author.press_forged("ap:ok:1:s")  # the author may not approve their own
    assert author.callback_answer()["text"] == "Свою рассылку одобряет кто-то другой."

    await editor.click("✅ Одобрить")
    assert editor.last().text.endswith("✅ Вы одобрили повторяющуюся рассылку #1.")
    assert not editor.buttons()
    assert "✅ Борис · 601 одобрил(а) повторяющуюся рассылку #1: она запущена, следующая " \
           "отправка — 02.03.2027 10:00." in [m.text for m in author.messages()]
    await held(pool, 1, 0, 1.5)  # Monday's is not sent late
    first = await next_occurrence(pool, 1, clock, 1, 1)  # Tuesday's goes
    assert first["scheduled_at"] == at(1, second=0)
    done = await wait_status(pool, first["id"], "done")
    assert (done.total, done.sent) == (3, 3)
    await harness.chat(SECOND_ADMIN_ID).click("✅ Одобрить")  # too late: decided
    assert harness.chat(SECOND_ADMIN_ID).callback_answer()["text"] == \
        "Эту рассылку уже одобрил(а) Борис · 601."
    assert await audit_actions(pool) == ["series.submit", "series.approve", "series.sent"]
    # a new text would go unchecked: refused while approval applies
    await author.send("/scheduled")
    await author.click("🔁 #1 · каждый день в 10:00, бессрочно · все пользователи")
    await author.click("✏️ Изменить текст")
    assert author.callback_answer()["text"].startswith(
        "Текст большой повторяющейся рассылки нельзя менять, пока включено одобрение")


async def test_a_rejected_series_stops_and_its_author_reads_why(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    clock, harness, author = await waiting_series(make_harness, pool, emulator)
    editor = harness.chat(EDITOR_ID)
    await editor.click("❌ Отклонить (с причиной)")
    assert editor.last().text.startswith("Почему отклонить рассылку #1?")
    await editor.send("Каждый день — слишком часто")
    assert editor.last().text == "❌ Повторяющаяся рассылка #1 отклонена, автору сказано почему."
    assert author.last().text == ("❌ Борис · 601 отклонил(а) повторяющуюся рассылку #1. "
                                  "Причина: Каждый день — слишком часто\n"
                                  "Она остановлена, ничего не отправлено.")
    row = await pool.fetchrow("SELECT status, rejection_reason, approved_by, next_at"
                              " FROM broadcast_series")
    assert tuple(row) == ("stopped", "Каждый день — слишком часто", EDITOR_ID, None)
    clock.at = at(1)
    await held(pool, 1, 0)
    assert await pool.fetchval("SELECT count(*) FROM message_recipients") == 0
    assert await audit_actions(pool) == ["series.submit", "series.reject"]
    await author.send("/scheduled")
    assert "Повторяющиеся" not in author.last().text


async def test_two_approvers_at_once_activate_the_series_once(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    clock, harness, _author = await waiting_series(make_harness, pool, emulator)
    token = harness.token
    await asyncio.gather(emulator.press(token, EDITOR_ID, "✅ Одобрить"),
                         emulator.press(token, SECOND_ADMIN_ID, "✅ Одобрить"))
    await harness.settle()
    assert (await audit_actions(pool)).count("series.approve") == 1
    assert await pool.fetchval("SELECT status FROM broadcast_series") == "active"
    first = await next_occurrence(pool, 1, clock, 0, 1)
    await held(pool, 1, 1, 1.5)
    assert await pool.fetchval("SELECT count(*) FROM message_recipients") == 3
    assert await pool.fetchval("SELECT count(*) FROM message_recipients"
                               " WHERE message_id = $1", first["id"]) == 3


async def test_a_broadcast_approved_by_another_editor_gets_its_canary(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    members = await add_members(pool, 120)
    harness = await bot_with_editor(make_harness, pool, canary_min_audience="100",
                                    clock=Clock(noon()))
    author = await compose_to_stream(harness, emulator, "4-й поток · 120", text="Урок в 19:00",
                                     entities=[])
    await author.click("🚀 Отправить сейчас")
    if "✅ Да, отправить" in author.buttons():  # above the confirmation threshold
        await author.click("✅ Да, отправить")
    assert author.last().text.startswith("🖐 Рассылка #1 ждёт одобрения")
    await harness.chat(EDITOR_ID).click("✅ Одобрить")

    async def canary_waits() -> bool:
        return await pool.fetchval("SELECT canary_phase FROM message_history WHERE id = 1") \
            == "waiting"
    await wait_until(canary_waits, 30, "the approved broadcast's canary did not go out")
    canary = {r["user_id"] for r in await pool.fetch(
        "SELECT user_id FROM message_recipients WHERE message_id = 1 AND canary")}
    assert len(canary) == 50  # 2 % of 120, but at least 50
    await asyncio.sleep(1)
    got = sends_to(emulator, harness.token)
    assert {u for u in members if got[u]} == canary  # nobody else yet: it waits
    actions = [r["action"] for r in await pool.fetch(
        "SELECT action FROM admin_audit_log WHERE action LIKE 'broadcast.%' ORDER BY id")]
    assert actions[:2] == ["broadcast.submit", "broadcast.approve"]
    assert "broadcast.canary_start" in actions
