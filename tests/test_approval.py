"""Four eyes: with APPROVAL_MIN_AUDIENCE on, a big broadcast waits for another editor or owner.
Approve (it goes), reject with a reason (nothing goes, the author reads why), a scheduled one
nobody approved by its time (it waits, and says so), two approvers at once (one broadcast)."""

from __future__ import annotations

import asyncio
import asyncpg
import pytest

from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import ADMIN_ID, SECOND_ADMIN_ID, BotHarness
from support import add_members, compose_to_stream, sends_to, wait_status, wait_until

pytestmark = pytest.mark.unpaced_chats

EDITOR_ID = 601
REQUEST = "🖐 Рассылка #1 ждёт одобрения"


async def bot_with_editor(make_harness, pool: asyncpg.Pool, **settings: object  # type: ignore[no-untyped-def]
                          ) -> BotHarness:
    await pool.execute("INSERT INTO team (user_id, role, added_by) VALUES ($1, 'editor', $2)",
                       EDITOR_ID, ADMIN_ID)
    harness: BotHarness = await make_harness(**{"approval_min_audience": "3", **settings})
    for user_id in (SECOND_ADMIN_ID, EDITOR_ID):
        await harness.chat(user_id, "Борис" if user_id == EDITOR_ID else "Вера").send("/start")
    return harness


async def audit_actions(pool: asyncpg.Pool) -> list[tuple[int, str]]:
    return [(r["admin_id"], r["action"]) for r in await pool.fetch(
        "SELECT admin_id, action FROM admin_audit_log WHERE action LIKE 'broadcast.%'"
        " ORDER BY id")]


async def test_a_big_broadcast_waits_for_approval_then_goes(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    ids = await add_members(pool, 3)
    harness = await bot_with_editor(make_harness, pool)
    author = await compose_to_stream(harness, emulator, "4-й поток · 3", text="Урок в 19:00",
                                     entities=[])
    await author.click("🚀 Отправить сейчас")
    assert author.last().text.startswith(
        "🖐 Рассылка #1 ждёт одобрения: она большая, её должен одобрить ещё один редактор "
        "или владелец. Запрос отправлен 2 людям")
    assert await pool.fetchval("SELECT status FROM message_history") == "awaiting_approval"
    assert not any(sends_to(emulator, harness.token)[i] for i in ids)  # nothing before approval
    editor = harness.chat(EDITOR_ID)
    preview, request = editor.messages()[-2:]
    assert preview.text == "Урок в 19:00"  # the message as recipients get it
    assert request.text.startswith(REQUEST)
    assert "Автор: Анна · 501" in request.text and "Аудитория: 4-й поток · 3 получателя" in request.text
    assert "Когда: сразу после одобрения" in request.text
    assert editor.buttons() == ["✅ Одобрить", "❌ Отклонить (с причиной)"]
    await author.press_forged("ap:ok:1:b")  # the author may not approve their own
    assert author.callback_answer()["text"] == "Свою рассылку одобряет кто-то другой."
    await editor.click("✅ Одобрить")
    assert editor.last().text.endswith("✅ Вы одобрили рассылку #1.") and not editor.buttons()
    await wait_status(pool, 1, "done")
    assert all(sends_to(emulator, harness.token)[i] == 1 for i in ids)
    assert "✅ Борис · 601 одобрил(а) рассылку #1: она отправляется." in [
        m.text for m in author.messages()]
    vera = harness.chat(SECOND_ADMIN_ID)
    await vera.click("✅ Одобрить")  # too late: decided
    assert vera.callback_answer()["text"] == "Эту рассылку уже одобрил(а) Борис · 601."
    assert await audit_actions(pool) == [(ADMIN_ID, "broadcast.submit"),
                                         (EDITOR_ID, "broadcast.approve"),
                                         (EDITOR_ID, "broadcast.send")]


async def test_a_rejected_broadcast_is_not_sent_and_the_author_reads_why(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    ids = await add_members(pool, 3)
    harness = await bot_with_editor(make_harness, pool)
    author = await compose_to_stream(harness, emulator, "4-й поток · 3", text="Скидка 90%",
                                     entities=[])
    await author.click("🚀 Отправить сейчас")
    editor = harness.chat(EDITOR_ID)
    await editor.click("❌ Отклонить (с причиной)")
    assert editor.last().text.startswith("Почему отклонить рассылку #1?")
    assert editor.buttons() == ["✖️ Отмена"]
    await editor.send("Скидка не согласована")
    assert editor.last().text == "❌ Рассылка #1 отклонена, автору сказано почему."
    assert author.last().text == ("❌ Борис · 601 отклонил(а) рассылку #1. Причина: Скидка не "
                                  "согласована\nНичего не отправлено.")
    row = await pool.fetchrow("SELECT status, rejection_reason, approved_by FROM message_history")
    assert tuple(row) == ("cancelled", "Скидка не согласована", EDITOR_ID)
    assert not any(sends_to(emulator, harness.token)[i] for i in ids)
    assert (EDITOR_ID, "broadcast.reject") in await audit_actions(pool)
    assert not editor.messages()[-3].buttons()  # the request is decided: no buttons left


async def test_a_scheduled_one_nobody_approved_waits_and_says_so(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    ids = await add_members(pool, 3)
    harness = await bot_with_editor(make_harness, pool)
    author = await compose_to_stream(harness, emulator, "4-й поток · 3", text="Напоминание",
                                     entities=[])
    await author.click("🕒 Запланировать")
    await author.send("через 1 минуту")
    assert author.last().text.startswith("🖐 Рассылка #1 ждёт одобрения")
    # its time comes with no one approving (moved to the past rather than waiting a minute)
    await pool.execute("UPDATE message_history SET scheduled_at = now() - interval '1 second'")
    await wait_until(lambda: any(m.text.startswith("⏳ Рассылка #1 должна была уйти")
                                 for m in author.messages()), timeout=30)
    await asyncio.sleep(1.5)  # the scheduler looked for due broadcasts meanwhile
    assert await pool.fetchval("SELECT status FROM message_history") == "awaiting_approval"
    assert not any(sends_to(emulator, harness.token)[i] for i in ids)
    await author.send("/scheduled")
    assert "«Напоминание» · ⏳ ждёт одобрения" in author.last().text
    assert author.buttons() == ["📣 Новая рассылка", "⬅️ Меню"]  # no card: nothing to change yet
    await harness.chat(EDITOR_ID).click("✅ Одобрить")
    await wait_status(pool, 1, "done")
    assert all(sends_to(emulator, harness.token)[i] == 1 for i in ids)


async def test_two_approvers_at_once_start_one_broadcast(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    ids = await add_members(pool, 5)
    harness = await bot_with_editor(make_harness, pool)
    author = await compose_to_stream(harness, emulator, "4-й поток · 5", entities=[])
    await author.click("🚀 Отправить сейчас")
    token = harness.token
    await asyncio.gather(emulator.press(token, EDITOR_ID, "✅ Одобрить"),
                         emulator.press(token, SECOND_ADMIN_ID, "✅ Одобрить"))
    await harness.settle()
    await wait_status(pool, 1, "done")
    actions = [a for _who, a in await audit_actions(pool)]
    assert actions.count("broadcast.approve") == 1 and actions.count("broadcast.send") == 1
    assert await pool.fetchval("SELECT count(*) FROM message_recipients") == 5
    assert all(sends_to(emulator, token)[i] == 1 for i in ids)


async def test_an_owner_may_send_alone_when_the_team_allows(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    await add_members(pool, 3)
    harness = await bot_with_editor(make_harness, pool)
    owner = harness.chat(ADMIN_ID)
    await owner.send("/team")
    assert "рассылки от 3 получателей и «всем» ждут второго (APPROVAL_MIN_AUDIENCE)" \
        in owner.last().text
    await owner.click("👑 Владелец без одобрения: выкл")
    author = await compose_to_stream(harness, emulator, "4-й поток · 3", entities=[])
    await author.click("🚀 Отправить сейчас")
    await wait_status(pool, 1, "done")
    assert await pool.fetchval("SELECT approved_by FROM message_history") is None
    # the owner turns approval off from the team screen; the health screen says so
    await owner.send("/team")
    await owner.click("✅ Одобрение: 3")
    assert "✖️ Отмена" in owner.buttons()
    await owner.send("сто")
    assert owner.last().text == "Пришлите целое число получателей (например, 100) или off."
    await owner.send("off")
    assert "Одобрение больших рассылок: выключено (задано здесь)" in owner.last().text
    await owner.send("/menu")
    await owner.click("🩺 Состояние")
    assert "Одобрение больших рассылок: выключено (задано здесь)" in owner.last().text
    assert [r["key"] for r in await pool.fetch(
        "SELECT details->>'to' AS key FROM admin_audit_log WHERE action = 'team.setting'"
        " ORDER BY id")] == ["true", "0"]
