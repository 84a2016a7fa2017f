"""The user directory and daily counts, fed from the platform's tables by id: each run reads
only rows newer than the last one it read. Runs are serialised by an advisory lock, so two
instances (or a job and a test) never count a row twice."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

_LOCK = 0x4853_4C5F_53554D  # "HSL_SUM"
BATCH = 200_000


@dataclass(frozen=True)
class Source:
    table: str
    time_column: str
    daily_sql: str  # a data-modifying CTE over `src`, or ""


_DIRECTORY = """
    dir AS (
        INSERT INTO user_directory AS d (user_id, username, first_name, first_seen, last_seen)
        SELECT user_id,
               (array_agg(username ORDER BY at DESC) FILTER (WHERE username IS NOT NULL))[1],
               (array_agg(first_name ORDER BY at DESC) FILTER (WHERE first_name IS NOT NULL))[1],
               min(at), max(at)
        FROM src WHERE user_id IS NOT NULL GROUP BY user_id
        ON CONFLICT (user_id) DO UPDATE SET
            username = CASE WHEN excluded.last_seen >= d.last_seen
                            THEN coalesce(excluded.username, d.username)
                            ELSE coalesce(d.username, excluded.username) END,
            first_name = CASE WHEN excluded.last_seen >= d.last_seen
                              THEN coalesce(excluded.first_name, d.first_name)
                              ELSE coalesce(d.first_name, excluded.first_name) END,
            first_seen = least(d.first_seen, excluded.first_seen),
            last_seen = greatest(d.last_seen, excluded.last_seen)
        RETURNING 1)"""

SOURCES = (
    Source("bookings", "created_at", ""),
    Source("free_lesson_registrations", "registered_at", """,
    daily AS (
        INSERT INTO daily_registrations AS r (day, lesson_type, registrations)
        SELECT (at AT TIME ZONE $3)::date, coalesce(lesson_type, ''), count(*)
        FROM src GROUP BY 1, 2
        ON CONFLICT (day, lesson_type)
        DO UPDATE SET registrations = r.registrations + excluded.registrations
        RETURNING 1)"""),
    Source("events", "created_at", """,
    daily AS (
        INSERT INTO daily_events AS e (day, event_type, lesson_type, events)
        SELECT (at AT TIME ZONE $3)::date, coalesce(event_type, ''),
               CASE WHEN event_type = 'lesson_link_clicked'
                    THEN coalesce(details->>'lesson_type', '') ELSE '' END, count(*)
        FROM src GROUP BY 1, 2, 3
        ON CONFLICT (day, event_type, lesson_type) DO UPDATE SET events = e.events + excluded.events
        RETURNING 1)"""),
)


def _batch_sql(source: Source) -> str:
    extra = ", event_type, details" if source.table == "events" else (
        ", lesson_type" if source.table == "free_lesson_registrations" else "")
    return f"""
        WITH src AS (
            SELECT id, user_id, username, first_name,
                   coalesce({source.time_column}, 'epoch'::timestamptz) AS at{extra}
            FROM {source.table} WHERE id > $1 ORDER BY id LIMIT $2
        ),{_DIRECTORY}{source.daily_sql}
        SELECT max(id) AS last_id, count(*) AS n FROM src"""


async def refresh(pool: asyncpg.Pool, timezone: str, max_batches: int = 50) -> int:
    """Read what is new in the platform's tables; returns how many rows were read."""
    total = 0
    for source in SOURCES:
        for _ in range(max_batches):
            read = await _one_batch(pool, source, timezone)
            total += read
            if read < BATCH:
                break
    return total


async def _one_batch(pool: asyncpg.Pool, source: Source, timezone: str) -> int:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK)
        mark = await conn.fetchrow("SELECT last_id, timezone FROM summary_marks WHERE source = $1",
                                   source.table)
        if mark is not None and mark["timezone"] != timezone:
            await _recount_days(conn, timezone)  # days were counted in another time zone
            mark = None
        last_id = mark["last_id"] if mark else 0
        row = await conn.fetchrow(_batch_sql(source), last_id, BATCH,
                                  *([timezone] if source.daily_sql else []))
        if row["n"]:
            await conn.execute(
                """INSERT INTO summary_marks (source, last_id, timezone) VALUES ($1, $2, $3)
                   ON CONFLICT (source) DO UPDATE SET last_id = excluded.last_id,
                       timezone = excluded.timezone, updated_at = now()""",
                source.table, row["last_id"], timezone)
        elif mark is None:
            await conn.execute("INSERT INTO summary_marks (source, last_id, timezone)"
                               " VALUES ($1, 0, $2) ON CONFLICT (source) DO NOTHING",
                               source.table, timezone)
        return row["n"]


async def _recount_days(conn: asyncpg.Connection, timezone: str) -> None:
    """Start the daily counts over (the directory does not depend on the time zone)."""
    await conn.execute("TRUNCATE daily_events, daily_registrations")
    await conn.execute("UPDATE summary_marks SET last_id = 0, timezone = $1", timezone)
