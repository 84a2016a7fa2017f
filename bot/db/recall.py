"""Recall: which delivered copies of a broadcast are still to delete, and the bookkeeping."""

from __future__ import annotations

import asyncpg

from bot.db.broadcasts import COLUMNS, Broadcast, from_row, recount
from bot.db.edits import HELD
from bot.db.pool import Executor

async def request_recall(pool: Executor, broadcast_id: int) -> bool:
    """Ask the engine to delete a broadcast from every chat; True if newly requested."""
    result = await pool.execute(
        """UPDATE message_history SET recall_status = 'requested', updated_at = now()
           WHERE id = $1 AND status IN ('done', 'cancelled', 'paused')
             AND sent_count > 0 AND recall_status IS DISTINCT FROM 'requested'
             AND recall_status IS DISTINCT FROM 'running'""", broadcast_id)
    return result.endswith(" 1")


async def recalls(pool: asyncpg.Pool) -> list[Broadcast]:
    rows = await pool.fetch(f"SELECT {COLUMNS} FROM message_history"
                            " WHERE recall_status IN ('requested', 'running') ORDER BY id")
    return [from_row(r) for r in rows]


async def set_recall_status(pool: asyncpg.Pool, broadcast_id: int, status: str) -> None:
    await pool.execute("UPDATE message_history SET recall_status = $2 WHERE id = $1",
                       broadcast_id, status)


async def sent_page(pool: asyncpg.Pool, broadcast_id: int, after_id: int, limit: int,
                    below_version: int | None = None) -> list[asyncpg.Record]:
    """Recipients holding a copy whose message id is known, in id order, for recall and edits:
    those sent, and those 'unknown' whose message id turned up afterwards; for an edit
    (`below_version`), only copies that have not had that version yet."""
    return await pool.fetch(
        f"""SELECT id, user_id, username, first_name, telegram_message_id, sent_at
            FROM message_recipients
            WHERE message_id = $1 AND {HELD} AND id > $2
              AND ($4::int IS NULL OR edit_version < $4)
            ORDER BY id LIMIT $3""", broadcast_id, after_id, limit, below_version)


async def mark_deleted(pool: asyncpg.Pool, broadcast_id: int, recipient_ids: list[int]) -> None:
    if not recipient_ids:
        return
    await pool.execute("UPDATE message_recipients SET delivery_status = 'deleted'"
                       " WHERE message_id = $1 AND id = ANY($2::int[])"
                       " AND delivery_status IN ('sent', 'unknown')",
                       broadcast_id, recipient_ids)


async def unknown_without_id(pool: asyncpg.Pool, broadcast_id: int) -> int:
    """Recipients who may have the message but whose copy can't be found to delete it."""
    return await pool.fetchval("SELECT count(*) FROM message_recipients WHERE message_id = $1"
                               " AND delivery_status = 'unknown' AND telegram_message_id IS NULL",
                               broadcast_id)


async def finish_recall(pool: asyncpg.Pool, broadcast_id: int) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await recount(conn, broadcast_id)
        await conn.execute("UPDATE message_history SET recall_status = 'done', updated_at = now()"
                           " WHERE id = $1", broadcast_id)
