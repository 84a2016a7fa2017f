"""Broadcasts waiting for a second pair of eyes: approving and rejecting them (each once,
whoever presses first), and those whose time came while they waited."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from bot.db.broadcasts import COLUMNS, Broadcast, from_row
from bot.db.pool import Executor

AWAITING = "awaiting_approval"


@dataclass(frozen=True)
class Decision:
    broadcast_id: int
    created_by: int | None
    now: bool  # approved to go at once (not scheduled)


async def approve(db: Executor, broadcast_id: int, by: int) -> Decision | None:
    """Approve it, unless it is not waiting any more (decided by someone else first) or `by`
    is its author; a broadcast with a time goes back to the schedule, one without becomes a
    draft to start now. Atomic: of two approvers at once, one gets the Decision."""
    row = await db.fetchrow(
        """UPDATE message_history SET approved_by = $2, updated_at = now(),
               status = CASE WHEN scheduled_at IS NULL THEN 'draft' ELSE 'scheduled' END
           WHERE id = $1 AND status = 'awaiting_approval' AND created_by IS DISTINCT FROM $2
           RETURNING created_by, scheduled_at IS NULL AS now""", broadcast_id, by)
    return Decision(broadcast_id, row["created_by"], row["now"]) if row else None


async def reject(db: Executor, broadcast_id: int, by: int, reason: str) -> Decision | None:
    row = await db.fetchrow(
        """UPDATE message_history SET status = 'cancelled', approved_by = $2,
               rejection_reason = $3, finished_at = now(), updated_at = now()
           WHERE id = $1 AND status = 'awaiting_approval' AND created_by IS DISTINCT FROM $2
           RETURNING created_by, scheduled_at IS NULL AS now""", broadcast_id, by, reason)
    return Decision(broadcast_id, row["created_by"], row["now"]) if row else None


async def decided_by(db: Executor, broadcast_id: int) -> tuple[str, int | None, str | None]:
    """(status, who approved or rejected it, the reason) of a broadcast."""
    row = await db.fetchrow("SELECT status, approved_by, rejection_reason FROM message_history"
                            " WHERE id = $1", broadcast_id)
    return (row["status"], row["approved_by"], row["rejection_reason"]) if row \
        else ("", None, None)


async def overdue(pool: asyncpg.Pool) -> list[Broadcast]:
    """Waiting ones whose time has come and whose author was not told yet; marks them told."""
    rows = await pool.fetch(
        f"""UPDATE message_history SET approval_late_noted = true
            WHERE status = 'awaiting_approval' AND scheduled_at <= now()
              AND NOT approval_late_noted
            RETURNING {COLUMNS}""")
    return [from_row(r) for r in rows]
