"""The user directory and daily counts, fed from the platform's tables by id: each run reads
only rows newer than the last one it read. Runs are serialised by an advisory lock, so two
instances (or a job and a test) never count a row twice.

Undated rows (time NULL, or more than a day ahead when read: the platform's clock or data is
wrong) count on no day: '-infinity' in the daily tables, so they are in every total and in
"all time" but in no period and no chart, and they give no first or last seen.

Free text the platform writes into a daily table's key (details.lesson_type, referral_code;
the other keys are bounded by the platform's own indexes) is cut to 200 characters, and the
directory's indexed @username and e-mail to 256: a B-tree entry holds about 2,700 bytes, and
one longer value would stop every refresh."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from bot.db import outcome_summaries

_LOCK = 0x4853_4C5F_53554D  # "HSL_SUM"
BATCH = 200_000


def dated(column: str) -> str:
    """The row's time, or NULL when it has none that can be true (see the module's note)."""
    return f"CASE WHEN {column} <= now() + interval '1 day' THEN {column} END"


@dataclass(frozen=True)
class Source:
    table: str
    time_column: str
    daily_sql: str  # a data-modifying CTE over `src`, or ""


# The directory, and new users per day moved along with it: every CTE sees the table as it
# was before the statement, so `old` holds what the INSERT is about to change.
_DIRECTORY = """
    old AS (
        SELECT user_id, first_seen FROM user_directory
        WHERE user_id IN (SELECT user_id FROM src WHERE user_id IS NOT NULL)),
    dir AS (
        INSERT INTO user_directory AS d (user_id, username, first_name, email, names,
                                         first_seen, last_seen)
        SELECT user_id,
               left((array_agg(username ORDER BY at DESC NULLS LAST, id DESC)
                     FILTER (WHERE username IS NOT NULL))[1], 256),
               (array_agg(first_name ORDER BY at DESC NULLS LAST, id DESC) FILTER (WHERE first_name IS NOT NULL))[1],
               left((array_agg(email ORDER BY at DESC NULLS LAST, id DESC)
                     FILTER (WHERE email IS NOT NULL))[1], 256),
               coalesce(string_agg(DISTINCT search_key(left(first_name, 256)), ' '), ''),
               min(at), max(at)
        FROM src WHERE user_id IS NOT NULL GROUP BY user_id
        ON CONFLICT (user_id) DO UPDATE SET
            email = CASE WHEN coalesce(excluded.last_seen >= d.last_seen, d.last_seen IS NULL)
                         THEN coalesce(excluded.email, d.email)
                         ELSE coalesce(d.email, excluded.email) END,
            names = CASE WHEN excluded.names = '' THEN d.names
                         ELSE (SELECT string_agg(DISTINCT w, ' ') FROM unnest(
                               string_to_array(d.names || ' ' || excluded.names, ' ')) w
                               WHERE w <> '') END,
            username = CASE WHEN coalesce(excluded.last_seen >= d.last_seen, d.last_seen IS NULL)
                            THEN coalesce(excluded.username, d.username)
                            ELSE coalesce(d.username, excluded.username) END,
            first_name = CASE WHEN coalesce(excluded.last_seen >= d.last_seen,
                                            d.last_seen IS NULL)
                              THEN coalesce(excluded.first_name, d.first_name)
                              ELSE coalesce(d.first_name, excluded.first_name) END,
            first_seen = least(d.first_seen, excluded.first_seen),
            last_seen = greatest(d.last_seen, excluded.last_seen)
        RETURNING user_id, first_seen),
    newcomers AS (
        INSERT INTO daily_users AS u (day, new_users)
        SELECT day, sum(delta) FROM (
            SELECT coalesce((first_seen AT TIME ZONE $3)::date, '-infinity') AS day, 1 AS delta
            FROM dir
            UNION ALL SELECT coalesce((first_seen AT TIME ZONE $3)::date, '-infinity'), -1
            FROM old) moves
        GROUP BY day HAVING sum(delta) <> 0
        ON CONFLICT (day) DO UPDATE SET new_users = u.new_users + excluded.new_users
        RETURNING 1)"""

SOURCES = (
    Source("bookings", "created_at", ""),
    Source("free_lesson_registrations", "registered_at", """,
    daily AS (
        INSERT INTO daily_registrations AS r (day, lesson_type, registrations)
        SELECT coalesce((at AT TIME ZONE $3)::date, '-infinity'), coalesce(lesson_type, ''),
               count(*)
        FROM src GROUP BY 1, 2
        ON CONFLICT (day, lesson_type)
        DO UPDATE SET registrations = r.registrations + excluded.registrations
        RETURNING 1)"""),
    Source("events", "created_at", """,
    daily AS (
        INSERT INTO daily_events AS e (day, event_type, lesson_type, events)
        SELECT coalesce((at AT TIME ZONE $3)::date, '-infinity'), coalesce(event_type, ''),
               CASE WHEN event_type = 'lesson_link_clicked'
                    THEN left(coalesce(details->>'lesson_type', ''), 200) ELSE '' END, count(*)
        FROM src GROUP BY 1, 2, 3
        ON CONFLICT (day, event_type, lesson_type) DO UPDATE SET events = e.events + excluded.events
        RETURNING 1)"""),
)


def _batch_sql(source: Source) -> str:
    extra = {"events": ", NULL::text AS email, event_type, details",
             "free_lesson_registrations": ", email, lesson_type"}.get(source.table,
                                                                       ", NULL::text AS email")
    return f"""
        WITH src AS (
            SELECT id, user_id, username, first_name,
                   {dated(source.time_column)} AS at{extra}
            FROM {source.table} WHERE id > $1 ORDER BY id LIMIT $2
        ),{_DIRECTORY}{source.daily_sql}
        SELECT max(id) AS last_id, count(*) AS n FROM src"""


async def lock_out_readers(conn: asyncpg.Connection) -> None:
    """For a transaction that rewrites the platform's tables (demo data): the summaries'
    readers wait until it commits, instead of holding those tables half read (a deadlock
    with its DROP INDEX and TRUNCATE, which lock them whole)."""
    await conn.execute("SELECT pg_advisory_xact_lock($1), pg_advisory_xact_lock($2)",
                       _LOCK, outcome_summaries.LOCK)


async def refresh(pool: asyncpg.Pool, timezone: str, max_batches: int = 50,
                  bookings_max_age: float = 60) -> int:
    """Read what is new in the platform's tables and count bookings again if they changed;
    returns how many new rows were read. What broadcasts caused is kept up to date with them."""
    await recount_bookings(pool, timezone, bookings_max_age)
    total = 0
    for source in SOURCES:
        for _ in range(max_batches):
            read = await _one_batch(pool, source, timezone)
            total += read
            if read < BATCH:
                break
    await outcome_summaries.catch_up(pool, bookings_max_age)
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
        row = await conn.fetchrow(_batch_sql(source), last_id, BATCH, timezone)
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
    """Start the daily counts over. The directory does not depend on the time zone: its new
    users per day are counted again from it, and reading the rows again moves nobody."""
    await conn.execute("TRUNCATE daily_events, daily_registrations, daily_users")
    await conn.execute("INSERT INTO daily_users (day, new_users) SELECT coalesce((first_seen AT"
                       " TIME ZONE $1)::date, '-infinity'), count(*) FROM user_directory"
                       " GROUP BY 1", timezone)
    await conn.execute("UPDATE summary_marks SET last_id = 0, timezone = $1", timezone)


# Bookings change status in place, so reading new ids is not enough: they are counted again,
# whole, when the newest id, the table's file (a TRUNCATE) or its write counters have moved.
# The counters reach other sessions up to ~10 s late, hence a recount at least every `max_age`.
_BOOKINGS_FINGERPRINT = """
    SELECT concat_ws(':', (SELECT max(id) FROM bookings), pg_relation_filenode(c.oid),
                     pg_stat_get_tuples_inserted(c.oid),
                     pg_stat_get_tuples_updated(c.oid), pg_stat_get_tuples_deleted(c.oid))
    FROM pg_class c WHERE c.oid = 'bookings'::regclass"""

_RECOUNT_BOOKINGS = """
    INSERT INTO daily_bookings (day, course_stream, confirmed, referral_code, bookings,
                                rated, rated_sum, discounted, discounted_sum)
    SELECT coalesce((""" + dated("created_at") + """ AT TIME ZONE $1)::date, '-infinity'),
           coalesce(course_stream, ''),
           coalesce(confirmed, 0), left(coalesce(referral_code, ''), 200), count(*),
           count(discount_percent), coalesce(sum(discount_percent), 0),
           count(*) FILTER (WHERE discount_percent > 0),
           coalesce(sum(discount_percent) FILTER (WHERE discount_percent > 0), 0)
    FROM bookings GROUP BY 1, 2, 3, 4"""

_RECOUNT_MEMBERS = """
    INSERT INTO stream_members (course_stream, members, pending)
    SELECT course_stream, count(DISTINCT user_id) FILTER (WHERE confirmed = 2),
           count(DISTINCT user_id) FILTER (WHERE confirmed = 1)
    FROM bookings WHERE user_id IS NOT NULL AND course_stream IS NOT NULL GROUP BY 1"""


async def recount_bookings(pool: asyncpg.Pool, timezone: str, max_age: float = 60) -> bool:
    """Count bookings per day, stream, status and referral code again if they may have
    changed; returns whether they were counted."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK)
        fingerprint = await conn.fetchval(_BOOKINGS_FINGERPRINT)
        mark = await conn.fetchrow(
            "SELECT fingerprint, timezone, extract(epoch FROM now() - counted_at) AS age"
            " FROM rollup_marks WHERE name = 'bookings'")
        if (mark is not None and mark["fingerprint"] == fingerprint
                and mark["timezone"] == timezone and mark["age"] < max_age):
            return False
        await conn.execute("DELETE FROM daily_bookings")
        await conn.execute(_RECOUNT_BOOKINGS, timezone)
        await conn.execute("DELETE FROM stream_members")
        await conn.execute(_RECOUNT_MEMBERS)
        await conn.execute(
            """INSERT INTO rollup_marks (name, fingerprint, timezone) VALUES ('bookings', $1, $2)
               ON CONFLICT (name) DO UPDATE SET fingerprint = excluded.fingerprint,
                   timezone = excluded.timezone, counted_at = now()""", fingerprint, timezone)
        return True
