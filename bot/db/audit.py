"""The admin audit log: every action that changes something."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from bot.db.pool import Executor, transaction


async def record_action(
    conn: asyncpg.Pool | asyncpg.Connection,
    admin_id: int,
    action: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> int:
    """Write one audit entry and return its id."""
    return await conn.fetchval(
        "INSERT INTO admin_audit_log (admin_id, action, target, details)"
        " VALUES ($1, $2, $3, $4) RETURNING id",
        admin_id, action, target, details or {},
    )


async def recorded(db: Executor, admin_id: int, action: str, target: str | None,
                   details: dict[str, Any] | None,
                   change: Callable[[asyncpg.Connection], Awaitable[bool]]) -> bool:
    """Make a change and write its audit entry in one transaction, the entry only if the
    change happened; True if it did."""
    async with transaction(db) as conn:
        changed = await change(conn)
        if changed:
            await record_action(conn, admin_id, action, target, details)
    return changed


async def latest(pool: asyncpg.Pool, admin_id: int | None, limit: int, offset: int
                 ) -> tuple[list[asyncpg.Record], int]:
    """The newest entries (of one admin, or everyone's) and how many there are."""
    rows = await pool.fetch(
        "SELECT id, admin_id, action, target, details, created_at FROM admin_audit_log"
        " WHERE $1::bigint IS NULL OR admin_id = $1"
        " ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3", admin_id, limit, offset)
    total = await pool.fetchval("SELECT count(*) FROM admin_audit_log"
                                " WHERE $1::bigint IS NULL OR admin_id = $1", admin_id)
    return rows, total


async def names_of(db: Executor, user_ids: list[int]) -> dict[int, tuple[str | None, str | None]]:
    """Name and @username of each id the bot knows: an admin as their last update showed them,
    anyone else (or an admin not seen since) as the platform's tables last named them."""
    rows = await db.fetch(
        """SELECT i.id, coalesce(nullif(p.name, ''), d.first_name) AS name,
                  coalesce(p.username, d.username) AS username
           FROM unnest($1::bigint[]) AS i(id)
           LEFT JOIN admin_preferences p ON p.admin_id = i.id
           LEFT JOIN user_directory d ON d.user_id = i.id""", sorted(set(user_ids)))
    return {r["id"]: (r["name"], r["username"]) for r in rows
            if r["name"] is not None or r["username"] is not None}
