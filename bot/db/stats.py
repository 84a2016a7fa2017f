"""Statistics read from the summaries the bot keeps (bot/db/summaries.py): new users, events,
registrations and bookings per day. Only the newest rows are read from the platform's tables,
through their indexes.

Undated rows are kept on the day '-infinity': "all time" (start None) counts them, a period
never does, and the time series leave them out (`undated` says how many there are)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from bot.db.streams import StreamSummary

ATTENDED = "lesson_link_clicked"


@dataclass(frozen=True)
class Window:
    """[start, end) in days of the admins' time zone; start None = all time."""

    start: date | None
    end: date
    timezone: str


@dataclass(frozen=True)
class PeriodFigures:
    new_users: int
    bookings: dict[int, int]  # confirmed value -> bookings created in the period
    registrations: int
    attendances: int

    @property
    def conversion(self) -> float | None:
        return self.attendances / self.registrations if self.registrations else None


@dataclass(frozen=True)
class Undated:
    """Rows without a usable date: in totals and "all time", in no period and no chart."""

    users: int  # users none of whose rows has a date
    bookings: int
    registrations: int
    events: int

    @property
    def rows(self) -> int:
        return self.bookings + self.registrations + self.events


@dataclass(frozen=True)
class Progress:
    """How far the summaries have read the platform's tables (by id)."""

    read: int
    total: int

    @property
    def share(self) -> float:
        return self.read / self.total if self.total else 1.0

    @property
    def counting(self) -> bool:
        """Enough is unread that the figures are visibly short (more than 1%)."""
        return self.share < 0.99


@dataclass(frozen=True)
class Overview:
    users: int
    current: PeriodFigures
    previous: PeriodFigures | None
    last_rows: dict[str, datetime | None]  # newest row of each platform table
    undated: Undated
    progress: Progress


async def undated(pool: asyncpg.Pool) -> Undated:
    row = await pool.fetchrow(
        """SELECT (SELECT coalesce(sum(new_users), 0) FROM daily_users
                   WHERE day = '-infinity')::bigint AS users,
                  (SELECT coalesce(sum(bookings), 0) FROM daily_bookings
                   WHERE day = '-infinity')::bigint AS bookings,
                  (SELECT coalesce(sum(registrations), 0) FROM daily_registrations
                   WHERE day = '-infinity')::bigint AS registrations,
                  (SELECT coalesce(sum(events), 0) FROM daily_events
                   WHERE day = '-infinity')::bigint AS events""")
    return Undated(row["users"], row["bookings"], row["registrations"], row["events"])


async def progress(pool: asyncpg.Pool) -> Progress:
    """Rows read by the summaries against the tables' newest ids (ids, not counts: both come
    from an index at once; gaps in the ids make it approximate)."""
    row = await pool.fetchrow(
        """WITH t(source, top) AS (VALUES
               ('bookings', (SELECT max(id) FROM bookings)),
               ('free_lesson_registrations', (SELECT max(id) FROM free_lesson_registrations)),
               ('events', (SELECT max(id) FROM events)))
           SELECT coalesce(sum(greatest(least(coalesce(m.last_id, 0), t.top), 0)), 0)::bigint
                      AS read,
                  coalesce(sum(greatest(t.top, 0)), 0)::bigint AS total
           FROM t LEFT JOIN summary_marks m USING (source)""")
    return Progress(row["read"], row["total"])


async def period_figures(pool: asyncpg.Pool, window: Window) -> PeriodFigures:
    start, end = window.start, window.end
    new_users = await pool.fetchval(
        "SELECT coalesce(sum(new_users), 0)::bigint FROM daily_users"
        " WHERE ($1::date IS NULL OR day >= $1) AND day < $2", start, end)
    bookings = await pool.fetch(
        "SELECT confirmed, sum(bookings)::bigint AS n FROM daily_bookings"
        " WHERE ($1::date IS NULL OR day >= $1) AND day < $2 GROUP BY confirmed", start, end)
    registrations = await pool.fetchval(
        "SELECT coalesce(sum(registrations), 0)::bigint FROM daily_registrations"
        " WHERE ($1::date IS NULL OR day >= $1) AND day < $2", start, end)
    attendances = await pool.fetchval(
        "SELECT coalesce(sum(events), 0)::bigint FROM daily_events WHERE event_type = $3"
        " AND ($1::date IS NULL OR day >= $1) AND day < $2", start, end, ATTENDED)
    return PeriodFigures(new_users, {r["confirmed"]: r["n"] for r in bookings},
                         registrations, attendances)


async def overview(pool: asyncpg.Pool, window: Window, previous: Window | None) -> Overview:
    users = await pool.fetchval("SELECT coalesce(sum(new_users), 0)::bigint FROM daily_users")
    last_rows = {  # a row dated ahead says nothing about whether rows still arrive
        table: await pool.fetchval(f"SELECT max({column}) FROM {table}"
                                   f" WHERE {column} <= now() + interval '1 day'")
        for table, column in (("events", "created_at"), ("bookings", "created_at"),
                              ("free_lesson_registrations", "registered_at"))}
    return Overview(users, await period_figures(pool, window),
                    await period_figures(pool, previous) if previous else None, last_rows,
                    await undated(pool), await progress(pool))


@dataclass(frozen=True)
class StreamBookings:
    code: str
    title: str
    total: int
    confirmed: int
    pending: int
    cancelled: int
    with_discount: int     # confirmed bookings with a discount
    average_discount: float | None  # over confirmed bookings with a discount


async def stream_bookings(pool: asyncpg.Pool) -> list[StreamBookings]:
    """Every active stream's bookings by status, and how much discount paid bookings used."""
    rows = await pool.fetch(
        """SELECT s.code, s.title, coalesce(sum(b.bookings), 0)::bigint AS total,
                  coalesce(sum(b.bookings) FILTER (WHERE b.confirmed = 2), 0)::bigint AS confirmed,
                  coalesce(sum(b.bookings) FILTER (WHERE b.confirmed = 1), 0)::bigint AS pending,
                  coalesce(sum(b.bookings) FILTER (WHERE b.confirmed = -1), 0)::bigint AS cancelled,
                  coalesce(sum(b.discounted) FILTER (WHERE b.confirmed = 2), 0)::bigint AS discounted,
                  sum(b.discounted_sum) FILTER (WHERE b.confirmed = 2)
                      / nullif(sum(b.discounted) FILTER (WHERE b.confirmed = 2), 0) AS average
           FROM course_streams s LEFT JOIN daily_bookings b ON b.course_stream = s.code
           WHERE s.archived_at IS NULL
           GROUP BY s.code, s.title, s.position ORDER BY s.position, s.code""")
    return [StreamBookings(r["code"], r["title"], r["total"], r["confirmed"], r["pending"],
                           r["cancelled"], r["discounted"],
                           float(r["average"]) if r["average"] is not None else None)
            for r in rows]


@dataclass(frozen=True)
class LessonFunnel:
    lesson_type: str
    registrations: int
    attendances: int

    @property
    def conversion(self) -> float | None:
        return self.attendances / self.registrations if self.registrations else None


async def funnel(pool: asyncpg.Pool, window: Window) -> list[LessonFunnel]:
    """Registrations per lesson type and clicks to that lesson, in the period."""
    rows = await pool.fetch(
        """WITH r AS (SELECT lesson_type, sum(registrations)::bigint AS n FROM daily_registrations
                      WHERE ($1::date IS NULL OR day >= $1) AND day < $2 GROUP BY 1),
                a AS (SELECT lesson_type, sum(events)::bigint AS n FROM daily_events
                      WHERE event_type = $3 AND ($1::date IS NULL OR day >= $1) AND day < $2
                      GROUP BY 1)
           SELECT coalesce(r.lesson_type, a.lesson_type) AS lesson_type,
                  coalesce(r.n, 0) AS registrations, coalesce(a.n, 0) AS attendances
           FROM r FULL JOIN a ON a.lesson_type = r.lesson_type
           ORDER BY registrations DESC, lesson_type""", window.start, window.end, ATTENDED)
    return [LessonFunnel(r["lesson_type"], r["registrations"], r["attendances"]) for r in rows]


async def top_events(pool: asyncpg.Pool, window: Window, limit: int = 10) -> list[tuple[str, int]]:
    rows = await pool.fetch(
        "SELECT event_type, sum(events)::bigint AS n FROM daily_events"
        " WHERE ($1::date IS NULL OR day >= $1) AND day < $2"
        " GROUP BY 1 ORDER BY n DESC, 1 LIMIT $3", window.start, window.end, limit)
    return [(r["event_type"], r["n"]) for r in rows]


async def daily_activity(pool: asyncpg.Pool, window: Window) -> list[tuple[date, int]]:
    """Events per day, every day of the period (days without events included)."""
    first = window.start or await pool.fetchval(
        "SELECT min(day) FROM daily_events WHERE day > '-infinity'") or window.end
    rows = await pool.fetch(
        """SELECT d::date AS day, coalesce(sum(e.events), 0)::bigint AS n
           FROM generate_series($1::date, $2::date - 1, interval '1 day') d
           LEFT JOIN daily_events e ON e.day = d::date
           GROUP BY 1 ORDER BY 1""", first, window.end)
    return [(r["day"], r["n"]) for r in rows]


@dataclass(frozen=True)
class Referral:
    code: str
    bookings: int
    confirmed: int
    average_discount: float | None


async def referrals(pool: asyncpg.Pool, window: Window, limit: int = 15) -> list[Referral]:
    """Referral codes of bookings made in the period."""
    rows = await pool.fetch(
        """SELECT referral_code, sum(bookings)::bigint AS n,
                  coalesce(sum(bookings) FILTER (WHERE confirmed = 2), 0)::bigint AS paid,
                  sum(rated_sum) / nullif(sum(rated), 0) AS discount
           FROM daily_bookings WHERE referral_code <> ''
             AND ($1::date IS NULL OR day >= $1) AND day < $2
           GROUP BY 1 ORDER BY n DESC, 1 LIMIT $3""",
        window.start, window.end, limit)
    return [Referral(r["referral_code"], r["n"], r["paid"],
                     float(r["discount"]) if r["discount"] is not None else None) for r in rows]


async def recent_bookings(pool: asyncpg.Pool, limit: int = 8) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT user_id, username, first_name, course_stream, confirmed, created_at FROM bookings"
        " WHERE created_at IS NOT NULL ORDER BY created_at DESC, id DESC LIMIT $1", limit)


async def recent_events(pool: asyncpg.Pool, limit: int = 8) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT user_id, username, first_name, event_type, created_at FROM events"
        " WHERE created_at IS NOT NULL ORDER BY created_at DESC, id DESC LIMIT $1", limit)


async def growth(pool: asyncpg.Pool, window: Window) -> list[tuple[date, int, int]]:
    """(day, new users, users so far) for every day of the period, days without newcomers too."""
    rows = await pool.fetch(
        """WITH bounds AS (
               SELECT coalesce($1::date, min(day) FILTER (WHERE day > '-infinity'),
                               $2::date - 1) AS first FROM daily_users),
           before AS (SELECT coalesce(sum(new_users), 0) AS n FROM daily_users, bounds
                      WHERE day > '-infinity' AND day < bounds.first)
           SELECT d::date AS day, coalesce(u.new_users, 0)::bigint AS new,
                  ((SELECT n FROM before) + sum(coalesce(u.new_users, 0)) OVER (ORDER BY d))::bigint
                      AS total
           FROM bounds, generate_series(bounds.first, $2::date - 1, interval '1 day') d
           LEFT JOIN daily_users u ON u.day = d::date ORDER BY d""",
        window.start, window.end)
    return [(r["day"], r["new"], r["total"]) for r in rows]


async def daily_bookings(pool: asyncpg.Pool, window: Window) -> list[tuple[date, int, int, int]]:
    """(day, confirmed, pending, cancelled) bookings created each day of the period."""
    rows = await pool.fetch(
        """WITH bounds AS (SELECT coalesce($1::date, min(day) FILTER (WHERE day > '-infinity'),
                                           $2::date - 1) AS first FROM daily_bookings)
           SELECT d::date AS day,
                  coalesce(sum(b.bookings) FILTER (WHERE b.confirmed = 2), 0)::bigint AS confirmed,
                  coalesce(sum(b.bookings) FILTER (WHERE b.confirmed = 1), 0)::bigint AS pending,
                  coalesce(sum(b.bookings) FILTER (WHERE b.confirmed = -1), 0)::bigint AS cancelled
           FROM bounds, generate_series(bounds.first, $2::date - 1, interval '1 day') d
           LEFT JOIN daily_bookings b ON b.day = d::date GROUP BY 1 ORDER BY 1""",
        window.start, window.end)
    return [(r["day"], r["confirmed"], r["pending"], r["cancelled"]) for r in rows]


async def stream_members(pool: asyncpg.Pool) -> list[StreamSummary]:
    """Active streams with paid and pending people, as last counted with the bookings."""
    rows = await pool.fetch(
        """SELECT s.code, s.title, coalesce(m.members, 0) AS members,
                  coalesce(m.pending, 0) AS pending
           FROM course_streams s LEFT JOIN stream_members m ON m.course_stream = s.code
           WHERE s.archived_at IS NULL ORDER BY s.position, s.code""")
    return [StreamSummary(r["code"], r["title"], r["members"], r["pending"]) for r in rows]
