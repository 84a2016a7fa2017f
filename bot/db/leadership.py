"""The advisory lock that makes one instance the one that delivers broadcasts."""

from __future__ import annotations

import asyncpg

DELIVERY_LOCK = 0x4853_4C5F_444C56  # "HSL_DLV"


async def try_lock(conn: asyncpg.Connection) -> bool:
    """Take the lock on this connection if nobody holds it; held until unlock or disconnect."""
    return await conn.fetchval("SELECT pg_try_advisory_lock($1)", DELIVERY_LOCK)


async def unlock(conn: asyncpg.Connection) -> None:
    await conn.execute("SELECT pg_advisory_unlock($1)", DELIVERY_LOCK)


async def alive(conn: asyncpg.Connection) -> None:
    """Raises if the connection holding the lock is gone."""
    await conn.fetchval("SELECT 1")
