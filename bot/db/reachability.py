"""Users the broadcast bot cannot reach: blocked it, deactivated, or never started it."""

from __future__ import annotations

import asyncpg

NEVER_STARTED = "%initiate conversation%"  # Telegram's 403 for a user who never started the bot

async def mark_unreachable(pool: asyncpg.Pool, user_ids: list[int], reasons: list[str]) -> None:
    if user_ids:
        await pool.execute(
            """INSERT INTO unreachable_users (user_id, reason)
               SELECT * FROM unnest($1::bigint[], $2::text[])
               ON CONFLICT (user_id) DO UPDATE SET reason = excluded.reason, since = now()""",
            user_ids, reasons)


async def mark_reachable(pool: asyncpg.Pool, user_id: int) -> None:
    await pool.execute("DELETE FROM unreachable_users WHERE user_id = $1", user_id)


async def heal(pool: asyncpg.Pool, expiry_days: int) -> int:
    """Forget marks that may no longer hold, so the user is tried again: older than
    `expiry_days`, or with platform activity (an event, a booking, a registration) newer than
    the mark: whoever uses the course bot again has started or unblocked it."""
    result = await pool.execute(
        """DELETE FROM unreachable_users u
           WHERE u.since < now() - make_interval(days => $1)
              OR EXISTS (SELECT 1 FROM events e WHERE e.user_id = u.user_id
                         AND e.created_at > u.since)
              OR EXISTS (SELECT 1 FROM bookings b WHERE b.user_id = u.user_id
                         AND b.created_at > u.since)
              OR EXISTS (SELECT 1 FROM free_lesson_registrations f WHERE f.user_id = u.user_id
                         AND f.registered_at > u.since)""", expiry_days)
    return int(result.split()[-1])
