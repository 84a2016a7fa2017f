"""Users the broadcast bot cannot reach: blocked it, deactivated, or never started it."""

from __future__ import annotations

import asyncpg

async def mark_unreachable(pool: asyncpg.Pool, user_ids: list[int], reasons: list[str]) -> None:
    if user_ids:
        await pool.execute(
            """INSERT INTO unreachable_users (user_id, reason)
               SELECT * FROM unnest($1::bigint[], $2::text[])
               ON CONFLICT (user_id) DO UPDATE SET reason = excluded.reason, since = now()""",
            user_ids, reasons)


async def mark_reachable(pool: asyncpg.Pool, user_id: int) -> None:
    await pool.execute("DELETE FROM unreachable_users WHERE user_id = $1", user_id)
