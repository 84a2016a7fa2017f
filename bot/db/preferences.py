"""Per-admin preferences: the daily digest and the language."""

from __future__ import annotations

from datetime import date, time

import asyncpg


async def digest(pool: asyncpg.Pool, admin_id: int) -> tuple[bool, time]:
    row = await pool.fetchrow("SELECT digest_enabled, digest_time FROM admin_preferences"
                              " WHERE admin_id = $1", admin_id)
    return (row["digest_enabled"], row["digest_time"]) if row else (False, time(9, 0))


async def toggle_digest(pool: asyncpg.Pool, admin_id: int) -> bool:
    """Turn the admin's digest on or off; returns the new state."""
    return await pool.fetchval(
        """INSERT INTO admin_preferences (admin_id, digest_enabled) VALUES ($1, true)
           ON CONFLICT (admin_id) DO UPDATE
               SET digest_enabled = NOT admin_preferences.digest_enabled
           RETURNING digest_enabled""", admin_id)


async def set_digest_time(pool: asyncpg.Pool, admin_id: int, at: time) -> None:
    """Send the admin's digest at this time from now on (and turn it on)."""
    await pool.execute(
        """INSERT INTO admin_preferences (admin_id, digest_enabled, digest_time)
           VALUES ($1, true, $2)
           ON CONFLICT (admin_id) DO UPDATE SET digest_enabled = true, digest_time = $2""",
        admin_id, at)


async def claim_due_digests(pool: asyncpg.Pool, today: date, now: time) -> list[int]:
    """Admins whose digest time has come today and who did not get it yet; marked as sent
    in the same statement, so two instances never send one twice."""
    rows = await pool.fetch(
        """UPDATE admin_preferences SET digest_sent_on = $1
           WHERE digest_enabled AND digest_time <= $2
             AND (digest_sent_on IS NULL OR digest_sent_on < $1)
           RETURNING admin_id""", today, now)
    return [r["admin_id"] for r in rows]


async def remember_admin(pool: asyncpg.Pool, admin_id: int, locale: str, name: str,
                         username: str | None) -> None:
    """The admin's language, name and @username as their last update showed them."""
    await pool.execute(
        """INSERT INTO admin_preferences (admin_id, locale, name, username) VALUES ($1, $2, $3, $4)
           ON CONFLICT (admin_id) DO UPDATE SET locale = $2, name = $3, username = $4
           WHERE (admin_preferences.locale, admin_preferences.name, admin_preferences.username)
                 IS DISTINCT FROM ($2, $3, $4)""",
        admin_id, locale, name.replace("\x00", ""), username)


async def locale(pool: asyncpg.Pool, admin_id: int | None) -> str:
    """The admin's language as last seen in an update; Russian for an admin never seen."""
    found = await pool.fetchval("SELECT locale FROM admin_preferences WHERE admin_id = $1",
                                admin_id) if admin_id is not None else None
    return found or "ru"
