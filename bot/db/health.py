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


@dataclass(frozen=True)
class Privileges:
    role: str
    database: str
    can_create: bool        # CREATE on the database: new tables, pg_trgm (a trusted extension)
    has_trgm: bool          # pg_trgm already installed
    owns_platform: list[str]  # platform tables the role may ALTER (owns, or is a member of the owner)
    platform: list[str]       # platform tables that exist


async def privileges(pool: asyncpg.Pool) -> Privileges:
    """What the bot's role may do that migrations need: create tables and the pg_trgm
    extension, and add columns to the platform's tables (ALTER needs their owner)."""
    row = await pool.fetchrow(
        """SELECT current_user AS role, current_database() AS database,
                  has_database_privilege(current_database(), 'CREATE') AS can_create,
                  EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') AS has_trgm""")
    tables = await pool.fetch(
        """SELECT c.relname AS name, pg_has_role(c.relowner, 'USAGE') AS owns
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname = ANY($1)""",
        [name for name, _column in PLATFORM_TABLES])
    return Privileges(row["role"], row["database"], row["can_create"], row["has_trgm"],
                      [t["name"] for t in tables if t["owns"]], [t["name"] for t in tables])


async def broadcast_reach(pool: asyncpg.Pool, days: int = 30) -> tuple[int, int, int]:
    """Recipients of the last `days` days' broadcasts: (tried, delivered, never started the
    broadcast bot). Empty before the bot's own tables exist."""
    if not await pool.fetchval("SELECT to_regclass('message_recipients') IS NOT NULL"
                               " AND EXISTS (SELECT 1 FROM information_schema.columns"
                               " WHERE table_name = 'message_recipients' AND column_name = 'error')"):
        return 0, 0, 0
    row = await pool.fetchrow(
        """SELECT count(*) FILTER (WHERE r.delivery_status IN ('sent', 'failed', 'blocked',
                                                               'unknown', 'deleted')) AS tried,
                  count(*) FILTER (WHERE r.delivery_status IN ('sent', 'deleted')) AS delivered,
                  count(*) FILTER (WHERE r.delivery_status = 'blocked'
                                   AND (r.error ILIKE '%initiate conversation%'
                                        OR r.error ILIKE '%chat not found%')) AS not_started
           FROM message_recipients r JOIN message_history h ON h.id = r.message_id
           WHERE h.created_at > now() - make_interval(days => $1)""", days)
    return row["tried"], row["delivered"], row["not_started"]
