"""Recurring broadcasts: made in the composer («🕒 Запланировать» → «🔁 Повторять»), each
occurrence an ordinary broadcast to the audience as it is then, driven by a clock the test
moves; pause, skip, edit, stop from the scheduled list; restarts and two instances start each
occurrence once; an end date ends the series."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from bot.db import series as series_db
from bot.db.audiences import Audience
from bot.db.broadcasts import Content
from bot.db.series import Rule
from bot.keyboards.history import Hist, HistoryCallback
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import ADMIN_ID, BotHarness
from bot.services.series import SeriesService
from bot.text.recurrence import parse_month_day, parse_time, parse_until
from support import STREAM, Clock, add_members, compose_to_stream, sends_to, wait_status, wait_until

MOSCOW = ZoneInfo("Europe/Moscow")
UTC_ZONE = ZoneInfo("UTC")
# Monday 1 March 2027, 09:00 in Moscow: later than the machine's clock, so only the series'
# own job (on the bot's clock) can start an occurrence, never the one-off schedule's (on the
# database's)
MONDAY = datetime(2027, 3, 1, 9, 0, tzinfo=MOSCOW)


def at(day: int, hour: int = 10, minute: int = 0, second: int = 5) -> datetime:
    """A moment `day` days after that Monday, in Moscow."""
    return (MONDAY + timedelta(days=day)).replace(hour=hour, minute=minute, second=second)


async def occurrences(pool: asyncpg.Pool, series_id: int | None = None) -> list[asyncpg.Record]:
    return await pool.fetch("SELECT id, status, series_id, scheduled_at, message_text"
                            " FROM message_history WHERE series_id IS NOT NULL"
                            " AND ($1::int IS NULL OR series_id = $1) ORDER BY id", series_id)


async def audit_actions(pool: asyncpg.Pool, prefix: str = "series.") -> list[str]:
    rows = await pool.fetch("SELECT action FROM admin_audit_log WHERE action LIKE $1 ORDER BY id",
                            prefix + "%")
    return [r["action"] for r in rows]


async def next_occurrence(pool: asyncpg.Pool, series_id: int, clock: Clock, day: int,
                          count: int) -> asyncpg.Record:
    """Move the clock to that day's 10:00 and wait for the series' `count`-th broadcast to be
    delivered."""
    clock.at = at(day)
    await wait_until(lambda: _count(pool, series_id, count), 10,
                     f"occurrence {count} of series {series_id} did not come")
    row = (await occurrences(pool, series_id))[count - 1]
    await wait_status(pool, row["id"], "done")
    return row


async def _count(pool: asyncpg.Pool, series_id: int, count: int) -> bool:
    return len(await occurrences(pool, series_id)) >= count


async def held(pool: asyncpg.Pool, series_id: int, count: int, seconds: float = 2.5) -> None:
    """The series still has `count` broadcasts after the scheduler had time for more."""
    await asyncio.sleep(seconds)
    assert len(await occurrences(pool, series_id)) == count


def series_service(harness: BotHarness) -> SeriesService:
    return harness.dispatcher["series"]


async def make_series(harness: BotHarness, rule: Rule, text: str = "Урок в 10:00") -> int:
    made = await series_service(harness).create(Content("text", text),
                                                Audience("stream", stream=STREAM), rule, ADMIN_ID)
    assert made is not None
    return made.id


# ---- the composer, three occurrences, a skipped one -------------------------------------------

@pytest.mark.unpaced_chats
async def test_a_daily_series_from_the_composer_sends_to_the_audience_as_it_is_each_time(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(MONDAY)
    harness = await make_harness(frequency_cap="off", clock=clock)
    members = await add_members(pool, 3)
    admin = await compose_to_stream(harness, emulator, "4-й поток · 3", "Урок сегодня в 19:00",
                                    [])
    await admin.click("🕒 Запланировать")
    await admin.click("🔁 Повторять")
    assert "Как часто?" in admin.last().text
    await admin.click("📅 Каждый день")
    await admin.send("10:00")
    assert "До какого дня повторять?" in admin.last().text
    await admin.click("♾ Бессрочно")
    summary = admin.last().text
    assert "Как часто: каждый день в 10:00, бессрочно (Europe/Moscow)" in summary
    assert "Аудитория: 4-й поток · сейчас 3 человека" in summary
    assert "Ближайшие: пн 01.03 10:00, вт 02.03 10:00, ср 03.03 10:00" in summary
    await admin.click("✅ Запустить")
    (made,) = await pool.fetch("SELECT id, next_at FROM broadcast_series")
    assert f"🔁 Повторяющаяся рассылка #{made['id']} запущена: каждый день в 10:00, бессрочно. " \
           "Первая — пн 01.03 10:00." in admin.last().text
    assert made["next_at"] == at(0, second=0)

    # the scheduled list shows it with its next three occurrences
    await admin.send("/scheduled")
    listed = admin.last().text
    assert "🔁 Повторяющиеся" in listed
    assert "Ближайшие: пн 01.03 10:00, вт 02.03 10:00, ср 03.03 10:00" in listed
    series_id = made["id"]

    # 10:00 on Monday: the first occurrence, an ordinary broadcast of the series
    await held(pool, series_id, 0, 1.5)  # not before its time
    first = await next_occurrence(pool, series_id, clock, 0, 1)
    assert first["message_text"] == "Урок сегодня в 19:00"
    assert first["scheduled_at"] == at(0, second=0)
    assert [sends_to(emulator, harness.token)[u] for u in members] == [1, 1, 1]

    # someone joins the stream: Tuesday's occurrence reaches them too
    (newcomer,) = await add_members(pool, 1, start=20_000)
    second = await next_occurrence(pool, series_id, clock, 1, 2)
    done = await wait_status(pool, second["id"], "done")
    assert (done.total, done.sent) == (4, 4)
    assert sends_to(emulator, harness.token)[newcomer] == 1

    # Wednesday's is skipped from the series' card
    await admin.send("/scheduled")
    await admin.click(f"🔁 #{series_id} · каждый день в 10:00, бессрочно · 4-й поток")
    await admin.click("⏭ Пропустить следующую")
    card = admin.last().text
    assert "Ближайшие: ср 03.03 10:00 (пропустим), чт 04.03 10:00, пт 05.03 10:00" in card
    assert "⏭ следующую пропустим" in card
    clock.at = at(2)
    await wait_until(lambda: _next_at_is(pool, series_id, at(3, second=0)), 10,
                     "the skipped occurrence did not move the series on")
    assert len(await occurrences(pool, series_id)) == 2

    # Thursday's goes again: three broadcasts in all, each in the history with the series
    third = await next_occurrence(pool, series_id, clock, 3, 3)
    assert [sends_to(emulator, harness.token)[u] for u in members] == [3, 3, 3]
    assert sends_to(emulator, harness.token)[newcomer] == 2
    assert await audit_actions(pool) == ["series.create", "series.sent", "series.sent",
                                         "series.skip", "series.skipped", "series.sent"]
    await admin.send("/history")
    await admin.click(data=HistoryCallback(action=Hist.OPEN, id=third["id"]).pack())
    assert f"🔁 Повторяющаяся #{series_id}: каждый день в 10:00, бессрочно" in admin.last().text
    await admin.send("/audit")  # the journal names each step
    journal = admin.last().text
    assert f"повторяющаяся: очередная пропущена · повторяющаяся #{series_id}" in journal
    assert f"повторяющаяся: очередная отправлена · повторяющаяся #{series_id}\n" \
           f"    рассылка #{third['id']}" in journal


async def _next_at_is(pool: asyncpg.Pool, series_id: int, moment: datetime) -> bool:
    return await pool.fetchval("SELECT next_at FROM broadcast_series WHERE id = $1",
                               series_id) == moment


@pytest.mark.unpaced_chats
async def test_weekdays_a_day_of_the_month_and_an_end_date_in_the_composer(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(MONDAY)
    harness = await make_harness(frequency_cap="off", quiet_hours="22:00-09:00", clock=clock)
    await add_members(pool, 2)
    admin = await compose_to_stream(harness, emulator, "4-й поток · 2", "Вебинар", [])
    await admin.click("🕒 Запланировать")
    await admin.click("🔁 Повторять")
    await admin.click("🗓 По дням недели")
    await admin.click("➡️ Дальше")  # no day yet: said so, and the switches stay
    assert admin.callback_answer()["text"] == "Выберите хотя бы один день."
    for day in ("Пн", "Чт", "Сб", "✅ Сб"):  # the third is switched off again
        await admin.click(day)
    assert admin.buttons()[:7] == ["✅ Пн", "Вт", "Ср", "✅ Чт", "Пт", "Сб", "Вс"]
    await admin.click("➡️ Дальше")
    await admin.send("в семь")
    assert "Не понял время" in admin.last().text
    await admin.send("23:00")
    await admin.send("01.03.2027")  # Monday 23:00 is still ahead: one occurrence
    summary = admin.last().text
    assert "Как часто: по пн, чт в 23:00, до 01.03.2027" in summary
    assert "Ближайшие: пн 01.03 23:00\n" in summary
    assert "🌙 Это время попадает в тихие часы (22:00–09:00, Europe/Moscow)" in summary

    # a day of the month that some months lack
    await admin.click("↩️ Назад")
    await admin.click("📆 Раз в месяц")
    await admin.send("32")
    assert "Нужно число от 1 до 31" in admin.last().text
    await admin.send("31")
    await admin.send("10:00")
    await admin.send("28.02.2027")
    assert "01.03.2028" not in admin.last().text and "уже прошло" in admin.last().text
    await admin.send("30.04.2027")
    summary = admin.last().text
    assert "Как часто: каждый месяц 31-го в 10:00, до 30.04.2027" in summary
    assert "Ближайшие: ср 31.03 10:00, пт 30.04 10:00" in summary
    assert "В месяцах, где нет 31-го числа, рассылка уйдёт в последний день месяца." in summary
    await admin.click("✅ Запустить")
    (made,) = await pool.fetch("SELECT frequency, month_day, at_time, until_date, weekdays"
                               " FROM broadcast_series")
    assert tuple(made) == ("monthly", 31, time(10, 0), date(2027, 4, 30), [])


# ---- pause, resume, edit, stop ----------------------------------------------------------------

@pytest.mark.unpaced_chats
async def test_pause_resume_edit_and_stop_from_the_card(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(MONDAY)
    harness = await make_harness(frequency_cap="off", clock=clock)
    await add_members(pool, 2)
    series_id = await make_series(harness, Rule("weekly", time(10, 0), (0, 3)))  # Mon, Thu
    admin = harness.chat(ADMIN_ID)
    await admin.send("/scheduled")
    assert "Ближайшие: пн 01.03 10:00, чт 04.03 10:00, пн 08.03 10:00" in admin.last().text
    await admin.click(f"🔁 #{series_id} · по пн, чт в 10:00, бессрочно · 4-й поток")
    await admin.click("⏸ Пауза")
    assert "⏸ на паузе" in admin.last().text
    assert admin.buttons()[0] == "▶️ Продолжить"

    clock.at = at(0)  # Monday's time passes while it is paused: nothing goes
    await held(pool, series_id, 0)
    clock.at = at(1, 12)  # resumed on Tuesday: on from Thursday, Monday's is not sent late
    await admin.click("▶️ Продолжить")
    assert "Ближайшие: чт 04.03 10:00, пн 08.03 10:00, чт 11.03 10:00" in admin.last().text

    # a new time and a new text for the occurrences to come
    await admin.click("🕒 Изменить время")
    await admin.send("25:00")
    assert "Не понял время" in admin.last().text
    await admin.send("11:30")
    assert "Время изменено." in admin.last().text
    assert "Ближайшие: чт 04.03 11:30, пн 08.03 11:30, чт 11.03 11:30" in admin.last().text
    await admin.click("✏️ Изменить текст")
    await admin.send("Урок перенесли на 20:00")
    assert "Текст обновлён" in admin.last().text
    clock.at = at(3, 11, 30)
    await wait_until(lambda: _count(pool, series_id, 1), 10, "Thursday's did not go")
    (sent,) = await occurrences(pool, series_id)
    assert sent["message_text"] == "Урок перенесли на 20:00"
    assert sent["scheduled_at"] == at(3, 11, 30, 0)
    await wait_status(pool, sent["id"], "done")  # its progress comes to the author's chat

    # stop, after a question
    await admin.send("/scheduled")
    await admin.click(f"🔁 #{series_id} · по пн, чт в 11:30, бессрочно · 4-й поток")
    await admin.click("⏹ Остановить")
    assert "Остановить эту повторяющуюся рассылку?" in admin.last().text
    await admin.click("Да, остановить")
    assert "Повторяющаяся рассылка остановлена." in admin.last().text
    clock.at = at(7, 11, 30)
    await held(pool, series_id, 1)
    await admin.send("/scheduled")
    assert "Повторяющиеся" not in admin.last().text
    assert await audit_actions(pool) == ["series.create", "series.pause", "series.resume",
                                         "series.edit_rule", "series.edit", "series.sent",
                                         "series.stop"]


@pytest.mark.unpaced_chats
async def test_a_new_schedule_from_the_card_recomputes_the_next_one_and_drops_a_pending_skip(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(MONDAY)
    harness = await make_harness(frequency_cap="off", clock=clock)
    await add_members(pool, 2)
    series_id = await make_series(harness, Rule("weekly", time(10, 0), (0, 3)))  # Mon, Thu
    admin = harness.chat(ADMIN_ID)
    label = f"🔁 #{series_id} · по пн, чт в 10:00, бессрочно · 4-й поток"
    await admin.send("/scheduled")
    await admin.click(label)
    await admin.click("⏭ Пропустить следующую")

    # the composer's steps; cancelled on the way, nothing changes
    await admin.click("🔁 Изменить расписание")
    assert "Как часто?" in admin.last().text
    await admin.click("📅 Каждый день")
    await admin.click("✖️ Отмена")
    assert f"Повторяющаяся рассылка #{series_id}" in admin.last().text
    assert "⏭ следующую пропустим" in admin.last().text

    await admin.click("🔁 Изменить расписание")
    await admin.click("📆 Раз в месяц")
    await admin.send("32")
    assert "Нужно число от 1 до 31" in admin.last().text
    await admin.send("15")
    await admin.send("18:00")
    assert "До какого дня повторять?" in admin.last().text
    await admin.send("31.05")
    check = admin.last().text
    assert f"🔁 Новое расписание рассылки #{series_id}" in check
    assert "Было: по пн, чт в 10:00, бессрочно" in check
    assert "Станет: каждый месяц 15-го в 18:00, до 31.05.2027 (Europe/Moscow)" in check
    assert "Ближайшие: пн 15.03 18:00, чт 15.04 18:00, сб 15.05 18:00" in check
    assert "Пропуск следующей рассылки будет снят" in check
    # not saved before the admin confirms
    before = await series_db.get(pool, series_id)
    assert before is not None and before.rule.frequency == "weekly" and before.skip_next
    await admin.click("✅ Сохранить расписание")
    card = admin.last().text
    assert card.startswith("Расписание изменено. Пропуск следующей рассылки снят.")
    assert "Как часто: каждый месяц 15-го в 18:00, до 31.05.2027" in card
    assert "Ближайшие: пн 15.03 18:00, чт 15.04 18:00, сб 15.05 18:00" in card
    assert "следующую пропустим" not in card

    saved = await series_db.get(pool, series_id)
    assert saved is not None
    assert saved.rule == Rule("monthly", time(18, 0), (), 15, date(2027, 5, 31))
    assert saved.next_at == at(14, 18, second=0) and not saved.skip_next
    entry = await pool.fetchrow("SELECT action, details FROM admin_audit_log"
                                " WHERE action = 'series.edit_rule'")
    assert entry is not None
    details = entry["details"]
    assert details["skip_cleared"] is True and details["was"]["frequency"] == "weekly"
    assert details["rule"]["month_day"] == 15

    # Thursday's 10:00 is no longer an occurrence; the 15th's 18:00 is
    clock.at = at(3)
    await held(pool, series_id, 0)
    clock.at = at(14, 18)
    await wait_until(lambda: _count(pool, series_id, 1), 10, "the 15th's did not go")
    (sent,) = await occurrences(pool, series_id)
    assert sent["scheduled_at"] == at(14, 18, second=0)
    await wait_status(pool, sent["id"], "done")
    # its progress in the author's chat says which series it belongs to
    marked = f"Рассылка #{sent['id']} завершена · 🔁 #{series_id} · 4-й поток"
    await wait_until(lambda: marked in admin.transcript(), 10, "no progress with the series' mark")


# ---- restarts and instances -------------------------------------------------------------------

async def test_a_restart_across_an_occurrence_starts_it_once_and_a_long_outage_skips_it(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(at(0, 9, 50))
    first = await make_harness(frequency_cap="off", clock=clock)
    members = await add_members(pool, 2)
    series_id = await make_series(first, Rule("daily", time(10, 0)))
    await first.stop()  # stopped before 10:00 ...

    clock.at = at(0, 10, 20)  # ... and started after it, within the hour's grace
    second = await make_harness(frequency_cap="off", clock=clock)
    await wait_until(lambda: _count(pool, series_id, 1), 10, "the occurrence did not start")
    await wait_status(pool, (await occurrences(pool, series_id))[0]["id"], "done")
    await held(pool, series_id, 1)
    assert [sends_to(emulator, second.token)[u] for u in members] == [1, 1]
    assert any("должна была уйти" in m.text and "с опозданием 20 мин" in m.text
               for m in second.chat(ADMIN_ID).messages())
    await second.stop()

    # down over Tuesday's 10:00 for more than an hour: skipped, and the author told
    clock.at = at(1, 12)
    third = await make_harness(frequency_cap="off", clock=clock)
    await wait_until(lambda: _next_at_is(pool, series_id, at(2, second=0)), 10,
                     "the missed occurrence did not move the series on")
    await held(pool, series_id, 1, 1.0)
    note = next(m.text for m in third.chat(ADMIN_ID).messages() if "пропускаю" in m.text)
    assert f"Повторяющаяся рассылка #{series_id} должна была уйти вт 02.03 10:00" in note
    assert "Следующая — ср 03.03 10:00." in note
    assert (await audit_actions(pool))[-1] == "series.missed"


async def test_two_instances_start_an_occurrence_once(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(MONDAY)
    one = await make_harness(frequency_cap="off", clock=clock)
    await make_harness(frequency_cap="off", clock=clock)
    members = await add_members(pool, 5)
    series_id = await make_series(one, Rule("daily", time(10, 0)))
    clock.at = at(0)  # both look every second
    await wait_until(lambda: _count(pool, series_id, 1), 10, "the occurrence did not start")
    await wait_status(pool, (await occurrences(pool, series_id))[0]["id"], "done")
    await held(pool, series_id, 1)
    assert [sends_to(emulator, one.token)[u] for u in members] == [1] * 5
    assert await audit_actions(pool) == ["series.create", "series.sent"]


# ---- the end date -----------------------------------------------------------------------------

async def test_the_end_date_ends_the_series(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(MONDAY)
    harness = await make_harness(frequency_cap="off", clock=clock)
    await add_members(pool, 1)
    series_id = await make_series(harness, Rule("daily", time(10, 0), until=date(2027, 3, 2)))
    await next_occurrence(pool, series_id, clock, 0, 1)
    await next_occurrence(pool, series_id, clock, 1, 2)
    await wait_until(lambda: _status(pool, series_id, "ended"), 10, "the series did not end")
    clock.at = at(2)
    await held(pool, series_id, 2)
    admin = harness.chat(ADMIN_ID)
    assert any(f"Повторяющаяся рассылка #{series_id} завершилась: каждый день в 10:00, "
               "до 02.03.2027" in m.text for m in admin.messages())
    await admin.send("/scheduled")
    assert "Повторяющиеся" not in admin.last().text
    assert (await audit_actions(pool))[-2:] == ["series.sent", "series.ended"]


async def _status(pool: asyncpg.Pool, series_id: int, status: str) -> bool:
    return (await series_db.get(pool, series_id)).status == status  # type: ignore[union-attr]


# ---- the rule ---------------------------------------------------------------------------------

def test_a_day_the_month_lacks_is_its_last_day() -> None:
    rule = Rule("monthly", time(9, 0), month_day=31)
    moments = rule.upcoming(datetime(2027, 1, 1, tzinfo=MOSCOW), MOSCOW, 4)
    assert [m.astimezone(MOSCOW).date() for m in moments] == [
        date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30)]
    assert Rule("monthly", time(9, 0), month_day=15).shorter_months is False


def test_the_time_stays_the_same_on_the_wall_across_a_change_of_the_clocks() -> None:
    berlin = ZoneInfo("Europe/Berlin")  # summer time begins on 28 March 2027
    moments = Rule("daily", time(10, 0)).upcoming(datetime(2027, 3, 26, 12, tzinfo=berlin),
                                                  berlin, 3)
    assert [m.astimezone(berlin).hour for m in moments] == [10, 10, 10]
    assert [m.astimezone(UTC_ZONE).hour for m in moments] == [9, 8, 8]


def test_what_the_admin_types() -> None:
    assert parse_time("9.30") == time(9, 30) and parse_time("18") == time(18, 0)
    assert parse_month_day("31") == 31
    today = date(2027, 3, 1)
    assert parse_until("31.12", today) == date(2027, 12, 31)
    assert parse_until("15.02", today) == date(2028, 2, 15)  # the next such day
    for wrong, parse in (("24:00", parse_time), ("32", parse_month_day),
                         ("01.01.2027", lambda text: parse_until(text, today))):
        with pytest.raises(ValueError):
            parse(wrong)  # type: ignore[operator]
