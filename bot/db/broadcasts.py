"""Broadcasts (message_history) and their recipients (message_recipients)."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from datetime import datetime
import asyncpg

from bot.config import FrequencyCap
from bot.db.audiences import Audience, capped_sql, members_sql, read_marks
from bot.db.pool import Executor, transaction
from bot.db.reachability import NEVER_STARTED

# what a recipient row can say; 'claimed' and 'inflight' are the engine's own (see UNDELIVERED)
FINAL_STATUSES = ("sent", "failed", "blocked", "unknown", "deleted")


@dataclass(frozen=True)
class Content:
    kind: str  # text, photo, video, document, animation
    html: str  # text, or caption for media; may hold {first_name} / {username}
    source_file_id: str | None = None  # media: file_id in the admin bot
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()  # rows of (label, url)
    unsubscribe: bool = False  # an «unsubscribe» link button under it, one per recipient
    # offers that expire: (a button's place, counted row by row, its end as an ISO time)
    ends: tuple[tuple[int, str], ...] = ()
    gone: tuple[int, ...] = ()  # places of buttons taken off when their offer ended
    # (a button's place, the line added to the message in its stead when its offer ends)
    instead: tuple[tuple[int, str], ...] = ()

    def buttons_json(self) -> list[list[dict[str, Any]]]:
        ends, instead, place, rows = dict(self.ends), dict(self.instead), 0, []
        for row in self.buttons:
            rows.append([{"text": label, "url": url,
                          **({"until": ends[place + i]} if place + i in ends else {}),
                          **({"ended_text": instead[place + i]} if place + i in instead else {}),
                          **({"gone": True} if place + i in self.gone else {})}
                         for i, (label, url) in enumerate(row)])
            place += len(row)
        return rows

    def ended(self, now: datetime) -> tuple[int, ...]:
        """Places of buttons whose offer has ended by `now` and that are still shown."""
        return tuple(place for place, until in self.ends
                     if place not in self.gone and datetime.fromisoformat(until) <= now)


def button_fields(rows: list[list[dict[str, Any]]] | None) -> dict[str, Any]:
    """Content's button fields from their JSON (stored, or a draft's): the rows of (label, url),
    the offers' ends, the lines to show in their stead and the buttons taken off."""
    flat = [b for row in rows or [] for b in row]
    return {"buttons": tuple(tuple((b["text"], b["url"]) for b in row) for row in rows or []),
            "ends": tuple((i, b["until"]) for i, b in enumerate(flat) if b.get("until")),
            "gone": tuple(i for i, b in enumerate(flat) if b.get("gone")),
            "instead": tuple((i, b["ended_text"]) for i, b in enumerate(flat)
                             if b.get("ended_text"))}


@dataclass(frozen=True)
class Broadcast:
    id: int
    status: str
    content: Content
    file_id: str | None
    audience: Audience | None
    created_by: int | None
    allow_paid_broadcast: bool
    total: int
    sent: int
    failed: int
    blocked: int
    unknown: int
    deleted: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress_chat_id: int | None
    progress_message_id: int | None
    recall_status: str | None
    scheduled_at: datetime | None = None
    restarts: int = 0          # times the delivering instance stopped while it was under way
    restart_unknown: int = 0   # recipients those stops left 'unknown'
    first_run: dict[str, Any] | None = None  # figures before the first resend
    resends: tuple[dict[str, Any], ...] = ()  # {"status", "count", "at"} per resend
    holdout_percent: int = 0   # share of the audience kept back, to measure what it caused
    holdout: int = 0           # how many were kept back (not in `total`)
    links_base: str | None = None  # link buttons went through {links_base}/r/<token>
    frequency_cap_off: bool = False  # the author let it reach those the cap would skip
    capped: int = 0            # how many the frequency cap skipped (not in `total`)
    quiet_hours_off: bool = False  # the author sends it through quiet hours
    quiet_until: datetime | None = None  # waiting for quiet hours to end, till then
    unsubscribed: int = 0      # skipped as unsubscribed from broadcasts (not in `total`)
    canary_phase: str | None = None  # sending, waiting, stopped, passed (None: no canary)
    canary_until: datetime | None = None  # the canary's wait ends then
    canary_size: int = 0       # recipients in the canary
    stop_note: dict[str, Any] | None = None  # why the canary or the breaker paused it
    series_id: int | None = None  # an occurrence of this recurring series

    @property
    def pending(self) -> int:
        return max(self.total - self.sent - self.failed - self.blocked - self.unknown
                   - self.deleted, 0)


@dataclass(frozen=True)
class Recipient:
    id: int
    message_id: int
    user_id: int
    username: str | None
    first_name: str | None
    attempts: int


@dataclass(frozen=True)
class Result:
    recipient_id: int
    status: str  # one of FINAL_STATUSES, or 'pending' to put it back
    error: str | None = None
    telegram_message_id: int | None = None
    attempts: int | None = None  # requests made for this recipient so far, when known


COLUMNS = """id, status, content_type, content_html, source_file_id, file_id, buttons, audience,
    created_by, allow_paid_broadcast, total_recipients, sent_count, failed_count, blocked_count,
    unknown_count, deleted_count, created_at, started_at, finished_at, progress_chat_id,
    progress_message_id, recall_status, scheduled_at, restarts, restart_unknown, first_run,
    resends, holdout_percent, holdout_count, links_base, frequency_cap_off, capped_count,
    quiet_hours_off, quiet_until, unsubscribe_button, unsubscribed_count, canary_phase,
    canary_until, canary_size, stop_note, series_id"""


def from_row(row: asyncpg.Record) -> Broadcast:
    content = Content(row["content_type"], row["content_html"] or "", row["source_file_id"],
                      unsubscribe=row["unsubscribe_button"], **button_fields(row["buttons"]))
    audience = Audience.from_json(row["audience"]) if row["audience"] else None
    return Broadcast(row["id"], row["status"], content, row["file_id"], audience, row["created_by"],
                     row["allow_paid_broadcast"], row["total_recipients"], row["sent_count"],
                     row["failed_count"], row["blocked_count"], row["unknown_count"],
                     row["deleted_count"], row["created_at"], row["started_at"],
                     row["finished_at"], row["progress_chat_id"], row["progress_message_id"],
                     row["recall_status"], row["scheduled_at"], row["restarts"],
                     row["restart_unknown"], row["first_run"], tuple(row["resends"] or ()),
                     row["holdout_percent"], row["holdout_count"], row["links_base"],
                     row["frequency_cap_off"], row["capped_count"], row["quiet_hours_off"],
                     row["quiet_until"], row["unsubscribed_count"], row["canary_phase"],
                     row["canary_until"], row["canary_size"], row["stop_note"],
                     row["series_id"])


async def create(pool: asyncpg.Pool | asyncpg.Connection, content: Content, audience: Audience,
                 created_by: int, *, allow_paid_broadcast: bool = False,
                 scheduled_at: datetime | None = None, draft_key: str | None = None,
                 holdout_percent: int = 0, links_base: str | None = None,
                 frequency_cap_off: bool = False, quiet_hours_off: bool = False,
                 awaiting_approval: bool = False) -> tuple[int, bool]:
    """A new broadcast, not started yet ('scheduled' when given a time, else 'draft'; either
    way 'awaiting_approval' while it waits for a second pair of eyes).
    Returns (id, created): with a draft_key already used, the existing broadcast's id and
    False, so that one draft never makes two broadcasts."""
    new_id = await pool.fetchval(
        """INSERT INTO message_history (message_text, total_recipients, recipient_type,
               recipient_group, scheduled_at, status, content_type, content_html, source_file_id,
               file_id, buttons, audience, created_by, allow_paid_broadcast, sent_at, draft_key,
               holdout_percent, links_base, frequency_cap_off, quiet_hours_off,
               unsubscribe_button)
           VALUES ($1, 0, $2, $3, $4, $5, $6, $1, $7, NULL, $8, $9, $10, $11, NULL, $12, $13,
                   $14, $15, $16, $17)
           ON CONFLICT (draft_key) WHERE draft_key IS NOT NULL DO NOTHING
           RETURNING id""",
        content.html, audience.recipient_type, audience.recipient_group, scheduled_at,
        "awaiting_approval" if awaiting_approval else "scheduled" if scheduled_at else "draft",
        content.kind, content.source_file_id,
        content.buttons_json(), audience.to_json(), created_by, allow_paid_broadcast, draft_key,
        holdout_percent, links_base if content.buttons or content.unsubscribe else None,
        frequency_cap_off, quiet_hours_off, content.unsubscribe and links_base is not None)
    if new_id is not None:
        return new_id, True
    existing = await pool.fetchval("SELECT id FROM message_history WHERE draft_key = $1", draft_key)
    return existing, False


async def get(pool: asyncpg.Pool | asyncpg.Connection, broadcast_id: int) -> Broadcast | None:
    row = await pool.fetchrow(f"SELECT {COLUMNS} FROM message_history WHERE id = $1", broadcast_id)
    return from_row(row) if row else None


async def start(pool: Executor, broadcast_id: int, progress_chat_id: int | None = None,
                cap: FrequencyCap | None = None) -> Broadcast | None:
    """Move a draft or scheduled broadcast to 'sending' and snapshot its recipients (users
    known to be unreachable are recorded as blocked, those over the frequency `cap` as capped:
    neither is sent to). Returns None when it was not startable any more, so a repeated start
    never snapshots twice."""
    async with transaction(pool) as conn:
        row = await conn.fetchrow(
            """UPDATE message_history SET status = 'sending', started_at = now(), sent_at = now(),
                   updated_at = now(), progress_chat_id = coalesce($2, progress_chat_id)
               WHERE id = $1 AND status IN ('draft', 'scheduled')
               RETURNING audience, frequency_cap_off, recipient_type""",
            broadcast_id, progress_chat_id)
        if row is None:
            return None
        members, args = members_sql(Audience.from_json(row["audience"]), 2,
                                    await read_marks(conn))
        # a message to one person (the user card's «write») goes out even to the unsubscribed
        personal = f"${len(args) + 2}"
        args = [*args, row["recipient_type"] or "group"]
        await conn.execute(
            f"""INSERT INTO message_recipients
                    (message_id, user_id, username, first_name, delivery_status, error)
                SELECT $1, m.user_id, m.username, m.first_name,
                       CASE WHEN u.user_id IS NOT NULL THEN 'blocked'
                            WHEN s.user_id IS NOT NULL THEN 'unsubscribed'
                            ELSE 'pending' END,
                       CASE WHEN u.user_id IS NOT NULL
                            THEN 'skipped: known to be unreachable (' || u.reason || ')'
                            WHEN s.user_id IS NOT NULL
                            THEN 'skipped: unsubscribed from broadcasts' END
                FROM ({members}) m LEFT JOIN unreachable_users u USING (user_id)
                LEFT JOIN unsubscribed_users s
                       ON s.user_id = m.user_id AND {personal}::text <> 'individual'
                ORDER BY m.user_id""",
            broadcast_id, *args)
        if cap is not None and not row["frequency_cap_off"] \
                and row["recipient_type"] != "individual":
            # decided from what was delivered up to this moment; a message to one person is
            # not a broadcast and goes out whatever they got
            await conn.execute(
                f"""UPDATE message_recipients SET delivery_status = 'capped',
                        error = 'skipped: frequency cap (' || $4 || ')'
                    WHERE message_id = $1 AND delivery_status = 'pending'
                      AND user_id IN (SELECT user_id FROM ({capped_sql(2)}) c)""",
                broadcast_id, cap.count, cap.hours, str(cap))
        # the holdout: a random share of those who would get it, kept back and recorded
        await conn.execute(
            """UPDATE message_recipients SET delivery_status = 'holdout'
               WHERE id IN (SELECT id FROM message_recipients
                            WHERE message_id = $1 AND delivery_status = 'pending'
                            ORDER BY random()
                            LIMIT (SELECT round(count(*) * (SELECT holdout_percent
                                                            FROM message_history WHERE id = $1)
                                                / 100.0)::bigint
                                   FROM message_recipients
                                   WHERE message_id = $1 AND delivery_status = 'pending'))""",
            broadcast_id)
        await conn.execute(
            """UPDATE message_history h SET total_recipients = c.total, blocked_count = c.blocked,
                   holdout_count = c.holdout, capped_count = c.capped,
                   unsubscribed_count = c.unsubscribed
               FROM (SELECT count(*) FILTER (WHERE delivery_status NOT IN
                                                 ('holdout', 'capped', 'unsubscribed')) AS total,
                            count(*) FILTER (WHERE delivery_status = 'unsubscribed')
                                AS unsubscribed,
                            count(*) FILTER (WHERE delivery_status = 'blocked') AS blocked,
                            count(*) FILTER (WHERE delivery_status = 'holdout') AS holdout,
                            count(*) FILTER (WHERE delivery_status = 'capped') AS capped
                     FROM message_recipients WHERE message_id = $1) c
               WHERE h.id = $1""", broadcast_id)
        return from_row(await conn.fetchrow(
            f"SELECT {COLUMNS} FROM message_history WHERE id = $1", broadcast_id))


async def set_status(pool: Executor, broadcast_id: int, from_statuses: tuple[str, ...],
                     to_status: str) -> bool:
    """Change the status only from one of `from_statuses`; True if it changed. Going on
    again forgets why the canary or the breaker paused it (a stopped canary is passed)."""
    finished = "now()" if to_status in ("done", "cancelled") else "finished_at"
    result = await pool.execute(
        f"""UPDATE message_history SET status = $3, updated_at = now(), finished_at = {finished},
                stop_note = CASE WHEN $3 = 'sending' THEN NULL ELSE stop_note END,
                canary_phase = CASE WHEN $3 = 'sending' AND canary_phase = 'stopped'
                                    THEN 'passed' ELSE canary_phase END
            WHERE id = $1 AND status = ANY($2::text[])""",
        broadcast_id, list(from_statuses), to_status)
    return result.endswith(" 1")


async def shown_in(pool: Executor, chat_id: int, message_id: int) -> int | None:
    """The broadcast whose progress this message shows (a composer's summary becomes it)."""
    found: int | None = await pool.fetchval(
        "SELECT id FROM message_history WHERE progress_chat_id = $1 AND progress_message_id = $2"
        " ORDER BY id DESC LIMIT 1", chat_id, message_id)
    return found


async def set_progress_message(pool: Executor, broadcast_id: int, chat_id: int,
                               message_id: int) -> None:
    await pool.execute("UPDATE message_history SET progress_chat_id = $2, progress_message_id = $3"
                       " WHERE id = $1", broadcast_id, chat_id, message_id)


async def set_file_id(pool: asyncpg.Pool, broadcast_id: int, file_id: str) -> None:
    await pool.execute("UPDATE message_history SET file_id = $2 WHERE id = $1", broadcast_id, file_id)


async def sending(pool: asyncpg.Pool) -> list[Broadcast]:
    """Broadcasts being sent, paid ones first (they go out at the faster pace), then oldest."""
    rows = await pool.fetch(f"SELECT {COLUMNS} FROM message_history WHERE status = 'sending'"
                            " ORDER BY allow_paid_broadcast DESC, id")
    return [from_row(r) for r in rows]


async def wait_for_quiet_end(pool: Executor, broadcast_ids: list[int], until: datetime
                             ) -> list[int]:
    """These broadcasts wait for quiet hours to end at `until`; returns those that were not
    waiting yet (each pause is recorded once, whichever instance sees it first)."""
    rows = await pool.fetch(
        """UPDATE message_history h SET quiet_until = $2, updated_at = now()
           FROM (SELECT id, quiet_until AS was FROM message_history
                 WHERE id = ANY($1::int[]) FOR UPDATE) old
           WHERE h.id = old.id AND h.quiet_until IS DISTINCT FROM $2
           RETURNING h.id, old.was""", broadcast_ids, until)
    return [r["id"] for r in rows if r["was"] is None]


async def quiet_over(pool: Executor, broadcast_ids: list[int]) -> list[int]:
    """These broadcasts no longer wait for quiet hours; returns those that were waiting."""
    rows = await pool.fetch("UPDATE message_history SET quiet_until = NULL, updated_at = now()"
                            " WHERE id = ANY($1::int[]) AND quiet_until IS NOT NULL RETURNING id",
                            broadcast_ids)
    return [r["id"] for r in rows]


async def statuses(pool: asyncpg.Pool, ids: list[int]) -> dict[int, str]:
    rows = await pool.fetch("SELECT id, status FROM message_history WHERE id = ANY($1::int[])", ids)
    return {r["id"]: r["status"] for r in rows}


# A recipient's way through the engine: 'pending' -> 'claimed' (taken by the delivering
# instance, no request yet) -> 'inflight' (a request was handed to the network) -> a final
# status. After a crash 'claimed' goes back to 'pending' and only 'inflight' becomes 'unknown'.
UNDELIVERED = ("pending", "claimed", "inflight")


async def claim(pool: asyncpg.Pool, broadcast_id: int, limit: int,
                canary_only: bool = False) -> list[Recipient]:
    """Take up to `limit` pending recipients for this instance (no request yet) and return them
    (`canary_only`: of the broadcast's canary only)."""
    rows = await pool.fetch(
        f"""UPDATE message_recipients SET delivery_status = 'claimed', attempts = attempts + 1
            WHERE id IN (SELECT id FROM message_recipients
                         WHERE message_id = $1 AND delivery_status = 'pending'
                         {"AND canary" if canary_only else ""}
                         ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
            RETURNING id, message_id, user_id, username, first_name, attempts""",
        broadcast_id, limit)
    return sorted((Recipient(**dict(r)) for r in rows), key=lambda r: r.id)


async def on_wire(pool: asyncpg.Pool, recipient_ids: list[int]) -> set[int]:
    """These recipients' requests are about to be handed to the network: from now on a crash
    leaves them 'unknown' (the message may have reached them). Returns those still claimed or
    in flight (a retry); one put back in the queue meanwhile must not be sent to."""
    rows = await pool.fetch("UPDATE message_recipients SET delivery_status = 'inflight'"
                            " WHERE id = ANY($1::int[])"
                            " AND delivery_status IN ('claimed', 'inflight') RETURNING id",
                            recipient_ids)
    return {r["id"] for r in rows}


async def off_wire(pool: asyncpg.Pool, recipient_ids: list[int]) -> None:
    """Telegram refused these requests (429): nothing was delivered, they are claimed again."""
    await pool.execute("UPDATE message_recipients SET delivery_status = 'claimed'"
                       " WHERE id = ANY($1::int[]) AND delivery_status = 'inflight'", recipient_ids)


async def record(pool: asyncpg.Pool, results: list[Result]) -> None:
    """Resolve in-flight recipients in one statement and move the broadcasts' counters."""
    if not results:
        return
    await pool.execute(
        """WITH r AS (SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::int[], $5::int[])
                      AS t(id, status, error, tg_id, attempts)),
           changed AS (
               UPDATE message_recipients m
               SET delivery_status = r.status, error = r.error,
                   attempts = coalesce(r.attempts, m.attempts),
                   telegram_message_id = coalesce(r.tg_id, m.telegram_message_id),
                   sent_at = CASE WHEN r.status = 'sent' THEN now() ELSE m.sent_at END
               FROM r WHERE m.id = r.id AND m.delivery_status IN ('claimed', 'inflight')
               RETURNING m.message_id, m.delivery_status)
           UPDATE message_history h SET
               sent_count = sent_count + d.sent, failed_count = failed_count + d.failed,
               blocked_count = blocked_count + d.blocked, unknown_count = unknown_count + d.unknown,
               successful_deliveries = coalesce(successful_deliveries, 0) + d.sent,
               updated_at = now()
           FROM (SELECT message_id,
                        count(*) FILTER (WHERE delivery_status = 'sent') AS sent,
                        count(*) FILTER (WHERE delivery_status = 'failed') AS failed,
                        count(*) FILTER (WHERE delivery_status = 'blocked') AS blocked,
                        count(*) FILTER (WHERE delivery_status = 'unknown') AS unknown
                 FROM changed GROUP BY message_id) d
           WHERE h.id = d.message_id""",
        [r.recipient_id for r in results], [r.status for r in results],
        [r.error for r in results], [r.telegram_message_id for r in results],
        [r.attempts for r in results])


async def mark_interrupted(pool: asyncpg.Pool) -> int:
    """After a crash: requests that were under way may or may not have reached the user.
    They become 'unknown' and are not sent again unless an admin asks for it. Recipients
    claimed without a request go back to the queue."""
    await pool.execute("UPDATE message_recipients SET delivery_status = 'pending',"
                       " attempts = greatest(attempts - 1, 0) WHERE delivery_status = 'claimed'")
    rows = await pool.fetch("SELECT id, message_id FROM message_recipients"
                            " WHERE delivery_status = 'inflight'")
    await record(pool, [Result(r["id"], "unknown", "interrupted: the bot stopped while sending")
                        for r in rows])
    cut = Counter(r["message_id"] for r in rows)
    # every broadcast under way was interrupted, even with nothing in flight at that moment
    await pool.execute(
        """UPDATE message_history h SET restarts = restarts + 1,
               restart_unknown = restart_unknown + coalesce(c.n, 0)
           FROM (SELECT id FROM message_history WHERE status = 'sending'
                 UNION SELECT unnest($1::int[])) b
           LEFT JOIN unnest($1::int[], $2::int[]) AS c(id, n) ON c.id = b.id
           WHERE h.id = b.id""", list(cut), list(cut.values()))
    return len(rows)


async def finish_if_complete(pool: asyncpg.Pool, broadcast_id: int) -> bool:
    """'sending' -> 'done' once no recipient is pending or in flight."""
    result = await pool.execute(
        """UPDATE message_history SET status = 'done', finished_at = now(), updated_at = now(),
               quiet_until = NULL
           WHERE id = $1 AND status = 'sending' AND NOT EXISTS (
               SELECT 1 FROM message_recipients WHERE message_id = $1
               AND delivery_status = ANY($2::text[]))""", broadcast_id, list(UNDELIVERED))
    return result.endswith(" 1")


async def requeue(pool: Executor, broadcast_id: int, from_statuses: tuple[str, ...]) -> int:
    """Put recipients in these statuses (e.g. failed, unknown) back in the queue and send again."""
    async with transaction(pool) as conn:
        rows = await conn.fetch(
            """UPDATE message_recipients SET delivery_status = 'pending', error = NULL
               WHERE message_id = $1 AND delivery_status = ANY($2::text[])
               RETURNING delivery_status""", broadcast_id, list(from_statuses))
        if not rows:
            return 0
        # the counters still hold the first run's figures: keep them, and note this resend
        await conn.execute(
            """UPDATE message_history SET
                   first_run = coalesce(first_run, jsonb_build_object(
                       'sent', sent_count, 'failed', failed_count, 'blocked', blocked_count,
                       'unknown', unknown_count,
                       'seconds', extract(epoch FROM finished_at - started_at))),
                   resends = resends || jsonb_build_array(jsonb_build_object(
                       'status', $2::text, 'count', $3::int, 'at', now()))
               WHERE id = $1""", broadcast_id, ",".join(from_statuses), len(rows))
        await recount(conn, broadcast_id)
        await conn.execute("UPDATE message_history SET status = 'sending', finished_at = NULL"
                           " WHERE id = $1 AND status IN ('done', 'paused', 'cancelled')",
                           broadcast_id)
        return len(rows)


async def recount(conn: asyncpg.Connection, broadcast_id: int) -> None:
    await conn.execute(
        """UPDATE message_history h SET sent_count = c.sent, failed_count = c.failed,
               blocked_count = c.blocked, unknown_count = c.unknown, deleted_count = c.deleted
           FROM (SELECT count(*) FILTER (WHERE delivery_status = 'sent') AS sent,
                        count(*) FILTER (WHERE delivery_status = 'failed') AS failed,
                        count(*) FILTER (WHERE delivery_status = 'blocked') AS blocked,
                        count(*) FILTER (WHERE delivery_status = 'unknown') AS unknown,
                        count(*) FILTER (WHERE delivery_status = 'deleted') AS deleted
                 FROM message_recipients WHERE message_id = $1) c
           WHERE h.id = $1""", broadcast_id)


async def release(pool: asyncpg.Pool, recipient_ids: list[int]) -> None:
    """Claimed recipients whose request never started, or is to be made again after a
    transient failure, go back to 'pending' (pause, cancel)."""
    if recipient_ids:
        await pool.execute("UPDATE message_recipients SET delivery_status = 'pending',"
                           " attempts = greatest(attempts - 1, 0)"
                           " WHERE id = ANY($1::int[]) AND delivery_status IN ('claimed', 'inflight')",
                           recipient_ids)


async def status_counts(pool: asyncpg.Pool, broadcast_id: int) -> dict[str, int]:
    rows = await pool.fetch("SELECT delivery_status, count(*) FROM message_recipients"
                            " WHERE message_id = $1 GROUP BY 1", broadcast_id)
    return {r[0]: r[1] for r in rows}


# ---- scheduled --------------------------------------------------------------------

async def due(pool: asyncpg.Pool) -> list[Broadcast]:
    rows = await pool.fetch(f"SELECT {COLUMNS} FROM message_history"
                            " WHERE status = 'scheduled' AND scheduled_at <= now()"
                            " ORDER BY scheduled_at")
    return [from_row(r) for r in rows]


async def scheduled(pool: asyncpg.Pool) -> list[Broadcast]:
    rows = await pool.fetch(f"SELECT {COLUMNS} FROM message_history"
                            " WHERE status = 'scheduled' OR (status = 'awaiting_approval'"
                            " AND scheduled_at IS NOT NULL) ORDER BY scheduled_at, id")
    return [from_row(r) for r in rows]


async def reschedule(pool: Executor, broadcast_id: int, when: datetime) -> bool:
    result = await pool.execute("UPDATE message_history SET scheduled_at = $2, updated_at = now()"
                                " WHERE id = $1 AND status = 'scheduled'", broadcast_id, when)
    return result.endswith(" 1")


async def replace_content(pool: Executor, broadcast_id: int, content: Content) -> bool:
    """New content for a broadcast that has not started."""
    result = await pool.execute(
        """UPDATE message_history SET message_text = $2, content_html = $2, content_type = $3,
               source_file_id = $4, file_id = NULL, updated_at = now()
           WHERE id = $1 AND status IN ('draft', 'scheduled')""",
        broadcast_id, content.html, content.kind, content.source_file_id)
    return result.endswith(" 1")


# ---- history ------------------------------------------------------------------------

async def history(pool: asyncpg.Pool, kind: str | None, stream: str | None, offset: int,
                  limit: int) -> tuple[list[Broadcast], int]:
    """Broadcasts that were started (sending or after), newest first; with the total."""
    where = ("status IN ('sending', 'paused', 'cancelled', 'done') AND started_at IS NOT NULL"
             " AND ($1::text IS NULL OR audience->>'kind' = $1)"
             " AND ($2::text IS NULL OR audience->>'stream' = $2)")
    rows = await pool.fetch(f"SELECT {COLUMNS} FROM message_history WHERE {where}"
                            " ORDER BY started_at DESC, id DESC OFFSET $3 LIMIT $4",
                            kind, stream, offset, limit)
    total = await pool.fetchval(f"SELECT count(*) FROM message_history WHERE {where}", kind, stream)
    return [from_row(r) for r in rows], total


async def failure_reasons(pool: asyncpg.Pool, broadcast_id: int, limit: int = 5
                          ) -> list[tuple[str, int]]:
    rows = await pool.fetch(
        """SELECT coalesce(error, delivery_status) AS reason, count(*) AS n
           FROM message_recipients WHERE message_id = $1
             AND delivery_status IN ('failed', 'blocked', 'unknown')
           GROUP BY 1 ORDER BY n DESC, reason LIMIT $2""", broadcast_id, limit)
    return [(r["reason"], r["n"]) for r in rows]


async def recipients_with(pool: asyncpg.Pool, broadcast_id: int, statuses: tuple[str, ...],
                          offset: int, limit: int) -> tuple[list[asyncpg.Record], int]:
    where = "message_id = $1 AND delivery_status = ANY($2::text[])"
    rows = await pool.fetch(f"SELECT user_id, username, first_name, delivery_status, error"
                            f" FROM message_recipients WHERE {where}"
                            " ORDER BY id OFFSET $3 LIMIT $4",
                            broadcast_id, list(statuses), offset, limit)
    total = await pool.fetchval(f"SELECT count(*) FROM message_recipients WHERE {where}",
                                broadcast_id, list(statuses))
    return rows, total


async def export_rows(pool: asyncpg.Pool, broadcast_id: int) -> AsyncIterator[asyncpg.Record]:
    """All recipients with their clicks on the link buttons, read through a cursor page by
    page."""
    async with pool.acquire() as conn, conn.transaction():
        async for row in conn.cursor(
                """SELECT r.user_id, r.username, r.first_name, r.delivery_status, r.error,
                          r.sent_at, r.telegram_message_id, coalesce(c.clicks, 0) AS clicks
                   FROM message_recipients r
                   LEFT JOIN (SELECT recipient_id, count(*) AS clicks FROM broadcast_clicks
                              WHERE broadcast_id = $1 GROUP BY recipient_id) c
                          ON c.recipient_id = r.id
                   WHERE r.message_id = $1 ORDER BY r.id""", broadcast_id, prefetch=1000):
            yield row


async def set_question(pool: asyncpg.Pool, broadcast_id: int, seconds: float | None) -> None:
    """A question now stands on the progress message for `seconds` (None: it was answered)."""
    await pool.execute(  # NULL seconds make NULL: no question
        "UPDATE message_history SET question_until = now() + make_interval(secs => $2::float8)"
        " WHERE id = $1", broadcast_id, seconds)


async def question_pending(pool: asyncpg.Pool, broadcast_id: int) -> bool:
    """Whether a question on the progress message still waits for its answer."""
    return bool(await pool.fetchval("SELECT question_until > now() FROM message_history"
                                    " WHERE id = $1", broadcast_id))




async def never_started(pool: asyncpg.Pool, broadcast_id: int) -> int:
    """Of the recipients found unreachable, those who never started the broadcast bot (as
    opposed to blocking it or deleting their account)."""
    return await pool.fetchval("SELECT count(*) FROM message_recipients WHERE message_id = $1"
                               " AND delivery_status = 'blocked' AND error ILIKE $2",
                               broadcast_id, NEVER_STARTED)
