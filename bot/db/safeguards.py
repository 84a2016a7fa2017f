"""A broadcast watched as it goes: its canary (the few it goes to first), what its audience
usually does (blocked and failed among past broadcasts' results), and pausing it with the
reason when the canary or the breaker says so."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from bot.db.broadcasts import UNDELIVERED, Broadcast
from bot.db.pool import Executor

CANARY_SHARE = 0.02   # of the recipients
CANARY_MIN, CANARY_MAX = 50, 500
USUAL_OF_LAST = 5     # the audience's usual rate: from its last few finished broadcasts

# what a request's answer counts as (recipients skipped at the start never had one)
_ANSWERED = ("delivery_status IN ('sent', 'blocked', 'failed')"
             " AND coalesce(error, '') NOT LIKE 'skipped:%'")
_BAD = "delivery_status IN ('blocked', 'failed') AND coalesce(error, '') NOT LIKE 'skipped:%'"


def canary_size(recipients: int) -> int:
    """2 % of the recipients, at least 50 and at most 500 (never more than there are)."""
    return min(recipients, max(CANARY_MIN, min(CANARY_MAX, round(recipients * CANARY_SHARE))))


async def choose_canary(conn: asyncpg.Connection, broadcast_id: int, size: int) -> int:
    """Mark a random `size` of the pending recipients as the canary; the broadcast sends only
    to them until the canary has passed. Returns how many were marked."""
    marked = await conn.fetchval(
        """WITH c AS (UPDATE message_recipients SET canary = true
                      WHERE id IN (SELECT id FROM message_recipients
                                   WHERE message_id = $1 AND delivery_status = 'pending'
                                   ORDER BY random() LIMIT $2)
                      RETURNING 1)
           SELECT count(*) FROM c""", broadcast_id, size)
    await conn.execute("UPDATE message_history SET canary_phase = 'sending', canary_size = $2"
                       " WHERE id = $1", broadcast_id, marked)
    return int(marked)


@dataclass(frozen=True)
class CanaryFigures:
    size: int
    sent: int
    blocked: int
    failed: int
    unknown: int
    undelivered: int   # not answered yet (pending, claimed or in flight)
    clicks: int        # on the tracked link buttons, by the canary's recipients

    @property
    def bad(self) -> int:
        return self.blocked + self.failed

    @property
    def answered(self) -> int:
        return self.sent + self.blocked + self.failed


async def canary_figures(pool: Executor, broadcast_id: int) -> CanaryFigures:
    row = await pool.fetchrow(
        f"""SELECT count(*) AS size,
                   count(*) FILTER (WHERE delivery_status = 'sent') AS sent,
                   count(*) FILTER (WHERE delivery_status = 'blocked') AS blocked,
                   count(*) FILTER (WHERE delivery_status = 'failed') AS failed,
                   count(*) FILTER (WHERE delivery_status = 'unknown') AS unknown,
                   count(*) FILTER (WHERE delivery_status = ANY($2::text[])) AS undelivered,
                   (SELECT count(*) FROM broadcast_clicks c JOIN message_recipients r
                                      ON r.id = c.recipient_id
                    WHERE c.broadcast_id = $1 AND r.canary) AS clicks
            FROM message_recipients WHERE message_id = $1 AND canary""",
        broadcast_id, list(UNDELIVERED))
    return CanaryFigures(**dict(row))


async def canary_done(pool: Executor, broadcast_id: int) -> bool:
    """Every canary recipient has an answer (or is unknown)."""
    return not await pool.fetchval(
        "SELECT EXISTS (SELECT 1 FROM message_recipients WHERE message_id = $1 AND canary"
        " AND delivery_status = ANY($2::text[]))", broadcast_id, list(UNDELIVERED))


async def canary_waits(pool: Executor, broadcast_id: int, until: datetime) -> bool:
    """The canary is out: the broadcast waits till `until` (True: it was sending the canary)."""
    result = await pool.execute(
        "UPDATE message_history SET canary_phase = 'waiting', canary_until = $2,"
        " updated_at = now() WHERE id = $1 AND canary_phase = 'sending'", broadcast_id, until)
    return result.endswith(" 1")


async def canary_passed(pool: Executor, broadcast_id: int) -> bool:
    """The rest may go (True: the canary was going or waiting, and the broadcast sending)."""
    result = await pool.execute(
        "UPDATE message_history SET canary_phase = 'passed', updated_at = now()"
        " WHERE id = $1 AND canary_phase IN ('sending', 'waiting') AND status = 'sending'",
        broadcast_id)
    return result.endswith(" 1")


async def pause_for(pool: Executor, broadcast_id: int, note: dict[str, Any],
                    canary: bool = False) -> bool:
    """Pause a sending broadcast, noting why with the numbers (`canary`: its canary stopped
    it, from the wait). True if it was sending (and waiting, for the canary)."""
    result = await pool.execute(
        f"""UPDATE message_history SET status = 'paused', stop_note = $2, updated_at = now()
                {", canary_phase = 'stopped'" if canary else ""}
            WHERE id = $1 AND status = 'sending'
                {"AND canary_phase = 'waiting'" if canary else ""}""",
        broadcast_id, note)
    return result.endswith(" 1")


async def usual_fail_share(pool: Executor, broadcast: Broadcast) -> float | None:
    """Blocked and failed among the answered requests of the last few finished broadcasts to
    the same audience (the same kind, and stream); None: no such broadcast yet."""
    if broadcast.audience is None:
        return None
    row = await pool.fetchrow(
        f"""SELECT count(*) FILTER (WHERE {_BAD}) AS bad,
                   count(*) FILTER (WHERE {_ANSWERED}) AS answered
            FROM message_recipients
            WHERE message_id IN (
                SELECT id FROM message_history
                WHERE status = 'done' AND id < $1 AND audience->>'kind' = $2
                  AND coalesce(audience->>'stream', '') = $3
                  AND coalesce(recipient_type, 'group') <> 'individual'
                ORDER BY id DESC LIMIT {USUAL_OF_LAST})""",
        broadcast.id, broadcast.audience.kind, broadcast.audience.stream or "")
    return row["bad"] / row["answered"] if row["answered"] else None
