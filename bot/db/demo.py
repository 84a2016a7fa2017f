"""Deterministic demo data for the platform's tables, written with binary COPY.

The same seed gives the same users, bookings, registrations and events, placed relative to
the hour the data is made (so "today" and "last 7 days" always have something to show).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from bot.db import summaries

DAYS = 180
CHUNK = 50_000

NAMES_RU = ["Анна", "Мария", "Иван", "Дмитрий", "Екатерина", "Алексей", "Ольга", "Сергей",
            "Наталья", "Михаил", "Татьяна", "Андрей", "Юлия", "Павел", "Елена", "Никита",
            "Ксения", "Артём", "Светлана", "Роман", "Дарья", "Кирилл", "Полина", "Егор"]
NAMES_LAT = ["Alex", "Maria", "John", "Kate", "Max", "Nick", "Anna", "David", "Sofia", "Leo",
             "Eva", "Mark", "Olga", "Ivan", "Daria", "Tim"]
TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n",
                     "o", "p", "r", "s", "t", "u", "f", "h", "ts", "ch", "sh", "sch", "", "y", "",
                     "e", "yu", "ya"]))
STREAMS = (("3rd_stream", 25), ("4th_stream", 35), ("5th_stream", 40))
STATUSES = ((2, 45), (1, 35), (-1, 20))  # confirmed, pending, cancelled
REFERRALS = {"FRIEND10": 10, "VIBE15": 15, "BLOG20": 20, "TGCHANNEL": 10, "ALUMNI25": 25}
LESSON_TYPES = ("vibe_coding_intro", "ai_agents", "no_code_bots")
EMAIL_DOMAINS = ("gmail.com", "yandex.ru", "mail.ru", "outlook.com")
EVENT_TYPES = (("menu_opened", 30), ("course_info_viewed", 20), ("lesson_link_clicked", 4),
               ("faq_opened", 10), ("bot_start", 8), ("reviews_viewed", 8),
               ("payment_link_clicked", 6), ("free_lesson_registered", 5),
               ("referral_link_opened", 4), ("stream_schedule_viewed", 3))
PLATFORM_TABLES = ("bookings", "free_lesson_registrations", "events")


@dataclass(frozen=True)
class DemoPlan:
    users: int
    events: int
    seed: int = 1


@dataclass
class DemoUser:
    user_id: int
    first_name: str | None
    alt_first_name: str | None  # another spelling seen in some rows
    username: str | None
    first_seen: datetime
    lesson_type: str | None = None


def _weighted(rng: random.Random, table: tuple[tuple[object, int], ...]) -> list[object]:
    """A list to draw from with rng.choice, proportional to the weights."""
    return [value for value, weight in table for _ in range(weight)]


def make_users(plan: DemoPlan, anchor: datetime) -> list[DemoUser]:
    rng = random.Random(plan.seed)
    ids = rng.sample(range(100_000_000, 7_000_000_000), plan.users)
    users: list[DemoUser] = []
    for user_id in ids:
        cyrillic = rng.random() < 0.7
        name = rng.choice(NAMES_RU if cyrillic else NAMES_LAT)
        roll = rng.random()
        if roll < 0.03:
            name = None  # some people have no first name on record
        username = None
        if rng.random() >= 0.25 and name:
            base = "".join(TRANSLIT.get(ch, ch) for ch in name.lower())
            username = f"{base}{rng.choice(('', '_'))}{rng.randint(1, 9999)}"
        if users and rng.random() < 0.02:
            username = rng.choice(users).username  # a username that changed hands
        alt = None
        if name and rng.random() < 0.05:
            alt = rng.choice(NAMES_LAT if cyrillic else NAMES_RU)
        # more people arrive lately: the audience grows
        days_ago = DAYS * rng.random() ** 1.7
        first_seen = anchor - timedelta(days=days_ago, seconds=rng.randint(0, 3600))
        users.append(DemoUser(user_id, name, alt, username, first_seen))
    return users


def _after(rng: random.Random, start: datetime, anchor: datetime) -> datetime:
    span = max((anchor - start).total_seconds(), 1.0)
    return start + timedelta(seconds=span * rng.random() ** 2)


def booking_rows(users: list[DemoUser], rng: random.Random, anchor: datetime) -> list[tuple]:
    streams, statuses = _weighted(rng, STREAMS), _weighted(rng, STATUSES)
    codes = list(REFERRALS)
    rows = []
    for user in users:
        if rng.random() >= 0.3:
            continue
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
            code = rng.choice(codes) if rng.random() < 0.25 else None
            name = user.alt_first_name if user.alt_first_name and rng.random() < 0.5 else user.first_name
            rows.append((user.user_id, user.username, name, 1, rng.choice(streams),
                         rng.choice(statuses), _after(rng, user.first_seen, anchor), code,
                         REFERRALS[code] if code else 0))
    return rows


def registration_rows(users: list[DemoUser], rng: random.Random, anchor: datetime) -> list[tuple]:
    rows = []
    for user in users:
        if rng.random() >= 0.5:
            continue
        user.lesson_type = rng.choice(LESSON_TYPES)
        for lesson in {user.lesson_type, rng.choice(LESSON_TYPES)}:
            at = _after(rng, user.first_seen, anchor)
            email = None
            if rng.random() < 0.9:
                local = user.username or f"user{user.user_id % 100000}"
                email = f"{local.replace('.', '_')}@{rng.choice(EMAIL_DOMAINS)}"
            rows.append((user.user_id, user.username, user.first_name, email, at,
                         rng.random() < 0.8, lesson, (at + timedelta(days=rng.randint(1, 7))).date()))
    return rows


def event_rows(users: list[DemoUser], total: int, rng: random.Random,
               anchor: datetime) -> Iterator[tuple]:
    """Each user's first event is bot_start when they arrive; the rest are spread at random."""
    types = _weighted(rng, EVENT_TYPES)
    details_for = {lesson: {"lesson_type": lesson} for lesson in LESSON_TYPES}
    for user in users[:total]:
        yield (user.user_id, user.username, user.first_name, "bot_start", user.first_seen,
               {"source": "organic"})
    count = len(users)
    for _ in range(max(total - count, 0)):
        user = users[int(count * rng.random())]
        kind = rng.choice(types)
        details = None
        if kind == "lesson_link_clicked":
            if user.lesson_type is None:  # only people who registered get the lesson's link
                kind = "menu_opened"
            else:
                details = details_for[user.lesson_type]
        yield (user.user_id, user.username, user.first_name, kind,
               _after(rng, user.first_seen, anchor), details)


async def has_platform_rows(conn: asyncpg.Connection) -> bool:
    for table in PLATFORM_TABLES:
        if await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {table})"):
            return True
    return False


async def fill(conn: asyncpg.Connection, plan: DemoPlan, *, replace: bool = False,
               anchor: datetime | None = None) -> dict[str, int]:
    """Write the plan's rows; returns the row count per table."""
    anchor = anchor or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    users = make_users(plan, anchor)
    rng = random.Random(plan.seed + 1)
    counts: dict[str, int] = {}
    async with conn.transaction():
        await summaries.lock_out_readers(conn)
        if replace:
            await conn.execute(f"TRUNCATE {', '.join(PLATFORM_TABLES)} RESTART IDENTITY")
        # building the secondary indexes once at the end is several times faster than
        # keeping them up to date row by row (the tables are locked until commit anyway)
        indexes = await _drop_secondary_indexes(conn)
        bookings = booking_rows(users, rng, anchor)
        await conn.copy_records_to_table("bookings", records=bookings, columns=[
            "user_id", "username", "first_name", "course_id", "course_stream", "confirmed",
            "created_at", "referral_code", "discount_percent"])
        registrations = registration_rows(users, rng, anchor)
        await conn.copy_records_to_table("free_lesson_registrations", records=registrations, columns=[
            "user_id", "username", "first_name", "email", "registered_at", "notification_sent",
            "lesson_type", "lesson_date"])
        counts.update(bookings=len(bookings), free_lesson_registrations=len(registrations))
        written = 0
        chunk: list[tuple] = []
        for row in event_rows(users, plan.events, rng, anchor):
            chunk.append(row)
            if len(chunk) >= CHUNK:
                written += await _copy_events(conn, chunk)
                chunk = []
        written += await _copy_events(conn, chunk)
        counts["events"] = written
        for definition in indexes:
            await conn.execute(definition)
    await conn.execute("ANALYZE bookings; ANALYZE free_lesson_registrations; ANALYZE events")
    counts["users"] = len(users)
    return counts


async def _drop_secondary_indexes(conn: asyncpg.Connection) -> list[str]:
    """Drop the platform tables' indexes that back no constraint; returns their definitions."""
    rows = await conn.fetch(
        """SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
           FROM pg_index i
           WHERE i.indrelid = ANY($1::regclass[])
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
        list(PLATFORM_TABLES))
    for row in rows:
        await conn.execute(f"DROP INDEX {row['name']}")
    return [row["definition"] for row in rows]


async def _copy_events(conn: asyncpg.Connection, rows: list[tuple]) -> int:
    if rows:
        await conn.copy_records_to_table("events", records=rows, columns=[
            "user_id", "username", "first_name", "event_type", "created_at", "details"])
    return len(rows)
