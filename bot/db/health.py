"""What the database holds, for /healthz, the status screen and `doctor`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

PLATFORM_TABLES = (
    ("bookings", "created_at"),
    ("free_lesson_registrations", "registered_at"),
    ("events", "created_at"),
    ("message_history", "created_at"),
    ("message_recipients", "created_at"),
)


@dataclass(frozen=True)
class TableInfo:
    name: str
    exists: bool
    rows: int
    last_row_at: datetime | None


async def server_version(pool: asyncpg.Pool) -> str:
    return await pool.fetchval("SHOW server_version")


async def ping(pool: asyncpg.Pool) -> None:
    await pool.fetchval("SELECT 1")


async def platform_tables(pool: asyncpg.Pool) -> list[TableInfo]:
    """Row counts and the newest row's time of the platform's tables (missing ones too)."""
    result = []
    async with pool.acquire() as conn:
        for table, time_column in PLATFORM_TABLES:
            if not await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", table):
                result.append(TableInfo(table, False, 0, None))
                continue
            # names come from the constant above, never from input
            row = await conn.fetchrow(
                f"SELECT count(*) AS n, max({time_column}) AS last FROM {table}"
            )
            result.append(TableInfo(table, True, row["n"], row["last"]))
    return result
