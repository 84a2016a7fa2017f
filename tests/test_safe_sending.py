"""Safe sending: the frequency cap, quiet hours and the unsubscribe link, driven as an admin
drives them (the composer's buttons) or from code, with Telegram emulated and the database
checked."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from aiohttp import ClientSession

from bot.app import ENGINE_KEY
from bot.db import broadcasts as db
from bot.db import summaries
from bot.db.audiences import Audience
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import ADMIN_ID, BotHarness
from support import (STREAM, Clock, add_members, compose_to_stream, launch_text, sends_to,
                     service, wait_status, wait_until)


async def _statuses(pool: asyncpg.Pool, broadcast_id: int) -> dict[int, str]:
    return dict(await pool.fetch("SELECT user_id, delivery_status FROM message_recipients"
                                 " WHERE message_id = $1", broadcast_id))


async def _audit(pool: asyncpg.Pool, action: str) -> list[asyncpg.Record]:
    return await pool.fetch("SELECT admin_id, target, details FROM admin_audit_log"
                            " WHERE action = $1 ORDER BY id", action)


# ---- the frequency cap ----------------------------------------------------------------------

@pytest.mark.unpaced_chats
async def test_the_cap_skips_who_got_enough_lately_and_the_author_may_lift_it(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    members = await add_members(pool, 6)
    twice, personal, once = members[:2], members[2], members[3]
    # two broadcasts to the first two, one to the fourth; two personal messages to the third
    # (the user card's «write»: not broadcasts) and a test send (leaves no rows at all)
    for text, people in (("Первая", (*twice, once)), ("Вторая", twice)):
        await wait_status(pool, (await launch_text(harness, text, Audience(
            "users", user_ids=tuple(people)))).id, "done")
    for text in ("Лично 1", "Лично 2"):
        await wait_status(pool, (await launch_text(harness, text, Audience(
            "users", user_ids=(personal,)))).id, "done")
    await summaries.refresh(pool, "Europe/Moscow")  # the list names people from the directory

    admin = await compose_to_stream(harness, emulator, "4-й поток · 6")
    summary = admin.last().text
    assert "⏱ Лимит частоты (2 за 24 ч): 2 человека уже получили столько рассылок — их " \
           "пропустим" in summary
    assert "Получат: 4\n" in summary
    assert "⏱ Лимит частоты: соблюдать" in admin.buttons()
    await admin.click("👀 Кого пропустим · 2")
    shown = admin.last().text
    assert "Пропустим по лимиту частоты: 2 человека (уже получили 2 за 24 ч)" in shown
    for user_id in twice:
        assert f"Маша · @user{user_id} · {user_id} — рассылок: 2" in shown
    assert str(personal) not in shown and str(once) not in shown
    await admin.click("📄 CSV")
    document = admin.last()
    assert document.kind == "document" and "2 человека" in document.text
    rows = document.file.content.decode("utf-8-sig").splitlines()  # type: ignore[union-attr]
    assert rows == ["user_id,username,first_name,email,broadcasts",
                    f"{twice[0]},user{twice[0]},Маша,,2", f"{twice[1]},user{twice[1]},Маша,,2"]
    await admin.click("↩️ Назад")
    await admin.click("🚀 Отправить сейчас")
    capped_id = await pool.fetchval("SELECT max(id) FROM message_history")
    done = await wait_status(pool, capped_id, "done")
    assert (done.total, done.sent, done.capped) == (4, 4, 2)
    statuses = await _statuses(pool, capped_id)
    assert {u for u, s in statuses.items() if s == "capped"} == set(twice)
    received = sends_to(emulator, harness.token)
    assert [received[u] for u in members] == [2, 2, 3, 2, 1, 1]
    (entry,) = await _audit(pool, "broadcast.capped")
    assert entry["target"] == f"broadcast:{capped_id}"
    assert entry["details"] == {"cap": "2/24h", "skipped": 2}
    # «repeat failed» never reaches the capped
    await pool.execute("UPDATE message_recipients SET delivery_status = 'failed'"
                       " WHERE message_id = $1 AND user_id = $2", capped_id, members[4])
    assert await service(harness).resend(capped_id, ADMIN_ID, "failed") == 1
    await wait_status(pool, capped_id, "done")
    assert [sends_to(emulator, harness.token)[u] for u in members] == [2, 2, 3, 2, 2, 1]
    assert {u for u, s in (await _statuses(pool, capped_id)).items() if s == "capped"} \
        == set(twice)

    # now the fourth got two as well; the author lifts the cap for this one broadcast
    admin = await compose_to_stream(harness, emulator, "4-й поток · 6")
    assert "3 человека уже получили столько рассылок" in admin.last().text
    await admin.click("⏱ Лимит частоты: соблюдать")
    summary = admin.last().text
    assert "⏱ Лимит частоты снят: получат и те 3, кому уже пришло 2 за 24 ч" in summary
    assert "Получат: 6\n" in summary
    assert "⏱ Лимит частоты: снят" in admin.buttons()
    await admin.click("🚀 Отправить сейчас")
    lifted_id = await pool.fetchval("SELECT max(id) FROM message_history")
    done = await wait_status(pool, lifted_id, "done")
    assert (done.total, done.sent, done.capped, done.frequency_cap_off) == (6, 6, 0, True)
    (entry,) = await _audit(pool, "broadcast.cap_override")
    assert (entry["admin_id"], entry["target"]) == (ADMIN_ID, f"broadcast:{lifted_id}")


async def test_without_a_cap_nobody_is_skipped(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    harness = await make_harness(frequency_cap="off")
    members = await add_members(pool, 3)
    for text in ("Раз", "Два", "Три"):
        done = await wait_status(pool, (await launch_text(harness, text)).id, "done")
        assert (done.sent, done.capped) == (3, 0)
    assert all(sends_to(emulator, harness.token)[u] == 3 for u in members)
    assert await _audit(pool, "broadcast.capped") == []


# ---- quiet hours ------------------------------------------------------------------------------

MOSCOW = ZoneInfo("Europe/Moscow")


def tonight(hour: int, minute: int = 0, second: int = 0, days: int = 0) -> datetime:
    """A moment of this evening (or `days` later) in Moscow, as the bot's clock gives it."""
    today = datetime.now(MOSCOW).date() + timedelta(days=days)
    return datetime(today.year, today.month, today.day, hour, minute, second, tzinfo=MOSCOW)


async def _quiet_until(pool: asyncpg.Pool, broadcast_id: int) -> datetime | None:
    return await pool.fetchval("SELECT quiet_until FROM message_history WHERE id = $1",
                               broadcast_id)


async def _held_still(emulator: Emulator, token: str, members: list[int],
                      seconds: float = 2.0) -> int:
    """What the members got so far, checked to stay the same for `seconds` (requests already
    on the wire when the hours began may land first)."""
    await asyncio.sleep(0.6)
    before = sum(sends_to(emulator, token)[u] for u in members)
    await asyncio.sleep(seconds)
    assert sum(sends_to(emulator, token)[u] for u in members) == before
    return before


async def test_quiet_hours_pause_a_broadcast_and_it_resumes_when_they_end(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(tonight(21, 59, 50))
    harness = await make_harness(quiet_hours="22:00-09:00", broadcast_rate=5, clock=clock)
    members = await add_members(pool, 30)
    broadcast = await launch_text(harness, "Вечерний урок")
    await wait_until(lambda: sum(sends_to(emulator, harness.token)[u] for u in members) >= 4)
    clock.at = tonight(22, 0, 0)
    morning = tonight(9, days=1)
    await wait_until(lambda: _quiet_until(pool, broadcast.id), 5, "no pause at 22:00")
    assert await _quiet_until(pool, broadcast.id) == morning
    got = await _held_still(emulator, harness.token, members)
    assert 4 <= got < 30
    held = await db.get(pool, broadcast.id)
    assert held is not None and held.status == "sending" and held.pending == 30 - got
    progress = emulator.chat(harness.token, ADMIN_ID).messages[held.progress_message_id]  # type: ignore[index]
    assert f"🌙 Тихие часы: рассылка ждёт и продолжится {morning:%d.%m} 09:00" in progress.text
    (pause,) = await _audit(pool, "broadcast.quiet_pause")
    assert (pause["admin_id"], pause["target"]) == (0, f"broadcast:{broadcast.id}")
    assert datetime.fromisoformat(pause["details"]["until"]) == morning
    assert await _audit(pool, "broadcast.quiet_resume") == []

    clock.at = tonight(8, 59, 59, days=1)  # still quiet: nothing moves
    await _held_still(emulator, harness.token, members, 1.0)
    clock.at = morning
    done = await wait_status(pool, broadcast.id, "done", timeout=30)
    assert done.sent == 30 and done.quiet_until is None
    assert all(sends_to(emulator, harness.token)[u] == 1 for u in members)
    assert len(await _audit(pool, "broadcast.quiet_pause")) == 1
    assert len(await _audit(pool, "broadcast.quiet_resume")) == 1
    admin = harness.chat(ADMIN_ID)  # the journal says the quiet hours did it, not a schedule
    await admin.send("/audit")
    journal = admin.last().text
    assert f" · 🌙 тихие часы · тихие часы: рассылка ждёт · рассылка #{broadcast.id}" in journal
    assert " · 🌙 тихие часы · тихие часы кончились: рассылка продолжена" in journal
    assert "по расписанию" not in journal


async def test_a_restart_during_quiet_hours_waits_and_resumes_once(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    evening = Clock(tonight(21, 59, 55))
    first = await make_harness(quiet_hours="22:00-09:00", broadcast_rate=5, clock=evening)
    members = await add_members(pool, 25)
    broadcast = await launch_text(first, "Напоминание")
    await wait_until(lambda: sum(sends_to(emulator, first.token)[u] for u in members) >= 3)
    evening.at = tonight(22, 30)
    await wait_until(lambda: _quiet_until(pool, broadcast.id), 5, "no pause at 22:00")
    await first.stop()  # the bot stops in the night ...
    night = Clock(tonight(23, 45))
    second = await make_harness(quiet_hours="22:00-09:00", broadcast_rate=5, clock=night)
    await wait_until(lambda: second.app[ENGINE_KEY].is_leader, 10, "the new start did not lead")
    got = await _held_still(emulator, second.token, members, 3.0)  # ... and starts again in it
    assert got < 25 and (await db.get(pool, broadcast.id)).status == "sending"  # type: ignore[union-attr]
    assert len(await _audit(pool, "broadcast.quiet_pause")) == 1  # one pause, not one per start
    night.at = tonight(9, 0, 1, days=1)
    done = await wait_status(pool, broadcast.id, "done", timeout=30)
    assert done.sent == 25 and done.unknown == 0
    assert all(sends_to(emulator, second.token)[u] == 1 for u in members)  # nobody twice
    assert len(await _audit(pool, "broadcast.quiet_resume")) == 1


@pytest.mark.unpaced_chats
async def test_send_now_and_a_time_inside_quiet_hours_ask_first(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(tonight(23, 10))
    harness = await make_harness(quiet_hours="22:00-09:00", clock=clock)
    members = await add_members(pool, 3)
    admin = await compose_to_stream(harness, emulator, "4-й поток · 3")
    await admin.click("🚀 Отправить сейчас")
    morning = tonight(9, days=1)
    assert "🌙 Сейчас тихие часы (22:00–09:00, Europe/Moscow): рассылки в это время не " \
           f"уходят.\nОтправить всё равно сейчас или когда они закончатся, " \
           f"{morning:%d.%m} 09:00?" in admin.last().text
    assert admin.buttons() == ["🌙 Всё равно сейчас",
                               f"🕘 Когда закончатся · {morning:%d.%m} 09:00", "↩️ Назад"]
    assert await pool.fetchval("SELECT count(*) FROM message_history") == 0
    await admin.click(f"🕘 Когда закончатся · {morning:%d.%m} 09:00")
    scheduled = await pool.fetchrow("SELECT id, status, scheduled_at, quiet_hours_off"
                                    " FROM message_history")
    assert (scheduled["status"], scheduled["scheduled_at"], scheduled["quiet_hours_off"]) == (
        "scheduled", morning, False)
    assert f"запланирована на {morning:%d.%m.%Y} 09:00" in admin.last().text

    # all the same, now: it goes at once, through the quiet hours
    admin = await compose_to_stream(harness, emulator, "4-й поток · 3")
    await admin.click("🚀 Отправить сейчас")
    await admin.click("🌙 Всё равно сейчас")
    sent_id = await pool.fetchval("SELECT max(id) FROM message_history")
    done = await wait_status(pool, sent_id, "done")
    assert done.sent == 3 and done.quiet_hours_off and done.quiet_until is None
    assert all(sends_to(emulator, harness.token)[u] == 1 for u in members)
    (override,) = await _audit(pool, "broadcast.quiet_override")
    assert (override["admin_id"], override["target"]) == (ADMIN_ID, f"broadcast:{sent_id}")

    # a time picked inside them asks the same
    year = datetime.now(MOSCOW).year + 1
    admin = await compose_to_stream(harness, emulator, "4-й поток · 3")
    await admin.click("🕒 Запланировать")
    await admin.send(f"{year}-01-15 23:30")
    assert f"🌙 15.01.{year} 23:30 — тихие часы (22:00–09:00, Europe/Moscow)" in admin.last().text
    await admin.click(f"🕘 Когда закончатся · 16.01.{year} 09:00")
    at = await pool.fetchval("SELECT scheduled_at FROM message_history WHERE id > $1", sent_id)
    assert at == datetime(year, 1, 16, 9, tzinfo=MOSCOW)

    # the settings are on the status screen
    await admin.send("/menu")
    await admin.click("🩺 Состояние")
    status = admin.last().text
    assert "Лимит частоты: не больше 2 рассылок за 24 ч (FREQUENCY_CAP)" in status
    assert "Тихие часы: 22:00–09:00 (Europe/Moscow), рассылки ждут их конца" in status


# ---- unsubscribing -----------------------------------------------------------------------------

async def _get(url: str) -> tuple[int, str]:
    async with ClientSession() as http, http.get(url, allow_redirects=False) as response:
        return response.status, await response.text()


def _unsubscribe_url(emulator: Emulator, token: str, user_id: int) -> str:
    buttons = emulator.bot_messages(token, user_id)[-1].buttons()
    assert buttons[-1]["text"] == "Отписаться от рассылок", buttons
    return buttons[-1]["url"]


@pytest.mark.unpaced_chats
async def test_an_unsubscribe_holds_for_every_broadcast_until_the_person_undoes_it(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    members = await add_members(pool, 3)
    leaving, english, staying = members
    await pool.execute("INSERT INTO events (user_id, event_type, details) VALUES"
                       " ($1, 'menu_opened', '{\"language_code\": \"en-GB\"}')", english)
    # everyone: the button is there by default
    admin = await compose_to_stream(harness, emulator, "Все пользователи · 3")
    assert "🔕 Под сообщением кнопка «Отписаться от рассылок»" in admin.last().text
    assert "🔕 Кнопка отписки: есть" in admin.buttons()
    preview = admin.messages()[-2]
    assert preview.buttons()[-1] == {"text": "Отписаться от рассылок",
                                     "url": f"{harness.url}/u/preview"}
    await admin.click("🚀 Отправить сейчас")
    first = await wait_status(pool, await pool.fetchval("SELECT max(id) FROM message_history"),
                              "done")
    assert first.sent == 3 and first.content.unsubscribe
    url = _unsubscribe_url(emulator, harness.token, leaving)
    assert url.startswith(harness.url + "/u/")
    assert url != _unsubscribe_url(emulator, harness.token, staying)  # one per recipient

    status, page = await _get(url)  # the student presses it: the real aiohttp app answers
    assert status == 200 and "Вы отписались от рассылок" in page
    token = url.rsplit("/", 1)[1]
    assert f'href="/u/{token}/undo"' in page
    assert (await _get(url))[0] == 200  # pressed twice: still one unsubscribe
    assert await pool.fetchval("SELECT user_id FROM unsubscribed_users") == leaving
    (entry,) = await _audit(pool, "user.unsubscribe")
    assert (entry["admin_id"], entry["target"]) == (0, str(leaving))
    assert entry["details"] == {"by": "recipient", "broadcast_id": first.id}
    status, page = await _get(_unsubscribe_url(emulator, harness.token, english))
    assert status == 200 and "You have unsubscribed from broadcasts" in page  # the platform knows: English
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "x" * 50):
        assert (await _get(f"{harness.url}/u/{bad}"))[0] == 404
    assert await pool.fetchval("SELECT count(*) FROM unsubscribed_users") == 2

    # the next broadcast, to a stream this time, skips both and says so before
    admin = await compose_to_stream(harness, emulator, "4-й поток · 3")
    summary = admin.last().text
    assert "Аудитория: 4-й поток — 3 человека. 2 отписались — их пропустим." in summary
    assert "Получат: 1\n" in summary
    assert "🔕 Кнопка отписки: нет" in admin.buttons()  # not by default for a stream
    await admin.click("🚀 Отправить сейчас")
    second = await wait_status(pool, await pool.fetchval("SELECT max(id) FROM message_history"),
                               "done")
    assert (second.total, second.sent, second.unsubscribed) == (1, 1, 2)
    statuses = await _statuses(pool, second.id)
    assert statuses == {leaving: "unsubscribed", english: "unsubscribed", staying: "sent"}
    assert [sends_to(emulator, harness.token)[u] for u in members] == [1, 1, 2]
    # a personal message from the user card still goes out
    personal = await launch_text(harness, "Лично вам", Audience("users", user_ids=(leaving,)))
    assert (await wait_status(pool, personal.id, "done")).sent == 1
    assert sends_to(emulator, harness.token)[leaving] == 2

    # the undo link: broadcasts reach them again
    status, page = await _get(f"{harness.url}/u/{token}/undo")
    assert status == 200 and "Рассылки снова включены" in page and f'href="/u/{token}"' in page
    assert await pool.fetchval("SELECT count(*) FROM unsubscribed_users WHERE user_id = $1",
                               leaving) == 0
    (undo,) = await _audit(pool, "user.resubscribe")
    assert (undo["admin_id"], undo["target"], undo["details"]["by"]) == (0, str(leaving),
                                                                         "recipient")
    admin = harness.chat(ADMIN_ID)  # the journal: the student did it, named as a person
    await admin.send("/audit")
    journal = admin.last().text
    assert re.search(rf" · 🙋 сам получатель · отписка от рассылок · .*{leaving}", journal)
    assert re.search(rf" · 🙋 сам получатель · рассылки возвращены · .*{leaving}", journal)
    assert "по расписанию" not in journal
    third = await launch_text(harness, "Снова с нами", cap_off=True)  # the third one today
    done = await wait_status(pool, third.id, "done")
    assert (done.sent, done.unsubscribed) == (2, 1)
    assert [sends_to(emulator, harness.token)[u] for u in members] == [3, 1, 3]


@pytest.mark.unpaced_chats
async def test_an_admin_gives_broadcasts_back_only_with_a_reason(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    (member,) = await add_members(pool, 1)
    from bot.db.broadcasts import Content
    launched = await service(harness).launch(Content("text", "Новости", unsubscribe=True),
                                             Audience("stream", stream=STREAM), ADMIN_ID)
    await wait_status(pool, launched.broadcast.id, "done")
    assert (await _get(_unsubscribe_url(emulator, harness.token, member)))[0] == 200
    await summaries.refresh(pool, "Europe/Moscow")
    admin = harness.chat(ADMIN_ID)
    await admin.send(f"/find {member}")
    assert "🔕 Отписан(а) от рассылок с" in admin.last().text
    await admin.click("🔔 Вернуть рассылки")
    assert "Вернуть можно только с причиной" in admin.last().text
    assert admin.buttons() == ["⬅️ К карточке", "✖️ Отмена"]
    await admin.send("попросила в поддержке вернуть рассылки")
    card = admin.messages()[-1].text
    assert card.startswith("Рассылки возвращены, причина записана в журнал.")
    assert "Отписан(а)" not in card and "🔔 Вернуть рассылки" not in admin.buttons()
    assert await pool.fetchval("SELECT count(*) FROM unsubscribed_users") == 0
    (entry,) = await _audit(pool, "user.resubscribe")
    assert (entry["admin_id"], entry["target"]) == (ADMIN_ID, str(member))
    assert entry["details"] == {"by": "admin", "reason": "попросила в поддержке вернуть рассылки"}


@pytest.mark.unpaced_chats
async def test_without_a_public_address_the_composer_says_the_button_cannot_be_offered(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    await add_members(pool, 2)
    harness.dispatcher["settings"] = harness.settings.model_copy(
        update={"webhook_base_url": None, "public_base_url": None})
    admin = await compose_to_stream(harness, emulator, "Все пользователи · 2")
    assert "Кнопку «Отписаться от рассылок» не добавить: у бота нет публичного адреса " \
           "(PUBLIC_BASE_URL или WEBHOOK_BASE_URL)." in admin.last().text
    assert not any(b.startswith("🔕") for b in admin.buttons())
    assert admin.messages()[-2].buttons() == []


async def test_a_broadcast_started_inside_quiet_hours_says_it_waits_and_sends_nothing(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(tonight(23, 30))
    harness = await make_harness(quiet_hours="22:00-09:00", clock=clock)
    members = await add_members(pool, 3)
    broadcast = await launch_text(harness, "Ночная")  # from code: nobody asked the author

    async def progress_text() -> str:
        shown = await db.get(pool, broadcast.id)
        if shown is None or shown.progress_message_id is None:
            return ""
        return emulator.chat(harness.token, ADMIN_ID).messages[shown.progress_message_id].text

    morning = tonight(9, days=1)
    await wait_until(lambda: progress_text(), 10, "no progress message")
    assert f"🌙 Тихие часы: рассылка ждёт и продолжится {morning:%d.%m} 09:00" \
        in await progress_text()
    assert await _held_still(emulator, harness.token, members, 1.0) == 0
    clock.at = morning
    done = await wait_status(pool, broadcast.id, "done")
    assert done.sent == 3 and all(sends_to(emulator, harness.token)[u] == 1 for u in members)
