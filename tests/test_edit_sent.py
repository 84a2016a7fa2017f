"""Fixing a sent broadcast from its history card: the new text (caption) or buttons in every
chat that got it, through the emulator, paced, restart-safe, refused when Telegram can't."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from bot.db import broadcasts as db
from bot.db.audiences import Audience
from bot.db.broadcasts import Content
from bot.keyboards.history import Hist, HistoryCallback
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import ADMIN_ID, BotHarness, ChatClient
from bot.services import offers
from support import (STREAM, add_members, buttons_lead_to, compose_to_stream, service,
                     wait_recalled, wait_status, wait_until)
from test_safe_sending import MOSCOW, Clock

pytestmark = pytest.mark.unpaced_chats

SIGN_UP = ("Записаться", "https://vibe.example/signup")


async def _sent(harness: BotHarness, pool: asyncpg.Pool, content: Content) -> db.Broadcast:
    launched = await service(harness).launch(content, Audience("stream", stream=STREAM), ADMIN_ID)
    return await wait_status(pool, launched.broadcast.id, "done")


async def _card(harness: BotHarness, broadcast_id: int) -> ChatClient:
    admin = harness.chat(ADMIN_ID)
    await admin.send("/history")
    await admin.click(data=HistoryCallback(action=Hist.OPEN, id=broadcast_id).pack())
    assert admin.last().text.startswith(f"Рассылка #{broadcast_id}")
    return admin


async def _edits_done(pool: asyncpg.Pool, broadcast_id: int, count: int) -> None:
    await wait_until(lambda: pool.fetchval(
        "SELECT count(*) = $2 FROM broadcast_edits WHERE broadcast_id = $1 AND status = 'done'",
        broadcast_id, count), what="the edit did not finish")


def _edit_calls(emulator: Emulator, method: str) -> list[int]:
    """The recipients' chats each successful call of this method went to (not the admin's)."""
    return [int(c.params["chat_id"]) for c in emulator.calls
            if c.method == method and c.ok and int(c.params["chat_id"]) != ADMIN_ID]


async def test_a_text_fix_then_a_buttons_fix_reach_every_chat_and_the_card_counts_them(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    members = await add_members(pool, 20)
    broadcast = await _sent(harness, pool, Content("text", "Урок в 19:00, {first_name}",
                                                   buttons=((SIGN_UP,),)))
    # two copies Telegram would not let edit any more
    await pool.execute("UPDATE message_recipients SET sent_at = now() - interval '49 hours'"
                       " WHERE message_id = $1 AND user_id = ANY($2::bigint[])",
                       broadcast.id, members[:2])
    admin = await _card(harness, broadcast.id)
    await admin.click("✏️ Исправить")
    assert "Пришлите исправленный текст целиком" in admin.last().text
    await emulator.send_text(harness.token, ADMIN_ID, "Урок в 20:00, {first_name}!",
                             entities=[{"type": "bold", "offset": 7, "length": 5}])
    await harness.settle()
    preview, question = admin.messages()[-2:]
    assert preview.text == "Урок в 20:00, Анна!"
    assert [b["text"] for b in preview.buttons()] == ["Записаться"]
    assert "Исправить текст рассылки #%d у 20 получателей?" % broadcast.id in question.text
    assert "2 копии старше 48 часов Telegram исправить не даст" in question.text
    await admin.click("✅ Исправить у всех")
    await _edits_done(pool, broadcast.id, 1)

    for member in members[2:]:
        [copy] = emulator.bot_messages(harness.token, member)
        assert copy.text == "Урок в 20:00, Маша!" and copy.edit_date
        assert [e["type"] for e in copy.entities] == ["bold"]
        # the button is still the recipient's own tracked link: clicks keep being counted
        assert await buttons_lead_to(copy, harness.url) == [SIGN_UP]
    for member in members[:2]:
        assert emulator.bot_messages(harness.token, member)[0].text == "Урок в 19:00, Маша"
    report = await wait_until(lambda: [m.text for m in admin.messages()
                                       if "исправлена" in m.text and "Исправлено" in m.text])
    assert "Исправлено в чатах: 18" in report[-1]  # type: ignore[index]
    assert "Не исправить, старше 48 часов: 2" in report[-1]  # type: ignore[index]
    stored = await db.get(pool, broadcast.id)
    assert stored is not None and stored.content.html == "Урок в <b>20:00</b>, {first_name}!"

    # the buttons alone: editMessageReplyMarkup, the text stays
    admin = await _card(harness, broadcast.id)
    assert "✏️ Исправлена 1 раз" in admin.last().text
    await admin.click("✏️ Исправить")
    await admin.click("🔗 Только кнопки")
    assert "Записаться | https://vibe.example/signup" in admin.last().text
    await admin.send("Купить | https://vibe.example/buy\nСайт | https://vibe.example")
    assert [b["text"] for b in admin.messages()[-2].buttons()] == ["Купить", "Сайт"]
    assert "Исправить кнопки рассылки" in admin.last().text
    await admin.click("✅ Исправить у всех")
    await _edits_done(pool, broadcast.id, 2)
    assert sorted(_edit_calls(emulator, "editMessageReplyMarkup")) == members[2:]
    for member in members[2:]:
        [copy] = emulator.bot_messages(harness.token, member)
        assert copy.text == "Урок в 20:00, Маша!"
        assert await buttons_lead_to(copy, harness.url) == [
            ("Купить", "https://vibe.example/buy"), ("Сайт", "https://vibe.example")]
    admin = await _card(harness, broadcast.id)
    assert "✏️ Исправлена 2 раза" in admin.last().text
    actions = await pool.fetch("SELECT action, details FROM admin_audit_log"
                               " WHERE target = $1 ORDER BY id", f"broadcast:{broadcast.id}")
    fixes = [(r["action"], r["details"].get("edited")) for r in actions
             if r["action"].startswith("broadcast.fix")]
    assert fixes == [("broadcast.fix", None), ("broadcast.fixed", 18),
                     ("broadcast.fix", None), ("broadcast.fixed", 18)]
    await admin.send("/audit")
    journal = admin.last().text
    assert "исправление у получателей" in journal and "версия 2: кнопки, копий: 20" in journal
    assert "исправление разослано" in journal
    assert "исправлено: 18, старше 48 часов: 2, не удалось: 0" in journal


async def test_a_caption_fix_keeps_the_unsubscribe_button(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    members = await add_members(pool, 5)
    photo = emulator.bot(harness.token).new_file("photo", b"\x89PNG fake").file_id
    broadcast = await _sent(harness, pool, Content("photo", "Старая подпись", photo,
                                                   unsubscribe=True))
    admin = await _card(harness, broadcast.id)
    await admin.click("✏️ Исправить")
    assert "Пришлите новую подпись текстом" in admin.last().text
    await admin.send("x" * 1025)
    assert "подпись длиннее лимита: 1025 > 1024" in admin.last().text
    await admin.send("Новая подпись")
    await admin.click("✅ Исправить у всех")
    await _edits_done(pool, broadcast.id, 1)
    assert sorted(_edit_calls(emulator, "editMessageCaption")) == members
    for member in members:
        [copy] = emulator.bot_messages(harness.token, member)
        assert copy.text == "Новая подпись" and copy.file is not None
        assert [b["text"] for b in copy.buttons()] == ["Отписаться от рассылок"]
        assert copy.buttons()[0]["url"].startswith(harness.url + "/u/")


async def test_what_cannot_be_fixed_is_refused_before_anything_is_sent(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    members = await add_members(pool, 3)
    broadcast = await _sent(harness, pool, Content("text", "Текст"))
    admin = await _card(harness, broadcast.id)
    await admin.click("✏️ Исправить")
    await emulator.send_file(harness.token, ADMIN_ID, "photo", b"img", caption="подпись")
    await harness.settle()
    assert "Telegram не превращает текст в фото или файл" in admin.last().text
    await admin.send("я" * 4097)
    assert "текст длиннее лимита: 4097 > 4096" in admin.last().text
    await admin.click("✖️ Отмена")
    await admin.send("/history")  # a recall asked for: no fix
    await pool.execute("UPDATE message_history SET recall_status = 'requested' WHERE id = $1",
                       broadcast.id)
    await admin.press_forged(HistoryCallback(action=Hist.EDIT, id=broadcast.id).pack())
    assert admin.callback_answer()["text"] == "Рассылка отзывается — исправлять нечего."
    # the engine carries the recall out and reports it: before the next card, not over it
    await wait_recalled(pool, broadcast.id)
    await wait_until(lambda: any("отозвана" in m.text for m in admin.messages()))
    # nobody got it: no button, and a forged press is refused
    for member in members:
        await emulator.set_blocked(harness.token, member)
    blocked = await _sent(harness, pool, Content("text", "Никому"))
    admin = await _card(harness, blocked.id)
    assert "✏️ Исправить" not in admin.buttons()
    await admin.press_forged(HistoryCallback(action=Hist.EDIT, id=blocked.id).pack())
    assert admin.callback_answer()["text"] == "Исправлять нечего: рассылка никому не доставлена."
    assert await pool.fetchval("SELECT count(*) FROM broadcast_edits") == 0
    assert not [c for c in emulator.calls if c.method.startswith("editMessage")
                and int(c.params.get("chat_id", 0)) in members]


async def test_a_restart_in_the_middle_resumes_and_edits_no_copy_twice(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    from bot.services.edits import request_edit
    members = await add_members(pool, 90)
    first = await make_harness()
    broadcast = await _sent(first, pool, Content("text", "Было", buttons=((SIGN_UP,),)))
    edit = await request_edit(pool, broadcast.id, ADMIN_ID, html="Стало", buttons=None,
                              links_base=first.settings.links_base)
    assert not isinstance(edit, str)
    await wait_until(lambda: pool.fetchval("SELECT edited >= 20 FROM broadcast_edits"
                                           " WHERE id = $1", edit.id))
    await first.stop()  # in the middle: about 30 copies a second
    halfway = await pool.fetchval("SELECT edited FROM broadcast_edits WHERE id = $1", edit.id)
    assert halfway < 90

    second = await make_harness()
    await _edits_done(pool, broadcast.id, 1)
    edited = _edit_calls(emulator, "editMessageText")
    assert sorted(set(edited)) == members and len(edited) == 90  # each copy once
    for member in members:
        [copy] = emulator.bot_messages(second.token, member)
        assert copy.text == "Стало" and [b["text"] for b in copy.buttons()] == ["Записаться"]
    row = await pool.fetchrow("SELECT edited, too_old, failures FROM broadcast_edits"
                              " WHERE id = $1", edit.id)
    assert (row["edited"], row["too_old"], row["failures"]) == (90, 0, {})


async def test_an_offer_button_is_taken_off_every_copy_at_its_end_and_not_before(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(datetime.now(UTC))
    harness = await make_harness(clock=clock)
    members = await add_members(pool, 5)
    admin = await compose_to_stream(harness, emulator, "4-й поток · 5")
    await admin.click("🔗 Кнопки")
    await admin.click("➕ Добавить кнопку")
    await admin.send("Записаться")
    assert "| до 23:59 пт" in admin.last().text  # the help says how to give an end
    await admin.send("https://vibe.example/signup | до завтра 18:00")
    end = (datetime.now(MOSCOW) + timedelta(days=1)).replace(hour=18, minute=0, second=0,
                                                              microsecond=0)
    assert f"⏳ Кнопка «Записаться» исчезнет у всех получателей {end:%d.%m %H:%M}" in [
        m.text for m in admin.messages()][-3]
    await admin.click("🔗 Кнопки")
    assert f"Записаться → https://vibe.example/signup · до {end:%d.%m %H:%M}" in admin.last().text
    await admin.click("➕ Добавить кнопку")
    await admin.send("Сайт")
    await admin.send("https://vibe.example")
    await admin.click("🚀 Отправить сейчас")
    broadcast_id = await pool.fetchval("SELECT max(id) FROM message_history")
    await wait_status(pool, broadcast_id, "done")
    for member in members:
        assert [b["text"] for b in emulator.bot_messages(harness.token, member)[0].buttons()] == \
            ["Записаться", "Сайт"]

    card = await _card(harness, broadcast_id)
    assert f"⏳ Кнопка «Записаться» исчезнет у всех получателей {end:%d.%m %H:%M}" in \
        card.last().text
    clock.at = end - timedelta(minutes=1)
    await asyncio.sleep(offers.CHECK_SECONDS + 1)  # the scheduler has looked: not yet
    assert await pool.fetchval("SELECT count(*) FROM broadcast_edits") == 0
    clock.at = end + timedelta(seconds=1)
    await _edits_done(pool, broadcast_id, 1)
    for member in members:
        [copy] = emulator.bot_messages(harness.token, member)
        # the other button keeps its own tracked link
        assert await buttons_lead_to(copy, harness.url) == [("Сайт", "https://vibe.example")]
    stored = await db.get(pool, broadcast_id)
    assert stored is not None and stored.content.gone == (0,)
    actions = await pool.fetch("SELECT admin_id, action, details FROM admin_audit_log"
                               " WHERE target = $1 AND action LIKE 'broadcast.fix%' ORDER BY id",
                               f"broadcast:{broadcast_id}")
    assert [(r["admin_id"], r["action"], r["details"]["reason"]) for r in actions] == [
        (0, "broadcast.fix", "expired"), (0, "broadcast.fixed", "expired")]
    await wait_until(lambda: any("у предложения вышел срок" in m.text for m in admin.messages()))
    card = await _card(harness, broadcast_id)
    assert "⏳ Кнопка «Записаться» снята: срок предложения вышел" in card.last().text
    assert "Исправлена" not in card.last().text  # an offer running out is no admin's fix


async def test_an_ended_offer_can_leave_a_line_in_its_place_in_every_copy(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(datetime.now(UTC))
    harness = await make_harness(clock=clock)
    members = await add_members(pool, 4)
    admin = await compose_to_stream(harness, emulator, "4-й поток · 4")
    await admin.click("🔗 Кнопки")
    await admin.click("➕ Добавить кнопку")
    await admin.send("Записаться")
    assert "| до 23:59 пт | Запись закрыта" in admin.last().text  # the help gives the syntax
    await admin.send("https://vibe.example/signup |  | Запись закрыта")  # no end: refused
    assert "Сначала срок, потом текст взамен" in admin.last().text
    await admin.send("https://vibe.example/signup | до завтра 18:00 | Запись  закрыта")
    end = (datetime.now(MOSCOW) + timedelta(days=1)).replace(hour=18, minute=0, second=0,
                                                              microsecond=0)
    noted = (f"⏳ Кнопка «Записаться» исчезнет у всех получателей {end:%d.%m %H:%M}. "
             "Вместо неё в конце сообщения появится строка «Запись закрыта».")
    assert noted in [m.text for m in admin.messages()][-3]
    assert noted in admin.last().text  # the summary before sending says it too
    await admin.click("🔗 Кнопки")
    assert f"Записаться → https://vibe.example/signup · до {end:%d.%m %H:%M}, затем «Запись " \
           "закрыта»" in admin.last().text
    await admin.click("➕ Добавить кнопку")
    await admin.send("Сайт")
    await admin.send("https://vibe.example")
    await admin.click("🚀 Отправить сейчас")
    broadcast_id = await pool.fetchval("SELECT max(id) FROM message_history")
    await wait_status(pool, broadcast_id, "done")
    sent = {m: emulator.bot_messages(harness.token, m)[0].text for m in members}
    assert all(not text.endswith("Запись закрыта") for text in sent.values())
    card = await _card(harness, broadcast_id)
    assert noted in card.last().text

    clock.at = end + timedelta(seconds=1)
    await _edits_done(pool, broadcast_id, 1)
    for member in members:
        [copy] = emulator.bot_messages(harness.token, member)
        assert copy.text == sent[member] + "\n\nЗапись закрыта" and copy.edit_date
        assert await buttons_lead_to(copy, harness.url) == [("Сайт", "https://vibe.example")]
    assert sorted(_edit_calls(emulator, "editMessageText")) == sorted(members)
    stored = await db.get(pool, broadcast_id)
    assert stored is not None and stored.content.gone == (0,)
    assert stored.content.html.endswith("\n\n<i>Запись закрыта</i>")
    await wait_until(lambda: any("кнопка заменена строкой в конце сообщения" in m.text
                                 for m in admin.messages()))
    card = await _card(harness, broadcast_id)
    assert "⏳ Кнопка «Записаться» снята: срок предложения вышел; вместо неё в сообщении строка " \
           "«Запись закрыта»" in card.last().text
