"""What broadcasts caused, kept per broadcast: for each recipient (and holdout member), the
first time within 15 days they booked, paid, registered or clicked through to a lesson, fed
by the platform's new rows as they come, so that a card or the comparison of the last 20 reads
summaries instead of counting over every recipient."""

from __future__ import annotations

import asyncpg

# who counts, and when their window opens: delivery, or the start of sending for the holdout
COUNTED = "r.delivery_status IN ('sent', 'deleted', 'holdout')"
SINCE = "CASE WHEN r.delivery_status = 'holdout' THEN h.started_at ELSE r.sent_at END"

KEPT_DAYS = 14  # the longest window the summaries answer (they keep 15 days: see 0041)
_KEPT = "interval '15 days'"
LOCK = 0x4853_4C5F_4F5554  # "HSL_OUT"
_DELTA_IDS = 500_000  # ids of a source read in one statement

# the platform's rows each kept metric is counted from: table, time column, condition
_ACTIVITY = {
    "booked": ("bookings", "created_at", ""),
    "paid": ("bookings", "created_at", "AND confirmed = 2"),
    "registered": ("free_lesson_registrations", "registered_at", ""),
    "lesson": ("events", "created_at", "AND event_type = 'lesson_link_clicked'"),
}
_SOURCES = {"bookings": ("booked", "paid"), "free_lesson_registrations": ("registered",),
            "events": ("lesson",)}  # each read by id as rows come
_BOOKED = _SOURCES["bookings"]

# What a summary depends on besides the platform's rows: a resend, a recall or a restart
# moves one of these.
_FINGERPRINT = """concat_ws(':', h.status, h.started_at, h.finished_at, h.sent_count,
                            h.failed_count, h.blocked_count, h.unknown_count, h.deleted_count,
                            h.holdout_count, h.resends::text)"""

# Bookings changed in place (a status, a row deleted or the table rewritten); new ones are read
# by id. The counters reach other sessions up to ~10 s late (see summaries), hence a recount at
# least every `bookings_max_age` by the job as well.
_BOOKINGS_CHANGED = """
    SELECT concat_ws(':', pg_relation_filenode(c.oid), pg_stat_get_tuples_updated(c.oid),
                     pg_stat_get_tuples_deleted(c.oid))
    FROM pg_class c WHERE c.oid = 'bookings'::regclass"""


def _activity(metrics: tuple[str, ...], lo: str, hi: str) -> str:
    """The rows the metrics count within [lo, hi), up to their table's mark (the rows after
    it are read as they come)."""
    parts = []
    for i, metric in enumerate(metrics):
        table, moment, extra = _ACTIVITY[metric]
        parts.append(f"SELECT {i} AS metric, user_id, {moment} AS at FROM {table}"
                     f" WHERE {moment} >= {lo} AND {moment} < {hi} {extra} AND id <= (SELECT"
                     f" last_id FROM outcome_marks WHERE source = '{table}')")
    return "\n UNION ALL ".join(parts)


def _fill_sql(metrics: tuple[str, ...]) -> str:
    """Write a broadcast's first times for `metrics` from its summary's recipients."""
    return f"""
        WITH g AS MATERIALIZED (
            SELECT r.id, r.user_id, r.delivery_status = 'holdout' AS held, {SINCE} AS since
            FROM message_recipients r JOIN message_history h ON h.id = r.message_id
            WHERE r.message_id = $1 AND {COUNTED}
              AND {SINCE} IS NOT NULL),
        x AS ({_activity(metrics, "$2", f"$3::timestamptz + {_KEPT}")})
        INSERT INTO outcome_firsts (broadcast_id, metric, recipient_id, held, since, first_at)
        SELECT $1, ($4::text[])[x.metric + 1], g.id, g.held, g.since, min(x.at)
        FROM x JOIN g ON g.user_id = x.user_id AND x.at >= g.since
                     AND x.at < g.since + {_KEPT}
        GROUP BY x.metric, g.id, g.held, g.since"""


async def _summarise(conn: asyncpg.Connection, broadcast_id: int, bookings: str) -> None:
    """Read a broadcast whole: its recipients and what they did (under the lock)."""
    await conn.execute("DELETE FROM outcome_summaries WHERE broadcast_id = $1", broadcast_id)
    row = await conn.fetchrow(
        f"""INSERT INTO outcome_summaries (broadcast_id, fingerprint, recipients, held,
                                           first_since, last_since, bookings)
            SELECT $1, (SELECT {_FINGERPRINT} FROM message_history h WHERE h.id = $1),
                   count(*) FILTER (WHERE NOT held), count(*) FILTER (WHERE held),
                   min(since), max(since), $2
            FROM (SELECT r.delivery_status = 'holdout' AS held, {SINCE} AS since
                  FROM message_recipients r JOIN message_history h ON h.id = r.message_id
                  WHERE r.message_id = $1 AND {COUNTED}) g
            WHERE since IS NOT NULL
            RETURNING first_since, last_since""", broadcast_id, bookings)
    if row["first_since"] is not None:
        metrics = tuple(_ACTIVITY)
        await conn.execute(_fill_sql(metrics), broadcast_id, row["first_since"],
                           row["last_since"], list(metrics))


# A broadcast's bookings counted again: the bookings within its windows, each looked up among
# its recipients by user id (not every recipient read, as when a broadcast is read whole).
_RECOUNT_BOOKINGS = f"""
    WITH x AS (
        SELECT user_id, created_at AS at, confirmed FROM bookings
        WHERE created_at >= $2 AND created_at < $3::timestamptz + {_KEPT}
          AND id <= (SELECT last_id FROM outcome_marks WHERE source = 'bookings'))
    INSERT INTO outcome_firsts (broadcast_id, metric, recipient_id, held, since, first_at)
    SELECT $1, m.metric, r.id, r.delivery_status = 'holdout', w.since, min(x.at)
    FROM x JOIN message_recipients r ON r.message_id = $1 AND r.user_id = x.user_id
                                    AND {COUNTED}
    JOIN message_history h ON h.id = r.message_id
    CROSS JOIN LATERAL (SELECT {SINCE} AS since) w
    CROSS JOIN LATERAL (VALUES ('booked'), ('paid')) m(metric)
    WHERE (m.metric = 'booked' OR x.confirmed = 2)
      AND x.at >= w.since AND x.at < w.since + {_KEPT}
    GROUP BY 1, 2, 3, 4, 5"""


async def _recount_bookings(conn: asyncpg.Connection, broadcast_id: int, bookings: str) -> None:
    await conn.execute("DELETE FROM outcome_firsts WHERE broadcast_id = $1"
                       " AND metric = ANY($2::text[])", broadcast_id, list(_BOOKED))
    row = await conn.fetchrow(
        "UPDATE outcome_summaries SET bookings = $2, bookings_at = now()"
        " WHERE broadcast_id = $1 RETURNING first_since, last_since", broadcast_id, bookings)
    if row["first_since"] is not None:
        await conn.execute(_RECOUNT_BOOKINGS, broadcast_id, row["first_since"],
                           row["last_since"])


async def _read_new_rows(conn: asyncpg.Connection) -> None:
    """Bookings, registrations and events written since the last read, into every summary
    they fall in (under the lock). The first read only marks where the tables end: a summary
    made after it reads everything up to the mark."""
    for table, metrics in _SOURCES.items():
        last = await conn.fetchval("SELECT last_id FROM outcome_marks WHERE source = $1", table)
        newest = await conn.fetchval(f"SELECT coalesce(max(id), 0) FROM {table}")
        if last is None:
            await conn.execute("INSERT INTO outcome_marks (source, last_id) VALUES ($1, $2)",
                               table, newest)
            continue
        rows = "\n UNION ALL ".join(
            f"SELECT '{metric}' AS metric, user_id, {_ACTIVITY[metric][1]} AS at FROM {table}"
            f" WHERE id > $1 AND id <= $2 {_ACTIVITY[metric][2]}" for metric in metrics)
        while last < newest:
            upto = min(newest, last + _DELTA_IDS)
            await conn.execute(
                f"""WITH x AS ({rows})
                    INSERT INTO outcome_firsts (broadcast_id, metric, recipient_id, held, since,
                                                first_at)
                    SELECT r.message_id, x.metric, r.id, r.delivery_status = 'holdout', w.since,
                           min(x.at)
                    FROM x JOIN message_recipients r ON r.user_id = x.user_id AND {COUNTED}
                    JOIN outcome_summaries s ON s.broadcast_id = r.message_id
                    JOIN message_history h ON h.id = r.message_id
                    CROSS JOIN LATERAL (SELECT {SINCE} AS since) w
                    WHERE x.at >= w.since AND x.at < w.since + {_KEPT}
                    GROUP BY 1, 2, 3, 4, 5
                    ON CONFLICT (broadcast_id, metric, recipient_id) DO UPDATE
                    SET first_at = least(outcome_firsts.first_at, excluded.first_at)""",
                last, upto)
            last = upto
            await conn.execute("UPDATE outcome_marks SET last_id = $2 WHERE source = $1",
                               table, last)


async def _current(conn: asyncpg.Connection, broadcast_ids: list[int],
                   bookings_max_age: float | None) -> list[int]:
    """Read the broadcasts whose summary is missing or out of date (under the lock); count
    their bookings again if bookings changed in place, when `bookings_max_age` is given.
    Returns the ids that have a summary, current (a broadcast still sending gets none)."""
    rows = await conn.fetch(
        f"""SELECT h.id, h.status, {_FINGERPRINT} AS fingerprint, s.fingerprint AS kept,
                   s.bookings, extract(epoch FROM now() - s.bookings_at) AS age
            FROM message_history h
            LEFT JOIN outcome_summaries s ON s.broadcast_id = h.id
            WHERE h.id = ANY($1::int[]) AND h.started_at IS NOT NULL""", broadcast_ids)
    bookings = await conn.fetchval(_BOOKINGS_CHANGED)
    current = []
    for row in rows:
        if row["status"] == "sending":
            continue
        if row["kept"] != row["fingerprint"]:
            await _summarise(conn, row["id"], bookings)
        elif bookings_max_age is not None and (row["bookings"] != bookings
                                               or row["age"] >= bookings_max_age):
            await _recount_bookings(conn, row["id"], bookings)
        current.append(row["id"])
    return current


async def up_to_date(pool: asyncpg.Pool, broadcast_ids: list[int],
                      bookings_max_age: float | None) -> list[int]:
    """What a screen asks for: new rows read and summaries made where needed. While the job
    holds the lock, summaries that exist and are current are read as they are (at most the
    job's own work behind) instead of waiting for it."""
    async with pool.acquire() as conn, conn.transaction():
        if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", LOCK):
            kept = await conn.fetch(
                f"""SELECT h.id FROM message_history h
                    JOIN outcome_summaries s ON s.broadcast_id = h.id
                    WHERE h.id = ANY($1::int[]) AND s.fingerprint = {_FINGERPRINT}
                      AND h.status <> 'sending'""", broadcast_ids)
            waiting = await conn.fetch("SELECT id FROM message_history WHERE id = ANY($1::int[])"
                                       " AND started_at IS NOT NULL AND status <> 'sending'",
                                       broadcast_ids)
            if bookings_max_age is None and len(kept) == len(waiting):
                return [r["id"] for r in kept]
            await conn.execute("SELECT pg_advisory_xact_lock($1)", LOCK)
        await _read_new_rows(conn)
        return await _current(conn, broadcast_ids, bookings_max_age)


async def catch_up(pool: asyncpg.Pool, bookings_max_age: float = 60,
                   max_summaries: int = 5) -> int:
    """The job's part: new platform rows into every summary; the 20 most recent broadcasts
    (those the comparison shows) and up to `max_summaries` others never read brought up to
    date, their bookings counted again if bookings changed in place or were counted more than
    `bookings_max_age` seconds ago. One broadcast per transaction, so a screen waits for one
    at most. Returns how many broadcasts have a current summary among those looked at."""
    async with pool.acquire() as conn:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", LOCK)
            await _read_new_rows(conn)
        ids = [r["id"] for r in await conn.fetch(
            """(SELECT id FROM message_history WHERE started_at IS NOT NULL
                ORDER BY started_at DESC, id DESC LIMIT 20)
               UNION (SELECT id FROM message_history h WHERE started_at IS NOT NULL
                      AND status <> 'sending' AND NOT EXISTS (
                          SELECT 1 FROM outcome_summaries s WHERE s.broadcast_id = h.id)
                      ORDER BY started_at DESC LIMIT $1)""", max_summaries)]
        current = 0
        for broadcast_id in ids:
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", LOCK)
                current += len(await _current(conn, [broadcast_id], bookings_max_age))
        return current
