"""Property-based tests (Hypothesis) over the typed steps of recurring broadcasts, offers that
expire and fixing a sent broadcast, through the real webhook: whatever an admin types (or
sends instead of text), the bot answers with a specific message, never the generic apology;
nothing reaches the recipients; no series is left going without its next occurrence; no fix is
written down for input that was refused.

One bot on a clock that stands still (Monday 1 March 2027, 09:00 in Moscow) serves every
example of a test; each example writes from an admin chat of its own. Example counts come
from the Hypothesis profile (tests/conftest.py)."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, time

import asyncpg
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.db.audiences import Audience
from bot.db.broadcasts import Content
from bot.db.series import Rule
from bot.keyboards.history import Hist, HistoryCallback
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import ADMIN_ID, BotHarness, ChatClient
from bot.services.series import SeriesService
from support import STREAM, Clock, add_members, sends_to, service, wait_status
from zoneinfo import ZoneInfo

pytestmark = pytest.mark.unpaced_chats

APOLOGY = "Не получилось выполнить действие"
MOSCOW = ZoneInfo("Europe/Moscow")
MONDAY = datetime(2027, 3, 1, 9, 0, tzinfo=MOSCOW)
ADMINS = range(20_000_001, 20_000_201)
SERIES_TEXT = "Урок в 10:00"
MEMBERS = range(10_000, 10_003)  # add_members' ids

# what a hurried admin types where a time, a day or a date is asked, and anything else
ODD = ["", " ", "0", "00:00", "08:00", "9", "09:00", "9.30", "10", "23:59", "24:00", "25:99",
       "-1", "²", "٣", "１０", "31", "32", "29.02", "31.02", "30.02.2028", "28.02.2027",
       "01.03.2027", "01.03.27", "1.3", "31.12.9999", "01.01.0001", "00.00", "10:00 пт",
       "<b>10</b>", "&amp;", "\u200b", "\u202e12", "🙂" * 10, "x" * 5000, "{first_name}",
       "\n\n", "/cancel"]
typed = st.one_of(st.sampled_from(ODD), st.text(max_size=40))
# what follows «https://… |» in a button line: an offer's end, odd, past, far or in a DST gap
ENDS = ["до 23:59 пт", "до пятницы 23:59", "до завтра", "до вчера", "до 01.03.2027 08:00",
        "до 28.03 02:30", "до 31.02", "до 2100-01-01", "до 99999999999999999999", "до 0",
        "до через 10000000000 лет", "until 23:59 fri", "до", "|", "до 12.13.14", "\x00"]
ends = st.one_of(st.sampled_from(ENDS), st.text(max_size=30))


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.fixture
async def bot(make_harness, pool: asyncpg.Pool) -> BotHarness:  # type: ignore[no-untyped-def]
    """The bot on a standing clock, with three members, a daily series that ends today (10:00
    is its last occurrence) and a delivered broadcast to fix."""
    harness = await make_harness(admin_ids=",".join(map(str, [ADMIN_ID, *ADMINS])),
                                 frequency_cap="off", clock=Clock(MONDAY))
    await add_members(pool, 3)
    series: SeriesService = harness.dispatcher["series"]
    made = await series.create(Content("text", SERIES_TEXT), Audience("stream", stream=STREAM),
                               Rule("daily", time(10, 0), until=MONDAY.date()), ADMIN_ID)
    assert made is not None
    launched = await service(harness).launch(Content("text", "Урок в 19:00"),
                                             Audience("stream", stream=STREAM), ADMIN_ID)
    await wait_status(pool, launched.broadcast.id, "done")
    return harness


_turns = itertools.count()


async def next_admin(harness: BotHarness) -> ChatClient:
    turn = next(_turns)
    admin = harness.chat(ADMINS[turn % len(ADMINS)])
    if turn >= len(ADMINS):
        await admin.send("/cancel")
    return admin


async def recipients_got(emulator: Emulator, harness: BotHarness) -> int:
    token = harness.settings.broadcast_token.get_secret_value()  # type: ignore[union-attr]
    got = sends_to(emulator, token)
    return sum(got[member] for member in MEMBERS)


async def invariants(pool: asyncpg.Pool) -> None:
    """No series going without its next occurrence; no fix asked for."""
    assert await pool.fetchval("SELECT count(*) FROM broadcast_series"
                               " WHERE status = 'active' AND next_at IS NULL") == 0
    assert await pool.fetchval("SELECT count(*) FROM broadcast_edits") == 0


# ---- the steps --------------------------------------------------------------------------------

Step = Callable[[ChatClient], Awaitable[None]]


async def _repeat(admin: ChatClient) -> None:
    await admin.send("/broadcast")
    await admin.click("4-й поток · 3")
    await admin.send("Вебинар")
    await admin.click("🕒 Запланировать")
    await admin.click("🔁 Повторять")


async def _month_day(admin: ChatClient) -> None:
    await _repeat(admin)
    await admin.click("📆 Раз в месяц")


async def _time(admin: ChatClient) -> None:
    await _repeat(admin)
    await admin.click("📅 Каждый день")


async def _until(admin: ChatClient) -> None:
    await _time(admin)
    await admin.send("10:00")


async def _card(admin: ChatClient) -> None:
    await admin.send("/scheduled")
    await admin.click(next(b for b in admin.buttons() if b.startswith("🔁 #")))


async def _series_time(admin: ChatClient) -> None:
    await _card(admin)
    await admin.click("🕒 Изменить время")


async def _series_text(admin: ChatClient) -> None:
    await _card(admin)
    await admin.click("✏️ Изменить текст")


async def _fix(admin: ChatClient) -> None:
    await admin.send("/history")
    await admin.click(data=HistoryCallback(action=Hist.OPEN, id=1).pack())
    await admin.click("✏️ Исправить")


async def _fix_buttons(admin: ChatClient) -> None:
    await _fix(admin)
    await admin.click("🔗 Только кнопки")


STEPS: dict[str, Step] = {"day of the month": _month_day, "time": _time, "until": _until,
                          "series time": _series_time, "series text": _series_text,
                          "fix text": _fix, "fix buttons": _fix_buttons}


async def _answered(harness: BotHarness, emulator: Emulator, pool: asyncpg.Pool,
                    caplog: pytest.LogCaptureFixture, admin: ChatClient,
                    send: Callable[[], Awaitable[object]], what: object) -> None:
    """Send the input; the admin gets an answer that is not the apology, with a way on, and
    nothing else changes that should not."""
    before = await recipients_got(emulator, harness)
    shown = len(admin.messages())
    caplog.clear()
    await send()
    answers = admin.messages()[shown:]
    assert answers, what  # a screen or a reason, never silence
    assert not any(APOLOGY in m.text for m in answers), (what, [m.text for m in answers])
    assert not any("invalid literal" in m.text for m in answers), what  # Python's words
    assert not errors_logged(caplog), (what, errors_logged(caplog))
    assert answers[-1].buttons() or (len(answers) > 1 and answers[-2].buttons()), what
    assert await recipients_got(emulator, harness) == before, what
    await invariants(pool)


@pytest.mark.parametrize("step", list(STEPS))
@given(text=typed)
@example(text="08:00")  # the series' last occurrence is today at 10:00; it is 09:00
@example(text="²")
@example(text="29.02")
async def test_every_typed_step_answers_and_keeps_the_invariants(
        bot: BotHarness, pool: asyncpg.Pool, emulator: Emulator,
        caplog: pytest.LogCaptureFixture, step: str, text: str) -> None:
    admin = await next_admin(bot)
    await STEPS[step](admin)
    await _answered(bot, emulator, pool, caplog, admin, lambda: admin.send(text), (step, text))


@pytest.mark.parametrize("step", list(STEPS))
async def test_a_photo_instead_of_text_is_answered_at_every_step(
        bot: BotHarness, pool: asyncpg.Pool, emulator: Emulator,
        caplog: pytest.LogCaptureFixture, step: str) -> None:
    admin = await next_admin(bot)
    await STEPS[step](admin)

    async def photo() -> None:
        await emulator.send_file(bot.token, admin.user_id, "photo", b"img", caption="10:00")
        await bot.settle()
    await _answered(bot, emulator, pool, caplog, admin, photo, step)


@given(end=ends)
async def test_an_offer_end_in_a_button_line(
        bot: BotHarness, pool: asyncpg.Pool, emulator: Emulator,
        caplog: pytest.LogCaptureFixture, end: str) -> None:
    """In the composer's link step and in a fix's button lines alike."""
    admin = await next_admin(bot)
    await admin.send("/broadcast")
    await admin.click("4-й поток · 3")
    await admin.send("Запись открыта")
    await admin.click("🔗 Кнопки")
    await admin.click("➕ Добавить кнопку")
    await admin.send("Записаться")
    await _answered(bot, emulator, pool, caplog, admin,
                    lambda: admin.send(f"https://vibe.example/signup | {end}"), end)
    admin = await next_admin(bot)
    await _fix_buttons(admin)
    await _answered(bot, emulator, pool, caplog, admin,
                    lambda: admin.send(f"Записаться | https://vibe.example | {end}"), end)


@given(presses=st.lists(st.one_of(st.integers(0, 6), st.sampled_from(["ok", "back"])),
                        max_size=12))
async def test_weekday_switches_in_any_order(
        bot: BotHarness, pool: asyncpg.Pool, emulator: Emulator,
        caplog: pytest.LogCaptureFixture, presses: list[int | str]) -> None:
    """The switches show the days pressed an odd number of times; «Дальше» without a day says
    so; «Назад» goes back to «Как часто?» and the days are chosen afresh."""
    admin = await next_admin(bot)
    await _repeat(admin)
    await admin.click("🗓 По дням недели")
    chosen: set[int] = set()
    caplog.clear()
    for press in presses:
        if press == "back":
            await admin.click("↩️ Назад")
            assert "Как часто?" in admin.last().text
            await admin.click("🗓 По дням недели")
            chosen = set()
        elif press == "ok":
            await admin.click("➡️ Дальше")
            if not chosen:
                assert admin.callback_answer()["text"] == "Выберите хотя бы один день."
                continue
            assert "Во сколько?" in admin.last().text
            await admin.click("↩️ Назад")
            await admin.click("🗓 По дням недели")
            chosen = set()
        else:
            await admin.click(admin.buttons()[press])
            chosen ^= {press}
        shown = admin.buttons()[:7]
        assert [b.startswith("✅") for b in shown] == [d in chosen for d in range(7)], presses
    assert not errors_logged(caplog)
    await invariants(pool)


@pytest.mark.parametrize("step", ["day of the month", "time", "until"])
async def test_back_at_every_step_of_the_rule(
        bot: BotHarness, pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture,
        step: str) -> None:
    admin = await next_admin(bot)
    await STEPS[step](admin)
    caplog.clear()
    await admin.click("↩️ Назад")
    assert "Как часто?" in admin.last().text
    await admin.send("12:00")  # typed after going back: not taken as a step's answer
    assert not any(APOLOGY in m.text for m in admin.messages()[-2:])
    assert not errors_logged(caplog)
    await invariants(pool)


def test_a_29_february_without_a_year_is_the_next_leap_years() -> None:
    from datetime import date
    from bot.text.recurrence import parse_until
    assert parse_until("29.02", date(2027, 3, 1)) == date(2028, 2, 29)
    assert parse_until("29.02", date(2028, 2, 29)) == date(2028, 2, 29)
    with pytest.raises(ValueError, match="Не понял дату"):
        parse_until("30.02", date(2027, 3, 1))


async def test_a_button_whose_offer_ends_is_not_repeated(
        make_harness, pool: asyncpg.Pool) -> None:  # type: ignore[no-untyped-def]
    """A series kept its buttons without their ends: every occurrence would have shown the
    offer for good. «🔁 Повторять» says so and the one-off question stays."""
    harness = await make_harness(frequency_cap="off", clock=Clock(MONDAY))
    await add_members(pool, 3)
    admin = harness.chat(ADMIN_ID)
    await admin.send("/broadcast")
    await admin.click("4-й поток · 3")
    await admin.send("Запись открыта")
    await admin.click("🔗 Кнопки")
    await admin.click("➕ Добавить кнопку")
    await admin.send("Записаться")
    await admin.send("https://vibe.example/signup | до 23:59 пт")
    await admin.click("🕒 Запланировать")
    await admin.click("🔁 Повторять")
    assert admin.callback_answer()["text"].startswith("У кнопки указан срок предложения")
    assert "🔁 Повторять" in admin.buttons()
    assert await pool.fetchval("SELECT count(*) FROM broadcast_series") == 0
