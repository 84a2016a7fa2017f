"""The canary and the circuit breaker: a large broadcast goes to a few first and waits (the wait
measured on the bot's clock, which the tests move), the rest goes by itself, at the author's
«Продолжить», or not at all when too many of the few blocked the bot; any broadcast pauses
when its recent results go bad. Telegram is the emulator; its blocked chats answer 403."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from bot.app import ENGINE_KEY
from bot.config import ConfigError, Safeguards, load_settings
from bot.db import broadcasts as db
from bot.db.audiences import Audience
from bot.db.broadcasts import Content
from bot.keyboards.history import Hist, HistoryCallback
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import ADMIN_ID, BotHarness
from bot.services.delivery.breaker import Judged
from bot.text.format import NBSP_THIN
from support import STREAM, Clock, add_members, compose_to_stream, link_target, sends_to, \
    service, wait_status, wait_until

MOSCOW = ZoneInfo("Europe/Moscow")
WAIT = timedelta(minutes=10)
LESSON = "https://vibe.example/lesson"


def noon() -> datetime:
    """Today at noon in Moscow: far from any quiet hours."""
    today = datetime.now(MOSCOW).date()
    return datetime(today.year, today.month, today.day, 12, tzinfo=MOSCOW)


async def _launch(harness: BotHarness, text: str = "Урок в 19:00") -> db.Broadcast:
    content = Content("text", text, buttons=((("Урок", LESSON),),))
    return (await service(harness).launch(content, Audience("stream", stream=STREAM),
                                          ADMIN_ID)).broadcast


async def _canary(pool: asyncpg.Pool, broadcast_id: int) -> set[int]:
    rows = await pool.fetch("SELECT user_id FROM message_recipients WHERE message_id = $1"
                            " AND canary", broadcast_id)
    return {r["user_id"] for r in rows}


async def _phase(pool: asyncpg.Pool, broadcast_id: int) -> str | None:
    return await pool.fetchval("SELECT canary_phase FROM message_history WHERE id = $1",
                               broadcast_id)


async def _waiting(pool: asyncpg.Pool, broadcast_id: int) -> db.Broadcast:
    async def phase_is_waiting() -> bool:
        return await _phase(pool, broadcast_id) == "waiting"
    await wait_until(phase_is_waiting, 30, "the canary did not go out")
    broadcast = await db.get(pool, broadcast_id)
    assert broadcast is not None
    return broadcast


async def _audit(pool: asyncpg.Pool, action: str) -> list[asyncpg.Record]:
    return await pool.fetch("SELECT admin_id, target, details FROM admin_audit_log"
                            " WHERE action = $1 ORDER BY id", action)


def _progress(emulator: Emulator, harness: BotHarness, broadcast: db.Broadcast) -> str:
    assert broadcast.progress_message_id is not None
    return emulator.chat(harness.token, ADMIN_ID).messages[broadcast.progress_message_id].text


@dataclass
class CanaryOut:
    """A bot whose canary starts at 100 recipients, its clock at noon, and a broadcast to
    `members` whose canary is out and waits."""

    clock: Clock
    harness: BotHarness
    members: list[int]
    waiting: db.Broadcast
    canary: set[int]


async def _canary_out(make_harness, pool: asyncpg.Pool, emulator: Emulator,  # type: ignore[no-untyped-def]
                      people: int, blocked_every: int = 0) -> CanaryOut:
    """`people`: members added first (0: those added before); `blocked_every`: every that many
    of them blocked the bot (and the bot was not told)."""
    clock = Clock(noon())
    harness = await make_harness(canary_min_audience=100, clock=clock)
    members = await add_members(pool, people) if people else await _members(pool)
    for user_id in members[::blocked_every] if blocked_every else []:
        emulator.set_chat_status(harness.token, user_id, "blocked")
    broadcast = await _launch(harness)
    waiting = await _waiting(pool, broadcast.id)
    return CanaryOut(clock, harness, members, waiting, await _canary(pool, broadcast.id))


async def _members(pool: asyncpg.Pool) -> list[int]:
    """Those added before."""
    return [r["user_id"] for r in await pool.fetch("SELECT user_id FROM bookings ORDER BY 1")]


def _received(emulator: Emulator, harness: BotHarness, members: list[int]) -> set[int]:
    got = sends_to(emulator, harness.token)
    return {u for u in members if got[u]}


def _button_url(emulator: Emulator, harness: BotHarness, user_id: int) -> str:
    (message,) = [m for m in emulator.chat(harness.token, user_id).messages.values()
                  if m.from_bot]
    return message.buttons()[0]["url"]


@pytest.mark.unpaced_chats
async def test_a_canary_goes_first_shows_its_figures_and_the_rest_goes_by_itself(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    out = await _canary_out(make_harness, pool, emulator, 120)
    clock, harness, members, waiting, canary = (out.clock, out.harness, out.members,
                                                out.waiting, out.canary)
    assert len(canary) == 50 and waiting.canary_size == 50  # 2 % of 120, but at least 50
    assert waiting.canary_until == clock.at + WAIT
    assert _received(emulator, harness, members) == canary  # nobody else yet
    (started,) = await _audit(pool, "broadcast.canary_start")
    assert (started["admin_id"], started["details"]["canary"]) == (ADMIN_ID, 50)

    # a canary recipient presses the lesson button: the figures count the click
    assert await link_target(_button_url(emulator, harness, min(canary))) == LESSON

    async def clicked() -> bool:
        return "клики 1" in _progress(emulator, harness, waiting)
    await wait_until(clicked, 10, "the click did not show on the progress message")
    text = _progress(emulator, harness, waiting)
    assert "🐤 Проверка (50 из 120): доставлено 50 · заблокировали 0 · ошибки 0 · клики 1" in text
    ends = (clock.at + WAIT).astimezone(MOSCOW)
    assert f"⏳ Остальным (70) отправлю в {ends:%d.%m %H:%M}" in text
    admin = harness.chat(ADMIN_ID)
    assert admin.buttons() == ["▶️ Продолжить", "✖️ Отменить", "✏️ Исправить"]

    clock.at += WAIT - timedelta(seconds=1)  # not yet
    await _held(emulator, harness, members, canary)
    clock.at += timedelta(seconds=1)
    done = await wait_status(pool, waiting.id, "done")
    assert done.sent == 120 and done.canary_phase == "passed"
    assert {sends_to(emulator, harness.token)[u] for u in members} == {1}  # everybody once
    (passed,) = await _audit(pool, "broadcast.canary_pass")
    assert passed["admin_id"] == 0
    assert passed["details"] == {"canary": 50, "sent": 50, "blocked": 0, "failed": 0, "clicks": 1}
    await admin.send("/audit")
    journal = admin.last().text
    assert "🛡 защита рассылки · проверка пройдена: рассылка продолжена" in journal
    assert "проверка: 50, доставлено 50, заблокировали 0, ошибки 0, клики 1" in journal
    await admin.send("/history")
    await admin.click(data=HistoryCallback(action=Hist.OPEN, id=done.id).pack())
    assert "🐤 Сначала проверка: первыми получили 50; проверка пройдена, остальным отправлено" \
        in admin.last().text


async def _held(emulator: Emulator, harness: BotHarness, members: list[int],
                canary: set[int]) -> None:
    """Nobody but the canary gets it for a while."""
    for _ in range(10):
        await asyncio.sleep(0.2)
        assert _received(emulator, harness, members) == canary


@pytest.mark.unpaced_chats
async def test_a_canary_that_many_blocked_stops_the_broadcast_and_says_why(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    out = await _canary_out(make_harness, pool, emulator, 100, blocked_every=2)  # half
    clock, harness, members, broadcast, canary = (out.clock, out.harness, out.members,
                                                  out.waiting, out.canary)
    blocked = len(canary & set(members[::2]))
    assert blocked > 2  # 50 drawn from 100, half of them blocked
    clock.at += WAIT
    stopped = await wait_status(pool, broadcast.id, "paused")
    assert stopped.canary_phase == "stopped"
    assert _received(emulator, harness, members) == canary - set(members[::2])

    async def says_why() -> bool:
        return "🛑" in _progress(emulator, harness, stopped)
    await wait_until(says_why, 10, "the progress message does not say why it stopped")
    text = _progress(emulator, harness, stopped)
    assert f"🛑 Проверка остановила рассылку: не дошло {blocked} из 50 (" in text
    assert (f"заблокировали {blocked}, ошибки 0), прошлых рассылок этой аудитории нет, сравнить "
            "не с чем, порог 5 %. Остальным не отправлено") in text
    (stop,) = await _audit(pool, "broadcast.canary_stop")
    assert stop["admin_id"] == 0
    assert (stop["details"]["blocked"], stop["details"]["seen"], stop["details"]["by"]) == (
        blocked, 50, "canary")
    assert await _audit(pool, "broadcast.canary_pass") == []

    admin = harness.chat(ADMIN_ID)  # the author cancels the rest, after a question
    assert admin.buttons()[:2] == ["▶️ Продолжить", "✖️ Отменить"]
    await admin.click("✖️ Отменить")
    assert "Отменить рассылку?" in admin.last().text
    await admin.click("Да, отменить")
    cancelled = await wait_status(pool, broadcast.id, "cancelled")
    assert cancelled.pending == 50
    assert _received(emulator, harness, members) == canary - set(members[::2])


async def _wait_shown(make_harness, pool: asyncpg.Pool,  # type: ignore[no-untyped-def]
                      emulator: Emulator) -> CanaryOut:
    """A canary of 50 out of 110, and the progress message showing that the other 60 wait."""
    out = await _canary_out(make_harness, pool, emulator, 110)

    async def shown() -> bool:
        return "⏳ Остальным (60)" in _progress(emulator, out.harness, out.waiting)
    await wait_until(shown, 10, "the wait is not shown")
    return out


@pytest.mark.unpaced_chats
async def test_the_author_lets_the_rest_go_during_the_wait(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    out = await _wait_shown(make_harness, pool, emulator)
    harness, members, waiting = out.harness, out.members, out.waiting
    admin = harness.chat(ADMIN_ID)
    await admin.click("▶️ Продолжить")  # the clock does not move: the author's word is enough
    done = await wait_status(pool, waiting.id, "done")
    assert done.sent == 110 and done.canary_phase == "passed"
    assert {sends_to(emulator, harness.token)[u] for u in members} == {1}
    assert _received(emulator, harness, members) == set(members)
    (go,) = await _audit(pool, "broadcast.canary_go")
    assert go["admin_id"] == ADMIN_ID and go["details"]["sent"] == 50
    assert await _audit(pool, "broadcast.canary_pass") == []


async def test_a_restart_during_the_wait_keeps_its_end_and_sends_nobody_twice(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    out = await _canary_out(make_harness, pool, emulator, 100)
    clock, first, members, waiting, canary = (out.clock, out.harness, out.members, out.waiting,
                                              out.canary)
    await first.stop()  # the bot stops during the wait ...
    clock.at += timedelta(minutes=4)
    second = await make_harness(canary_min_audience=100, clock=clock)  # ... and starts again
    await wait_until(lambda: second.app[ENGINE_KEY].is_leader, 10, "the new start did not lead")
    await _held(emulator, second, members, canary)
    again = await db.get(pool, waiting.id)
    assert again is not None and again.canary_phase == "waiting"
    assert again.canary_until == waiting.canary_until == noon() + WAIT  # the wait's end is kept
    clock.at = noon() + WAIT
    done = await wait_status(pool, waiting.id, "done")
    assert done.sent == 100 and done.unknown == 0 and done.restarts >= 1
    assert {sends_to(emulator, second.token)[u] for u in members} == {1}  # nobody twice
    assert len(await _audit(pool, "broadcast.canary_start")) == 1
    assert len(await _audit(pool, "broadcast.canary_pass")) == 1


@pytest.mark.unpaced_chats
async def test_the_breaker_pauses_a_broadcast_whose_results_go_bad_and_resume_goes_on(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    harness = await make_harness(canary_min_audience="off")
    members = await add_members(pool, 300)
    bad = members[80:105]  # 25 in a row blocked the bot, a third of the way in
    for user_id in bad:
        emulator.set_chat_status(harness.token, user_id, "blocked")
    broadcast = await _launch(harness, "Новый поток")
    assert broadcast.canary_phase is None
    paused = await wait_status(pool, broadcast.id, "paused")
    assert paused.stop_note is not None and paused.stop_note["by"] == "breaker"
    assert 100 <= paused.stop_note["seen"] <= 300 and paused.stop_note["blocked"] >= 15
    await asyncio.sleep(1.0)  # what was on the wire at the trip comes back
    held = await db.get(pool, broadcast.id)
    assert held is not None and held.status == "paused" and held.pending > 100  # in the middle
    assert len(_received(emulator, harness, members)) == held.sent  # nothing goes meanwhile

    async def says_why() -> bool:
        return "🛑 Предохранитель" in _progress(emulator, harness, paused)
    await wait_until(says_why, 10, "the progress message does not say why it paused")
    note = paused.stop_note
    share = round(100 * note["blocked"] / note["seen"], 1)
    assert (f"🛑 Предохранитель поставил рассылку на паузу: из последних результатов не дошло "
            f"{note['blocked']} из {note['seen']} ({share:.1f} %".replace(".", ",")
            in _progress(emulator, harness, paused))
    admin = harness.chat(ADMIN_ID)
    await admin.send("/history")
    await admin.click(data=HistoryCallback(action=Hist.OPEN, id=broadcast.id).pack())
    assert (f"🛑 Предохранитель поставил на паузу: не дошло {note['blocked']} из {note['seen']}"
            in admin.last().text)
    (trip,) = await _audit(pool, "broadcast.breaker_trip")
    assert trip["admin_id"] == 0 and trip["details"]["blocked"] == note["blocked"]

    await admin.click("▶️ Продолжить")  # the same window does not stop it again
    done = await wait_status(pool, broadcast.id, "done")
    assert (done.sent, done.blocked) == (275, 25) and done.stop_note is None
    assert {sends_to(emulator, harness.token)[u] for u in members if u not in bad} == {1}
    assert len(await _audit(pool, "broadcast.breaker_trip")) == 1
    (resumed,) = await _audit(pool, "broadcast.resume")
    assert resumed["admin_id"] == ADMIN_ID


def test_the_judgement_asks_for_more_than_the_setting_and_clearly_more_than_usual() -> None:
    assert Judged(4, 2, 100, None, 5).crossed  # 6 % and no past broadcasts to compare
    assert not Judged(5, 0, 100, None, 5).crossed  # 5 % is not above 5 %
    assert not Judged(9, 0, 100, 0.04, 5).crossed  # 9 %: not above 2 × 4 % + 2 points
    assert Judged(11, 0, 100, 0.04, 5).crossed
    assert not Judged(0, 0, 0, None, 5).crossed


async def test_the_settings_are_on_the_status_screen(make_harness) -> None:  # type: ignore[no-untyped-def]
    harness = await make_harness()
    admin = harness.chat(ADMIN_ID)
    await admin.send("/menu")
    await admin.click("🩺 Состояние")
    status = admin.last().text
    assert ("Проверка: рассылка от 1 000 получателей сначала уходит 2 % из них (от 50 до 500), "
            "затем пауза 10 минут (CANARY_MIN_AUDIENCE, CANARY_WAIT_MINUTES)"
            ) in status.replace(NBSP_THIN, " ")
    assert "больше 5 % и заметно больше обычного для аудитории (BREAKER_FAIL_PERCENT)" in status
    off = await make_harness(canary_min_audience="off", breaker_fail_percent=0)
    admin = off.chat(ADMIN_ID)
    await admin.send("/menu")
    await admin.click("🩺 Состояние")
    assert "Проверка: выключена (CANARY_MIN_AUDIENCE=off)" in admin.last().text
    assert "Предохранитель: выключен (BREAKER_FAIL_PERCENT=off)" in admin.last().text


@pytest.mark.unpaced_chats
async def test_the_send_question_and_the_progress_say_when_quiet_hours_hold_the_rest(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    evening = noon().replace(hour=21, minute=59, second=45)
    morning = evening.replace(hour=9, minute=0, second=0) + timedelta(days=1)
    clock = Clock(evening)
    harness = await make_harness(quiet_hours="22:00-09:00", broadcast_rate=2,
                                 broadcast_confirm_threshold=10, canary_min_audience=60,
                                 canary_wait_minutes=5, clock=clock)
    members = await add_members(pool, 60)
    admin = await compose_to_stream(harness, emulator, "4-й поток · 60")
    await admin.click("🚀 Отправить сейчас")
    question = admin.last().text
    assert ("🐤 Сначала проверка: случайные получатели (50), затем пауза 5 минут; остальным — "
            "если заблокировавших и ошибок не слишком много") in question
    quiet = (f"🌙 в {evening:%d.%m} 22:00 начнутся тихие часы: остальное уйдёт после "
             f"{morning:%d.%m} 09:00")
    assert quiet in question
    await admin.click("↩️ Назад")

    # under way (to fewer: no canary), the time left runs into them: the progress says so
    broadcast = await _launch_to(harness, members[:59])
    assert broadcast.canary_phase is None

    async def eta_says_so() -> bool:
        shown = await db.get(pool, broadcast.id)
        return shown is not None and shown.progress_message_id is not None \
            and quiet in _progress(emulator, harness, shown)
    await wait_until(eta_says_so, 20, "the progress message does not mention quiet hours")


async def _launch_to(harness: BotHarness, user_ids: list[int]) -> db.Broadcast:
    return (await service(harness).launch(Content("text", "Завтра урок"), Audience(
        "users", user_ids=tuple(user_ids)), ADMIN_ID)).broadcast


@pytest.mark.parametrize(("value", "expected"), [("off", None), ("0", None), ("250", 250)])
def test_canary_min_audience_is_a_number_or_off(monkeypatch: pytest.MonkeyPatch, value: str,
                                                expected: int | None) -> None:
    monkeypatch.setenv("CANARY_MIN_AUDIENCE", value)
    monkeypatch.setenv("CANARY_WAIT_MINUTES", "off")
    monkeypatch.setenv("BREAKER_FAIL_PERCENT", "0")
    settings = load_settings(_env_file=None)
    assert settings.safeguards == Safeguards(expected, 0.0, None)


def test_the_safeguards_default_to_the_issue_s_numbers_and_refuse_nonsense(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings(_env_file=None).safeguards == Safeguards(1000, 10.0, 5.0)
    monkeypatch.setenv("BREAKER_FAIL_PERCENT", "150")
    with pytest.raises(ConfigError, match="BREAKER_FAIL_PERCENT"):
        load_settings(_env_file=None)


async def test_a_canary_as_bad_as_the_audience_usually_is_lets_the_rest_go(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    members = await add_members(pool, 120)
    # the last broadcast to this stream: a quarter of it had blocked the bot
    before = await make_harness(canary_min_audience="off", breaker_fail_percent="off")
    for user_id in members[::4]:
        emulator.set_chat_status(before.token, user_id, "blocked")
    last = await wait_status(pool, (await _launch(before, "Прошлая рассылка")).id, "done")
    assert (last.sent, last.blocked) == (90, 30)
    await before.stop()

    # now another third of those still reachable blocked it too: 33 % of the canary, but
    # this audience usually gives 25 %, and 2 × 25 % + 2 points is not crossed
    for user_id in members[1::4]:
        emulator.set_chat_status(before.token, user_id, "blocked")
    out = await _canary_out(make_harness, pool, emulator, 0)
    assert out.waiting.total == 120 and await pool.fetchval(  # the first 30 known unreachable
        "SELECT count(*) FROM message_recipients WHERE message_id = $1 AND error LIKE"
        " 'skipped: known to be unreachable%'", out.waiting.id) == 30
    out.clock.at += WAIT
    done = await wait_status(pool, out.waiting.id, "done")
    assert (done.sent, done.blocked, done.canary_phase) == (60, 60, "passed")
    (passed,) = await _audit(pool, "broadcast.canary_pass")
    assert passed["details"]["blocked"] > 5  # well above BREAKER_FAIL_PERCENT of the 50


@pytest.mark.unpaced_chats
async def test_a_mistake_seen_in_the_canary_is_fixed_there_and_the_rest_get_the_new_text(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    out = await _wait_shown(make_harness, pool, emulator)
    harness, members, waiting = out.harness, out.members, out.waiting
    admin = harness.chat(ADMIN_ID)
    await admin.click("✏️ Исправить")
    assert "Пришлите исправленный текст" in admin.last().text
    await admin.send("Урок в 20:00")
    await admin.click("✅ Исправить у всех")

    def texts() -> dict[int, str]:
        return {u: m.text for u in _received(emulator, harness, members) for m in
                emulator.chat(harness.token, u).messages.values() if m.from_bot}
    await wait_until(lambda: [texts()[u] for u in out.canary] == ["Урок в 20:00"] * 50, 30,
                     "the canary's copies were not fixed")
    assert set(texts()) == out.canary  # the rest still waits for the canary's wait
    await admin.click("▶️ Продолжить")
    await wait_status(pool, waiting.id, "done")
    assert texts() == {u: "Урок в 20:00" for u in members}
    assert {sends_to(emulator, harness.token)[u] for u in members} == {1}
