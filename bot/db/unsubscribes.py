"""Students who unsubscribed from broadcasts (the «Отписаться от рассылок» button): every
broadcast skips them until they undo it, or an admin does with a reason. Each change and its
audit entry are written in one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import asyncpg

from bot.db import audit
from bot.db.pool import Executor, transaction

BY_RECIPIENT = 0  # the audit log's admin id for what a student did themselves


class Unsubscriber(NamedTuple):
    user_id: int
    broadcast_id: int
    changed: bool  # False: it was already so


async def _recipient(conn: asyncpg.Connection, recipient_id: int) -> asyncpg.Record | None:
    """Who a recipient row (a signed link's) is, and of which broadcast."""
    return await conn.fetchrow("SELECT user_id, message_id FROM message_recipients"
                               " WHERE id = $1", recipient_id)


async def unsubscribe(db: Executor, recipient_id: int) -> Unsubscriber | None:
    """The recipient of this row unsubscribes (None: no such row)."""
    async with transaction(db) as conn:
        row = await _recipient(conn, recipient_id)
        if row is None:
            return None
        added = await conn.fetchval(
            "INSERT INTO unsubscribed_users (user_id, broadcast_id) VALUES ($1, $2)"
            " ON CONFLICT (user_id) DO NOTHING RETURNING user_id",
            row["user_id"], row["message_id"])
        if added is not None:
            await audit.record_action(conn, BY_RECIPIENT, "user.unsubscribe",
                                      str(row["user_id"]),
                                      {"by": "recipient", "broadcast_id": row["message_id"]})
        return Unsubscriber(row["user_id"], row["message_id"], added is not None)


async def undo_by_recipient(db: Executor, recipient_id: int) -> Unsubscriber | None:
    """The recipient of this row takes their unsubscribe back (the page's undo link)."""
    async with transaction(db) as conn:
        row = await _recipient(conn, recipient_id)
        if row is None:
            return None
        changed = await _remove(conn, row["user_id"], BY_RECIPIENT,
                                {"by": "recipient", "broadcast_id": row["message_id"]})
        return Unsubscriber(row["user_id"], row["message_id"], changed)


async def undo_by_admin(db: Executor, user_id: int, admin_id: int, reason: str) -> bool:
    """An admin subscribes the person again, saying why (kept in the audit log)."""
    async with transaction(db) as conn:
        return await _remove(conn, user_id, admin_id, {"by": "admin", "reason": reason})


async def _remove(conn: asyncpg.Connection, user_id: int, admin_id: int,
                  details: dict[str, object]) -> bool:
    gone = await conn.fetchval("DELETE FROM unsubscribed_users WHERE user_id = $1"
                               " RETURNING user_id", user_id)
    if gone is not None:
        await audit.record_action(conn, admin_id, "user.resubscribe", str(user_id), details)
    return gone is not None


async def since(pool: asyncpg.Pool, user_id: int) -> datetime | None:
    """When this person unsubscribed (None: they get broadcasts)."""
    found: datetime | None = await pool.fetchval(
        "SELECT since FROM unsubscribed_users WHERE user_id = $1", user_id)
    return found


async def language(pool: asyncpg.Pool, user_id: int) -> str | None:
    """The language the platform last saw this person's Telegram in, if its events say."""
    found: str | None = await pool.fetchval(
        """SELECT details ->> 'language_code' FROM events
           WHERE user_id = $1 AND details ? 'language_code'
           ORDER BY created_at DESC NULLS LAST, id DESC LIMIT 1""", user_id)
    return found
