"""What broadcasts caused: clicks on their tracked links, and what recipients and the holdout
did afterwards in the platform's own tables."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

import asyncpg


# the URL of the button at a place counted row by row (0 = the first button of the first row)
_BUTTON_URL = """(SELECT u.url FROM (
                      SELECT b ->> 'url' AS url, row_number() OVER (ORDER BY i, j) - 1 AS place
                      FROM jsonb_array_elements(h.buttons) WITH ORDINALITY AS rows(rw, i),
                           jsonb_array_elements(rw) WITH ORDINALITY AS cells(b, j)) u
                  WHERE u.place = {button})"""


_FOLLOW_MANY = f"""
    WITH c AS (SELECT * FROM unnest($1::int[], $2::int[]) WITH ORDINALITY
                             AS c(recipient_id, button, n)),
    r AS (
        SELECT c.n, r.id, r.message_id, r.user_id, c.button,
               {_BUTTON_URL.format(button="c.button")} AS url
        FROM c JOIN message_recipients r ON r.id = c.recipient_id
        JOIN message_history h ON h.id = r.message_id),
    clicked AS (
        INSERT INTO broadcast_clicks (broadcast_id, recipient_id, user_id, button)
        SELECT message_id, id, user_id, button FROM r WHERE url IS NOT NULL)
    SELECT n, url FROM r"""


class ClickLog:
    """Clicks arriving together written in one statement (a group commit, as the delivery
    engine writes its in-flight marks): one round trip and one commit per batch, not per
    click, and the batches grow by themselves when the database is slower than the clicks.
    Each click is written before its reader is sent on."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._batch: list[tuple[int, int, asyncio.Future[str | None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def follow(self, recipient_id: int, button: int) -> str | None:
        """Record a click on a recipient's link button and return where it leads, once the
        click is written (None: no such recipient or button); raises if the write failed."""
        done: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self._batch.append((recipient_id, button, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="click-log")
        return await done

    async def _write(self) -> None:
        while self._batch:
            batch, self._batch = self._batch, []
            try:
                rows = await self.pool.fetch(_FOLLOW_MANY, [r for r, _, _ in batch],
                                             [b for _, b, _ in batch])
            except Exception as exc:  # noqa: BLE001 - each waiting click gets the failure
                for _, _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            urls = {r["n"]: r["url"] for r in rows}
            for n, (_, _, done) in enumerate(batch, start=1):
                if not done.done():
                    done.set_result(urls.get(n))


@dataclass(frozen=True)
class Group:
    """What one group did within the window: people counted once whatever they did."""

    people: int = 0
    booked: int = 0       # made a booking (any status)
    paid: int = 0         # made a booking that is paid
    registered: int = 0   # registered for a free lesson
    lesson: int = 0       # clicked through to a lesson (lesson_link_clicked)
    event: int = 0        # did the event type the admin picked


@dataclass(frozen=True)
class Outcomes:
    recipients: Group   # those who got it: the window opens at their delivery
    holdout: Group      # those kept back: the window opens when sending started
    clicks: dict[int, tuple[int, int]]  # button -> (clicks, people)
    clickers: int       # people who clicked any button


def _did(table: str, moment: str, extra: str = "") -> str:
    return (f"EXISTS (SELECT 1 FROM {table} x WHERE x.user_id = g.user_id {extra}"
            f" AND x.{moment} >= g.since AND x.{moment} < g.since + $2 * interval '1 day')")


# who counts, and when their window opens: delivery, or the start of sending for the holdout
_COUNTED = "r.delivery_status IN ('sent', 'deleted', 'holdout')"
_SINCE = "CASE WHEN r.delivery_status = 'holdout' THEN h.started_at ELSE r.sent_at END"

# Counted over every recipient: what a broadcast still sending, or a window longer than the
# summaries keep, is counted with.
_GROUPS = f"""
    WITH g AS (
        SELECT r.user_id, r.delivery_status = 'holdout' AS held, {_SINCE} AS since
        FROM message_recipients r JOIN message_history h ON h.id = r.message_id
        WHERE r.message_id = $1 AND {_COUNTED})
    SELECT held, count(*) AS people,
           count(*) FILTER (WHERE {_did("bookings", "created_at")}) AS booked,
           count(*) FILTER (WHERE {_did("bookings", "created_at", "AND x.confirmed = 2")}) AS paid,
           count(*) FILTER (WHERE {_did("free_lesson_registrations", "registered_at")})
               AS registered,
           count(*) FILTER (WHERE {_did("events", "created_at",
                                        "AND x.event_type = 'lesson_link_clicked'")}) AS lesson,
           count(*) FILTER (WHERE $3::text IS NOT NULL
                            AND {_did("events", "created_at", "AND x.event_type = $3")}) AS event
    FROM g WHERE since IS NOT NULL GROUP BY held"""

KEPT_DAYS = 14  # the longest window the summaries answer (they keep 15 days: see 0041)
_KEPT = "interval '15 days'"
_LOCK = 0x4853_4C5F_4F5554  # "HSL_OUT"
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
            SELECT r.id, r.user_id, r.delivery_status = 'holdout' AS held, {_SINCE} AS since
            FROM message_recipients r JOIN message_history h ON h.id = r.message_id
            WHERE r.message_id = $1 AND {_COUNTED}
              AND {_SINCE} IS NOT NULL),
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
            FROM (SELECT r.delivery_status = 'holdout' AS held, {_SINCE} AS since
                  FROM message_recipients r JOIN message_history h ON h.id = r.message_id
                  WHERE r.message_id = $1 AND {_COUNTED}) g
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
                                    AND {_COUNTED}
    JOIN message_history h ON h.id = r.message_id
    CROSS JOIN LATERAL (SELECT {_SINCE} AS since) w
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
                    FROM x JOIN message_recipients r ON r.user_id = x.user_id AND {_COUNTED}
                    JOIN outcome_summaries s ON s.broadcast_id = r.message_id
                    JOIN message_history h ON h.id = r.message_id
                    CROSS JOIN LATERAL (SELECT {_SINCE} AS since) w
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


async def _up_to_date(pool: asyncpg.Pool, broadcast_ids: list[int],
                      bookings_max_age: float | None) -> list[int]:
    """What a screen asks for: new rows read and summaries made where needed. While the job
    holds the lock, summaries that exist and are current are read as they are (at most the
    job's own work behind) instead of waiting for it."""
    async with pool.acquire() as conn, conn.transaction():
        if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", _LOCK):
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
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK)
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
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK)
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
                await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK)
                current += len(await _current(conn, [broadcast_id], bookings_max_age))
        return current


_KEPT_GROUPS = """
    SELECT s.broadcast_id, s.recipients, s.held, f.held AS in_holdout, f.metric, f.n
    FROM outcome_summaries s
    LEFT JOIN LATERAL (
        SELECT held, metric, count(*) AS n FROM outcome_firsts f
        WHERE f.broadcast_id = s.broadcast_id AND f.first_at < f.since + $2 * interval '1 day'
        GROUP BY held, metric) f ON true
    WHERE s.broadcast_id = ANY($1::int[])"""

# a picked event type is not kept: counted from its rows within the broadcast's windows
_PICKED = f"""
    SELECT r.delivery_status = 'holdout' AS held, count(DISTINCT r.id) AS n
    FROM outcome_summaries s
    JOIN events x ON x.event_type = $3 AND x.created_at >= s.first_since
                 AND x.created_at < s.last_since + $2 * interval '1 day'
    JOIN message_recipients r ON r.message_id = s.broadcast_id AND r.user_id = x.user_id
                             AND {_COUNTED}
    JOIN message_history h ON h.id = r.message_id
    WHERE s.broadcast_id = $1 AND x.created_at >= {_SINCE}
      AND x.created_at < {_SINCE} + $2 * interval '1 day'
    GROUP BY 1"""


async def _kept_groups(pool: asyncpg.Pool, broadcast_ids: list[int], days: int
                       ) -> dict[int, tuple[Group, Group]]:
    counts: dict[int, dict[bool, dict[str, int]]] = {}
    for r in await pool.fetch(_KEPT_GROUPS, broadcast_ids, days):
        groups = counts.setdefault(r["broadcast_id"], {False: {"people": r["recipients"]},
                                                       True: {"people": r["held"]}})
        if r["metric"] is not None:
            groups[r["in_holdout"]][r["metric"]] = r["n"]
    return {b: (Group(**g[False]), Group(**g[True])) for b, g in counts.items()}


async def _clicks(pool: asyncpg.Pool, broadcast_ids: list[int]
                  ) -> dict[int, tuple[dict[int, tuple[int, int]], int]]:
    """Per broadcast: button -> (clicks, people), and people who clicked any button."""
    rows = await pool.fetch(
        """SELECT broadcast_id, button, count(*) AS clicks, count(DISTINCT user_id) AS people
           FROM broadcast_clicks WHERE broadcast_id = ANY($1::int[])
           GROUP BY GROUPING SETS ((broadcast_id, button), (broadcast_id))
           ORDER BY broadcast_id, button""", broadcast_ids)
    result: dict[int, tuple[dict[int, tuple[int, int]], int]] = {}
    for r in rows:
        buttons, clickers = result.get(r["broadcast_id"], ({}, 0))
        if r["button"] is None:
            clickers = r["people"]
        else:
            buttons[r["button"]] = (r["clicks"], r["people"])
        result[r["broadcast_id"]] = (buttons, clickers)
    return result


async def _counted_whole(pool: asyncpg.Pool, broadcast_id: int, days: int,
                         event_type: str | None) -> tuple[Group, Group]:
    groups = {r["held"]: Group(*(r[k] for k in ("people", "booked", "paid", "registered",
                                                 "lesson", "event")))
              for r in await pool.fetch(_GROUPS, broadcast_id, days, event_type)}
    return groups.get(False, Group()), groups.get(True, Group())


async def _outcomes_of(pool: asyncpg.Pool, broadcast_ids: list[int], days: int,
                       event_type: str | None, bookings_max_age: float | None
                       ) -> dict[int, Outcomes]:
    kept = await _up_to_date(pool, broadcast_ids, bookings_max_age) \
        if days <= KEPT_DAYS else []
    groups = await _kept_groups(pool, kept, days) if kept else {}
    if event_type is not None:
        for broadcast_id in kept:
            picked = {r["held"]: r["n"] for r in await pool.fetch(_PICKED, broadcast_id, days,
                                                                    event_type)}
            treated, control = groups[broadcast_id]
            groups[broadcast_id] = (replace(treated, event=picked.get(False, 0)),
                                    replace(control, event=picked.get(True, 0)))
    for broadcast_id in broadcast_ids:
        if broadcast_id not in groups:  # still sending, or a longer window
            groups[broadcast_id] = await _counted_whole(pool, broadcast_id, days, event_type)
    clicks = await _clicks(pool, broadcast_ids)
    return {b: Outcomes(*groups[b], *clicks.get(b, ({}, 0))) for b in broadcast_ids}


async def outcomes(pool: asyncpg.Pool, broadcast_id: int, days: int = 7,
                   event_type: str | None = None, bookings_max_age: float | None = None
                   ) -> Outcomes:
    """Clicks, and what recipients and the holdout did within `days` (from the platform's
    tables, by user id and time). Read from the broadcast's summary, brought up to date
    first with the rows written since; a booking's status changed in place is counted by the
    job (`catch_up`), or here when `bookings_max_age` is given and it has been longer. A
    broadcast still sending, or a window over KEPT_DAYS, is counted over all its recipients."""
    return (await _outcomes_of(pool, [broadcast_id], days, event_type,
                               bookings_max_age))[broadcast_id]


async def compare_recent(pool: asyncpg.Pool, limit: int = 20, days: int = 7,
                         event_type: str | None = None,
                         bookings_max_age: float | None = None) -> list[tuple[int, Outcomes]]:
    """The last `limit` broadcasts that were started, newest first, each with its outcomes
    (as `outcomes` counts them), for comparing them side by side."""
    ids = [r["id"] for r in await pool.fetch(
        "SELECT id FROM message_history WHERE started_at IS NOT NULL"
        " ORDER BY started_at DESC, id DESC LIMIT $1", limit)]
    found = await _outcomes_of(pool, ids, days, event_type, bookings_max_age)
    return [(b, found[b]) for b in ids]
