"""Property-based tests (Hypothesis) over what an admin or a modified client can send: every
callback factory's fields with generated values, and generated text in every step that waits
for typed input. Property: the admin gets the screen or a reason, never the generic apology,
every press is answered, and nothing is logged as an error.

Example counts come from the Hypothesis profile (tests/conftest.py: "ci" by default,
`--hypothesis-profile=long` for a long run)."""

from __future__ import annotations

import itertools
import logging
import typing
from collections.abc import Awaitable, Callable

import asyncpg
import pytest
from aiogram.filters.callback_data import CallbackData
from hypothesis import given
from hypothesis import strategies as st

from bot.keyboards import (audit, broadcast, compose, digest, history, menu, people_lists, scheduled,
                           stats, streams, users)
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import ADMIN_ID, BotHarness, ChatClient
from bot.text.periods import PERIODS
from support import add_members

APOLOGY = "Не получилось выполнить действие"
FACTORIES: list[type[CallbackData]] = [
    broadcast.BroadcastCallback, compose.ComposeCallback, scheduled.ScheduledCallback,
    history.HistoryCallback, menu.MenuCallback, stats.StatsCallback, digest.DigestCallback,
    stats.ChartCallback, streams.StreamCallback, audit.AuditCallback, users.SearchCallback,
    users.CardCallback, users.MoveCallback, users.StatusCallback, users.WriteCallback,
    people_lists.ListCallback, people_lists.RegistrantsCallback, people_lists.BookingsCallback,
    menu.CancelCallback,
]
BOUNDARY_INTS = [0, 1, -1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, 10**30]
ODD_TEXTS = ["", " ", "\u200b", "\u202eRTL текст", "<b>жирный</b>", "</a>", "&amp;",
             "'; DROP TABLE bookings; --", "9223372036854775808", "@", "/", "{first_name}",
             "x" * 10_000, "🙂" * 50, "\x00", "-1", "25:99", "31.02 10:00", "\n\n\n"]


def field_values(annotation: object) -> st.SearchStrategy[str]:
    """Generated text for one callback field: the field's own kind of value, its edges, and
    anything else."""
    anything = st.text(max_size=20)
    base = typing.get_origin(annotation) is typing.Annotated and typing.get_args(annotation)[0]
    if annotation is int or base is int:
        ints = st.one_of(st.integers(), st.sampled_from(BOUNDARY_INTS))
        return st.one_of(ints.map(str), anything)
    if annotation is bool:
        return st.one_of(st.sampled_from(["0", "1", "2", "true"]), anything)
    if isinstance(annotation, type) and issubclass(annotation, int):  # IntEnum
        return st.one_of(st.sampled_from([str(int(v)) for v in annotation] + ["0", "3"]),
                         anything)
    choices = [str(v.value) for v in annotation] if isinstance(annotation, type) and \
        hasattr(annotation, "__members__") else list(typing.get_args(annotation) or [])
    if choices and all(isinstance(c, str) for c in choices):
        return st.one_of(st.sampled_from(choices), anything)
    return anything


@st.composite
def callback_data(draw: st.DrawFn) -> str:
    """Data a forged button of one of the bot's factories carries (at most 64 bytes)."""
    factory = draw(st.sampled_from(FACTORIES))
    hints = typing.get_type_hints(factory, include_extras=True)
    parts = [factory.__prefix__] + [draw(field_values(hints[name]))
                                    for name in factory.model_fields]
    data = ":".join(parts)
    while len(data.encode()) > 64:
        data = data[:-1]
    return data


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def said_to_admin(emulator: Emulator, harness: BotHarness, since: int, chat_id: int
                  ) -> list[str]:
    """Texts of the bot's successful messages and edits in this chat since call `since`."""
    bot_id = emulator.bot(harness.token).id
    return [str(c.params.get("text") or c.params.get("caption") or c.method)
            for c in emulator.calls[since:]
            if c.bot_id == bot_id and c.ok and str(c.params.get("chat_id")) == str(chat_id)
            and c.method in ("sendMessage", "editMessageText", "sendPhoto", "sendDocument")]


@given(data=callback_data())
async def test_every_callback_factory_with_generated_fields(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator,
        caplog: pytest.LogCaptureFixture, data: str) -> None:
    admin = harness.chat(ADMIN_ID)
    if not admin.messages():
        await add_members(pool, 3)
        await admin.send("/menu")
    caplog.clear()
    delivery = await admin.press_forged(data)
    query = emulator.callback_answer(harness.token, delivery.callback_query_id or "")
    assert query["answered"], data
    assert APOLOGY not in (query.get("text") or ""), data
    assert not any(APOLOGY in m.text for m in admin.messages()[-2:]), data
    assert not errors_logged(caplog), (data, errors_logged(caplog))


def test_period_keys_of_the_callbacks_are_the_periods() -> None:
    assert set(typing.get_args(stats.PeriodKey)) == set(PERIODS)


# ---- typed input -----------------------------------------------------------------------

Step = Callable[[ChatClient], Awaitable[None]]


async def _compose(admin: ChatClient) -> None:
    await admin.send("/broadcast")
    await admin.click("4-й поток · 3")


async def _composed(admin: ChatClient) -> None:
    await _compose(admin)
    await admin.send("Текст рассылки")


async def _label(admin: ChatClient) -> None:
    await _composed(admin)
    await admin.click("🔗 Кнопки")
    await admin.click("➕ Добавить кнопку")


async def _url(admin: ChatClient) -> None:
    await _label(admin)
    await admin.send("Открыть")


async def _when(admin: ChatClient) -> None:
    await _composed(admin)
    await admin.click("🕒 Запланировать")


async def _paste(admin: ChatClient) -> None:
    await admin.send("/broadcast")
    await admin.click("📋 Вставить список id / @username")


async def _search(admin: ChatClient) -> None:
    await admin.send("/find")


async def _stream_code(admin: ChatClient) -> None:
    await admin.send("/streams")
    await admin.click("➕ Добавить поток")


async def _stream_title(admin: ChatClient) -> None:
    await admin.send("/streams")
    await admin.click(data="sm:open:4th_stream")  # whatever an earlier example renamed it to
    await admin.click("✏️ Переименовать")


async def _digest_time(admin: ChatClient) -> None:
    await admin.send("/stats")
    await admin.click(data="dg:time:7:")  # whatever time an earlier example set


async def _reschedule(admin: ChatClient) -> None:
    await admin.send("/scheduled")
    await admin.click(admin.buttons()[0])
    await admin.click("🕒 Перенести")


async def _lesson_dates(admin: ChatClient) -> None:
    await admin.send("/find")
    await admin.click("🎓 Бесплатный урок")
    await admin.click("📅 Даты урока: любые")


async def _outside_any_flow(admin: ChatClient) -> None:
    await admin.send("/menu")  # text here is a search


STEPS: dict[str, Step] = {
    "search": _search, "pasted list": _paste, "content": _compose, "button label": _label,
    "button url": _url, "send time": _when, "stream code": _stream_code,
    "stream title": _stream_title, "digest time": _digest_time, "new time": _reschedule,
    "lesson dates": _lesson_dates, "outside any flow": _outside_any_flow,
}
typed_text = st.one_of(st.sampled_from(ODD_TEXTS), st.text(max_size=300),
                       st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=50))


# Each example writes from a chat of its own, so Telegram's per-chat limit (about one
# message a second) paces none of them; the few messages of one example fit its burst.
ADMINS = range(10_000_001, 10_000_101)


@pytest.fixture
async def many_admins(make_harness, emulator: Emulator) -> BotHarness:  # type: ignore[no-untyped-def]
    from bot.app import BUDGETS_KEY
    from bot.sandbox.harness import ADMIN_TOKEN
    harness = await make_harness(admin_ids=",".join(map(str, [ADMIN_ID, *ADMINS])))
    # pacing is not what these examples are about: Telegram and the bot both allow one
    # example's few messages to a chat at once
    emulator.bot(ADMIN_TOKEN).limits.config.chat_burst = 8
    harness.app[BUDGETS_KEY].for_token(ADMIN_TOKEN).chat_burst = 8
    return harness


_turns = itertools.count()


async def next_admin(harness: BotHarness) -> ChatClient:
    """The next admin chat in turn; one that had a turn before leaves its step first."""
    turn = next(_turns)
    admin = harness.chat(ADMINS[turn % len(ADMINS)])
    if turn >= len(ADMINS):
        await admin.send("/cancel")
    return admin


@pytest.mark.parametrize("step", list(STEPS))
@given(text=typed_text)
async def test_every_step_that_waits_for_text(
        many_admins: BotHarness, pool: asyncpg.Pool, emulator: Emulator,
        caplog: pytest.LogCaptureFixture, step: str, text: str) -> None:
    harness = many_admins
    if not harness.chats:
        await add_members(pool, 3)
        first = harness.chat(ADMIN_ID)
        await _composed(first)
        await first.click("🕒 Запланировать")
        await first.send("через 2 часа")  # one scheduled broadcast for "new time"
    admin = await next_admin(harness)
    await STEPS[step](admin)
    caplog.clear()
    since = len(emulator.calls)
    await admin.send(text)
    answers = said_to_admin(emulator, harness, since, admin.user_id)
    assert answers, (step, text)  # the screen or a reason, never silence
    assert not any(APOLOGY in a for a in answers), (step, text, answers)
    assert not errors_logged(caplog), (step, text, errors_logged(caplog))
    assert admin.last().buttons() or admin.messages()[-2].buttons(), (step, text)  # a way on
