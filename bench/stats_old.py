"""The statistics as the old dashboard computed them: plain SQL over the raw tables on every
page load (the queries of the seeds' analytics section, with the period's bounds added)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg

from bot.db.stats import Window

Query = tuple[str, list[Any]]

IN_WINDOW = ("($1::date IS NULL OR {col} >= ($1::date::timestamp AT TIME ZONE $3))"
             " AND {col} < ($2::date::timestamp AT TIME ZONE $3)")

USERS = """SELECT COUNT(DISTINCT user_id) FROM (
    SELECT user_id FROM bookings UNION SELECT user_id FROM events
    UNION SELECT user_id FROM free_lesson_registrations) AS all_users"""
NEW_USERS = f"""SELECT count(*) FROM (
    SELECT user_id, min(at) AS first FROM (
        SELECT user_id, created_at AS at FROM bookings
        UNION ALL SELECT user_id, registered_at FROM free_lesson_registrations
        UNION ALL SELECT user_id, created_at FROM events) u
    WHERE user_id IS NOT NULL GROUP BY user_id) f
    WHERE {IN_WINDOW.format(col='first')}"""
BOOKINGS = (f"SELECT confirmed, count(*) FROM bookings WHERE {IN_WINDOW.format(col='created_at')}"
            " GROUP BY confirmed")
PAID_PER_STREAM = ("SELECT course_stream, count(DISTINCT user_id) FROM bookings"
                   " WHERE confirmed = 2 GROUP BY course_stream")
REGISTRATIONS = ("SELECT count(*) FROM free_lesson_registrations"
                 f" WHERE {IN_WINDOW.format(col='registered_at')}")
ATTENDANCES = ("SELECT count(*) FROM events WHERE event_type = 'lesson_link_clicked'"
               f" AND {IN_WINDOW.format(col='created_at')}")
STREAMS = """SELECT course_stream, COUNT(*) AS total,
    SUM(CASE WHEN confirmed = 2 THEN 1 ELSE 0 END) AS confirmed,
    SUM(CASE WHEN confirmed = 1 THEN 1 ELSE 0 END) AS pending,
    SUM(CASE WHEN confirmed = -1 THEN 1 ELSE 0 END) AS cancelled,
    AVG(discount_percent) FILTER (WHERE confirmed = 2 AND discount_percent > 0) AS discount
    FROM bookings WHERE course_id = 1 AND course_stream IS NOT NULL GROUP BY course_stream"""
FUNNEL = f"""WITH registrations AS (
        SELECT lesson_type, COUNT(*) AS registration_count FROM free_lesson_registrations
        WHERE {IN_WINDOW.format(col='registered_at')} GROUP BY lesson_type),
    attendances AS (
        SELECT details->>'lesson_type' AS lesson_type, COUNT(*) AS attendance_count FROM events
        WHERE event_type = 'lesson_link_clicked' AND details->>'lesson_type' IS NOT NULL
          AND {IN_WINDOW.format(col='created_at')} GROUP BY details->>'lesson_type')
    SELECT COALESCE(r.lesson_type, a.lesson_type) AS lesson_type,
           COALESCE(r.registration_count, 0) AS registrations,
           COALESCE(a.attendance_count, 0) AS attendances
    FROM registrations r FULL OUTER JOIN attendances a ON r.lesson_type = a.lesson_type"""
TOP_EVENTS = (f"SELECT event_type, count(*) FROM events WHERE {IN_WINDOW.format(col='created_at')}"
              " GROUP BY event_type ORDER BY count(*) DESC")
DAILY = """SELECT d::date, count(e.id) FROM generate_series(
        coalesce($1::date, (SELECT min(created_at AT TIME ZONE $3)::date FROM events)),
        $2::date - 1, interval '1 day') d
    LEFT JOIN events e ON e.created_at >= (d::date::timestamp AT TIME ZONE $3)
                      AND e.created_at < ((d::date + 1)::timestamp AT TIME ZONE $3)
    GROUP BY 1 ORDER BY 1"""
REFERRALS = f"""SELECT referral_code, count(*), count(*) FILTER (WHERE confirmed = 2),
    avg(discount_percent) FROM bookings
    WHERE referral_code IS NOT NULL AND referral_code <> ''
      AND {IN_WINDOW.format(col='created_at')}
    GROUP BY referral_code ORDER BY count(*) DESC"""
RECENT = ("SELECT user_id, username, first_name, course_stream, confirmed, created_at"
          " FROM bookings ORDER BY created_at DESC LIMIT 8",
          "SELECT user_id, username, first_name, event_type, created_at"
          " FROM events ORDER BY created_at DESC LIMIT 8")


def _args(window: Window) -> list[Any]:
    return [window.start, window.end, window.timezone]


def _previous(window: Window) -> Window | None:
    if window.start is None:
        return None
    return Window(window.start - (window.end - window.start), window.start, window.timezone)


def _overview(window: Window) -> list[Query]:
    queries = [(USERS, []), (PAID_PER_STREAM, [])]
    for w in filter(None, (window, _previous(window))):
        queries += [(q, _args(w)) for q in (NEW_USERS, BOOKINGS, REGISTRATIONS, ATTENDANCES)]
    return queries


OLD_SCREENS: dict[str, Callable[[Window], list[Query]]] = {
    "overview": _overview,
    "streams": lambda window: [(STREAMS, [])],
    "funnel": lambda window: [(FUNNEL, _args(window))],
    "events": lambda window: [(TOP_EVENTS, _args(window)), (DAILY, _args(window))],
    "referrals": lambda window: [(REFERRALS, _args(window))],
    "recent": lambda window: [(RECENT[0], []), (RECENT[1], [])],
}


async def old_numbers(pool: asyncpg.Pool, window: Window) -> dict[str, Any]:
    """The figures the bot shows, computed the old way, keyed as bench.stats compares them."""
    args = _args(window)
    return {
        "users": await pool.fetchval(USERS),
        "new_users": await pool.fetchval(NEW_USERS, *args),
        "bookings": dict(await pool.fetch(BOOKINGS, *args)),
        "registrations": await pool.fetchval(REGISTRATIONS, *args),
        "attendances": await pool.fetchval(ATTENDANCES, *args),
        "streams": {r[0]: (r[1], r[2], r[3], r[4]) for r in await pool.fetch(STREAMS)},
        "funnel": {r[0]: (r[1], r[2]) for r in await pool.fetch(FUNNEL, *args)},
        "top_events": dict(await pool.fetch(TOP_EVENTS, *args)),
        "referrals": {r[0]: (r[1], r[2]) for r in await pool.fetch(REFERRALS, *args)},
    }
