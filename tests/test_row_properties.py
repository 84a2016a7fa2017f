"""Property tests over generated platform rows: whatever the platform's bot writes (NULL in
every nullable column, any JSON in events.details, timestamps NULL / 1970 / 2100 / now, HTML,
very long, zero-width and right-to-left text), the admin opening the statistics, the user card
and the people lists through the real webhook gets the screen, never the apology, never a
traceback in the log, never an unanswered callback; and the summaries equal plain SQL.

One bot, emulator and database serve every example of the module (the tables are emptied
between examples). `--hypothesis-profile=long` runs many more examples (see conftest.py)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from bot.db import summaries
from bot.db.pool import create_pool
from bot.keyboards.stats import CHARTS, SCREENS, ChartCallback, StatsCallback
from bot.keyboards.people_lists import ListCallback
from bot.keyboards.users import CardCallback
from bot.sandbox.chats import Delivery
from bot.sandbox.emulator import Emulator
from bot.sandbox.limits import LimitConfig
from bot.app import BUDGETS_KEY
from bot.sandbox.harness import ADMIN_ID, ADMIN_TOKEN, BROADCAST_TOKEN, BotHarness, dsn_for, \
    make_settings
from bot.text.periods import PERIODS
from conftest import _create_database, _drop_database

TZ = "Europe/Moscow"
APOLOGY = "Не получилось выполнить действие"
STREAMS = ("3rd_stream", "4th_stream", "5th_stream")  # the migrations' streams
NOW = datetime.now(UTC)
# example counts come from the profile (conftest.py: 15 by default, 300 with `long`)
EXAMPLES = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.large_base_example])
pytestmark = pytest.mark.timeout(3600)  # the long profile's run


# ---- generated rows ------------------------------------------------------------------------
_char = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
_odd = st.sampled_from(["<b>жирный</b>", "<a href='x'>", "&amp;", "\u200b", "\u200d", "\ufeff",
                        "\u202e", "\u200f", "שלום", "مرحبا", "👩‍💻", "=1+2", "'; DROP TABLE x; --",
                        "\\", "%_", " ", "\n"])
texts = st.one_of(
    st.none(),
    st.text(_char, max_size=12),
    st.lists(st.one_of(_odd, st.text(_char, max_size=4)), max_size=6).map("".join),
    st.integers(300, 5000).flatmap(lambda n: st.sampled_from(["я" * n, "<i>" * (n // 3)])),
)
# long and incompressible, for the columns no index of the platform's bounds
long_texts = st.text(st.characters(min_codepoint=0x400, max_codepoint=0x4FF), min_size=1500,
                     max_size=3000)
unbounded = st.one_of(texts, long_texts)
small_texts = st.one_of(st.none(), st.text(_char, max_size=8),
                        st.sampled_from(["ai_agents", "vibe_coding_intro", "", "<b>"]))
moments = st.one_of(
    st.none(),
    st.sampled_from([datetime(1970, 1, 1, tzinfo=UTC), datetime(1970, 1, 2, 3, tzinfo=UTC),
                     datetime(2100, 1, 1, tzinfo=UTC), NOW, NOW + timedelta(hours=23)]),
    st.integers(0, 200 * 24 * 3600).map(lambda s: NOW - timedelta(seconds=s)),
)
user_ids = st.one_of(st.none(), st.sampled_from([1, 2, 3, 1001, 10**12]),
                     st.integers(-2**63, 2**63 - 1))
int4 = st.integers(-2**31, 2**31 - 1)
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                      st.floats(allow_nan=False, allow_infinity=False), st.text(_char, max_size=10),
                      _odd)
json_any = st.recursive(json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(_char, max_size=6), inner, max_size=4)),
    max_leaves=12)


def _nested(depth: int, leaf: Any) -> str:
    """JSON text nested `depth` levels (objects with lesson_type and lists in turn): deeper
    than Python's own json module writes or reads."""
    opening = "".join('[' if i % 2 else '{"lesson_type": ' for i in range(depth))
    closing = "".join(']' if i % 2 else '}' for i in reversed(range(depth)))
    return opening + json.dumps(leaf, ensure_ascii=False) + closing


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


details = st.one_of(
    st.none(),  # SQL NULL
    json_any.map(_json),  # JSON null, numbers, strings, arrays at the top
    st.fixed_dictionaries({"lesson_type": json_any | long_texts},
                          optional={"source": json_any}).map(_json),
    st.tuples(st.integers(1, 3000), json_leaf).map(lambda t: _nested(*t)),
)


@st.composite
def bookings(draw: st.DrawFn) -> tuple[Any, ...]:
    return (draw(user_ids), draw(unbounded), draw(unbounded), draw(st.one_of(st.none(), int4)),
            draw(st.one_of(st.none(), st.sampled_from(STREAMS), small_texts)),
            draw(st.one_of(st.none(), st.sampled_from([-1, 1, 2]), int4)), draw(moments),
            draw(st.one_of(st.none(), small_texts, unbounded)),
            draw(st.one_of(st.none(), st.integers(-5, 120), int4)))


@st.composite
def registrations(draw: st.DrawFn) -> tuple[Any, ...]:
    return (draw(user_ids), draw(unbounded), draw(unbounded), draw(unbounded), draw(moments),
            draw(st.one_of(st.none(), st.booleans())), draw(small_texts),
            draw(st.one_of(st.none(), st.sampled_from([date(1970, 1, 1), date(2100, 1, 1)]),
                           st.dates(date(2000, 1, 1), date(2030, 1, 1)))))


@st.composite
def events(draw: st.DrawFn) -> tuple[Any, ...]:
    value = draw(details)
    return (draw(user_ids), draw(unbounded), draw(unbounded),
            draw(st.one_of(st.sampled_from(["lesson_link_clicked", "menu_opened"]), small_texts,
                           texts)),
            draw(moments), value)


@dataclass
class Rows:
    bookings: list[tuple[Any, ...]]
    registrations: list[tuple[Any, ...]]
    events: list[tuple[Any, ...]]

    def user_ids(self) -> list[int]:
        ids = {r[0] for table in (self.bookings, self.registrations, self.events) for r in table}
        return sorted(i for i in ids if i is not None)


platform_rows = st.builds(Rows, st.lists(bookings(), max_size=6),
                          st.lists(registrations(), max_size=5), st.lists(events(), max_size=8))


# ---- one bot for the module ------------------------------------------------------------------
class Problems(logging.Handler):
    """Log records that mean something went wrong: errors, and anything with a traceback."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info or record.exc_text \
                or "not refreshed" in record.getMessage():
            self.records.append(record)

    def take(self) -> list[str]:
        found = [f"{r.name}: {r.getMessage()}\n{r.exc_text or ''}" for r in self.records]
        if any(r.exc_info for r in self.records):
            found += [logging.Formatter().formatException(r.exc_info)  # type: ignore[arg-type]
                      for r in self.records if r.exc_info]
        self.records.clear()
        return found


@dataclass
class Live:
    loop: asyncio.AbstractEventLoop
    harness: BotHarness
    pool: asyncpg.Pool
    problems: Problems

    def run(self, coro):  # type: ignore[no-untyped-def]
        return self.loop.run_until_complete(coro)

    @property
    def emulator(self) -> Emulator:
        return self.harness.emulator


@pytest.fixture(scope="module")
def live(server_dsn: str, template_db: str) -> Iterator[Live]:
    loop = asyncio.new_event_loop()
    name = loop.run_until_complete(_create_database(server_dsn, template_db))
    url = dsn_for(server_dsn, name)

    async def start() -> tuple[BotHarness, asyncpg.Pool]:
        emulator = Emulator()
        emulator.add_bot(ADMIN_TOKEN, "hsl_admin_bot")
        emulator.add_bot(BROADCAST_TOKEN, "hsl_course_bot")
        # the admin gets many screens a second here; Telegram's per-chat pace (the bot waits
        # out its 429s) would only make the run slow
        emulator.bot(ADMIN_TOKEN).limits.config = LimitConfig(chat_per_second=1000,
                                                             chat_burst=1000)
        await emulator.start()
        # the summaries are read by the tests themselves (the job's first run aside)
        harness = BotHarness(emulator, make_settings(url, emulator.base_url, timezone=TZ,
                                                     stats_refresh_seconds=86400))
        await harness.start()
        budget = harness.app[BUDGETS_KEY].for_token(ADMIN_TOKEN)  # and the bot's own pace
        budget.chat_rate, budget.chat_burst = 1000.0, 1000
        await harness.chat(ADMIN_ID).send("/start")  # a message whose buttons get pressed
        return harness, await create_pool(url)

    harness, pool = loop.run_until_complete(start())
    problems = live_problems
    logging.getLogger().addHandler(problems)
    try:
        yield Live(loop, harness, pool, problems)
    finally:
        logging.getLogger().removeHandler(problems)
        loop.run_until_complete(pool.close())
        loop.run_until_complete(harness.stop())
        loop.run_until_complete(harness.emulator.stop())
        loop.run_until_complete(_drop_database(server_dsn, name))
        loop.close()


live_problems = Problems()


async def load(pool: asyncpg.Pool, rows: Rows, refresh: bool = True) -> None:
    """Empty the platform's tables and the summaries, insert these rows, read them."""
    live_problems.take()  # what an earlier, failed example left behind
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", summaries._LOCK)
        await conn.execute(
            "TRUNCATE bookings, free_lesson_registrations, events, user_directory, daily_users,"
            " daily_events, daily_registrations, daily_bookings, stream_members, summary_marks,"
            " rollup_marks RESTART IDENTITY")
        await conn.executemany(
            "INSERT INTO bookings (user_id, username, first_name, course_id, course_stream,"
            " confirmed, created_at, referral_code, discount_percent)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", rows.bookings)
        await conn.executemany(
            "INSERT INTO free_lesson_registrations (user_id, username, first_name, email,"
            " registered_at, notification_sent, lesson_type, lesson_date)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", rows.registrations)
        await conn.executemany(
            "INSERT INTO events (user_id, username, first_name, event_type, created_at, details)"
            " VALUES ($1, $2, $3, $4, $5, $6::text::jsonb)", rows.events)
    if refresh:
        await summaries.refresh(pool, TZ, bookings_max_age=0)


async def begin(live: Live, rows: Rows, refresh: bool) -> None:
    """These rows in the tables, and the menu as the newest message (buttons are pressed on
    the newest message: not on a chart or a file an earlier example left last)."""
    await load(live.pool, rows, refresh)
    await act(live, text="/start")


async def act(live: Live, data: str | None = None, text: str | None = None) -> Delivery:
    """Press a button with this callback data (or send this text) as the admin; the answer
    must be a screen, never the apology, a 5xx, an unanswered callback or a logged error."""
    emulator, token = live.emulator, live.harness.token
    live.harness.chat(ADMIN_ID)
    before = len(live.harness.chat(ADMIN_ID).messages())
    if data is not None:
        delivery = await emulator.press_forged(token, ADMIN_ID, data)
    else:
        delivery = await emulator.send_text(token, ADMIN_ID, text or "")
    await live.harness.settle()
    what = data or text
    problems = live.problems.take()
    assert not problems, f"{what}: " + "\n".join(problems)
    assert delivery.status == 200, f"{what}: webhook answered {delivery.status}"
    if delivery.callback_query_id is not None:
        answer = emulator.callback_answer(token, delivery.callback_query_id)
        assert answer["answered"], f"{what}: the callback was not answered"
        assert APOLOGY not in (answer.get("text") or ""), f"{what}: apology"
    messages = live.harness.chat(ADMIN_ID).messages()
    assert messages, f"{what}: no answer"
    for message in [messages[-1], *messages[before:]]:
        assert APOLOGY not in message.text, f"{what}: apology"
    return delivery


def last(live: Live):  # type: ignore[no-untyped-def]
    return live.harness.chat(ADMIN_ID).last()


# ---- the properties --------------------------------------------------------------------------
@EXAMPLES
@given(rows=platform_rows, period=st.sampled_from(sorted(PERIODS)),
       chart=st.sampled_from([key for key, _label in CHARTS]), refreshed=st.booleans())
def test_every_statistics_screen_and_chart_shows_any_rows(live: Live, rows: Rows, period: str,
                                                          chart: str, refreshed: bool) -> None:
    async def check() -> None:
        await begin(live, rows, refreshed)
        await act(live, text="/stats")
        assert last(live).text.startswith("📊 Обзор")
        for screen, _label in SCREENS:
            await act(live, StatsCallback(screen=screen, period=period).pack())
            assert last(live).kind == "text" and last(live).buttons()
        await act(live, ChartCallback(chart=chart, period=period).pack())
        assert last(live).kind == "photo"

    live.run(check())


@EXAMPLES
@given(rows=platform_rows, refreshed=st.booleans())
def test_the_card_its_bookings_and_events_show_any_rows(live: Live, rows: Rows,
                                                       refreshed: bool) -> None:
    async def check() -> None:
        await begin(live, rows, refreshed)
        for user_id in rows.user_ids()[:2]:
            await act(live, CardCallback(user_id=user_id).pack())
            assert last(live).text.startswith("👤")
            await act(live, CardCallback(user_id=user_id, view="bookings").pack())
            assert last(live).text.startswith("🎫")
            for page in (0, 10**6):
                await act(live, CardCallback(user_id=user_id, view="events", page=page).pack())
                assert last(live).text.startswith("🖱")
            if 0 < user_id < 10**18:  # a name linked to the card: /start u<id>
                await act(live, text=f"/start u{user_id}")
                assert last(live).text.startswith("👤")

    live.run(check())


@EXAMPLES
@given(rows=platform_rows, refreshed=st.booleans())
def test_people_lists_and_their_csv_show_any_rows(live: Live, rows: Rows, refreshed: bool) -> None:
    async def check() -> None:
        await begin(live, rows, refreshed)
        lists = [ListCallback(kind=kind) for kind in ("leads", "pending", "free_lesson")]
        lists += [ListCallback(kind="stream", stream=code) for code in STREAMS]
        for kind in lists:
            await act(live, kind.pack())
            assert "человек" in last(live).text
        for kind in lists:  # a file comes as a new message (the screens above are edited)
            await act(live, kind.model_copy(update={"csv": True}).pack())
            assert last(live).kind == "document"
            assert last(live).file.content.startswith("\ufeffuser_id".encode())

    live.run(check())


@EXAMPLES
@given(rows=platform_rows)
def test_the_summaries_equal_plain_sql_over_any_rows(live: Live, rows: Rows) -> None:
    """Undated (NULL, or more than a day ahead) rows count on no day and give no first seen."""
    dated = "CASE WHEN {0} <= now() + interval '1 day' THEN {0} END"
    day = f"coalesce(({dated} AT TIME ZONE '{TZ}')::date, '-infinity')"
    seen = f"""SELECT user_id, {dated.format('created_at')} AS at FROM bookings
               UNION ALL SELECT user_id, {dated.format('registered_at')}
                         FROM free_lesson_registrations
               UNION ALL SELECT user_id, {dated.format('created_at')} FROM events"""

    async def check() -> None:
        pool = live.pool
        await load(pool, rows)
        expected = dict(await pool.fetch(
            f"SELECT user_id, min(at) FROM ({seen}) u WHERE user_id IS NOT NULL GROUP BY 1"))
        assert dict(await pool.fetch("SELECT user_id, first_seen FROM user_directory")) == expected
        assert await pool.fetchval(
            "SELECT coalesce(sum(new_users), 0) FROM daily_users") == len(expected)
        newcomers = sorted(tuple(r) for r in await pool.fetch(f"""
            SELECT coalesce((first AT TIME ZONE '{TZ}')::date, '-infinity'), count(*) FROM (
                SELECT user_id, min(at) AS first FROM ({seen}) u WHERE user_id IS NOT NULL
                GROUP BY 1) f GROUP BY 1"""))
        assert sorted(tuple(r) for r in await pool.fetch(
            "SELECT day, new_users FROM daily_users WHERE new_users <> 0")) == newcomers
        events_by_day = sorted(tuple(r) for r in await pool.fetch(f"""
            SELECT {day.format('created_at')}, coalesce(event_type, ''),
                   CASE WHEN event_type = 'lesson_link_clicked'
                        THEN left(coalesce(details->>'lesson_type', ''), 200) ELSE '' END,
                   count(*)
            FROM events GROUP BY 1, 2, 3"""))
        assert sorted(tuple(r) for r in await pool.fetch(
            "SELECT * FROM daily_events")) == events_by_day
        registrations_by_day = sorted(tuple(r) for r in await pool.fetch(f"""
            SELECT {day.format('registered_at')}, coalesce(lesson_type, ''), count(*)
            FROM free_lesson_registrations GROUP BY 1, 2"""))
        assert sorted(tuple(r) for r in await pool.fetch(
            "SELECT * FROM daily_registrations")) == registrations_by_day
        bookings_by_day = sorted(tuple(r) for r in await pool.fetch(f"""
            SELECT {day.format('created_at')}, coalesce(course_stream, ''),
                   coalesce(confirmed, 0), left(coalesce(referral_code, ''), 200), count(*)
            FROM bookings GROUP BY 1, 2, 3, 4"""))
        assert sorted(tuple(r) for r in await pool.fetch(
            "SELECT day, course_stream, confirmed, referral_code, bookings"
            " FROM daily_bookings")) == bookings_by_day

    live.run(check())
