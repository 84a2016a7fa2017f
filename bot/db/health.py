"""What the database holds, for /healthz, the status screen and `doctor`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from bot.db.reachability import NEVER_STARTED

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
    readable: bool = True  # the bot's role may SELECT from it


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
            if not await conn.fetchval("SELECT has_table_privilege($1, 'SELECT')", table):
                result.append(TableInfo(table, True, 0, None, readable=False))
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
    schema: str
    can_create: bool         # CREATE on the database (pg_trgm is a trusted extension: enough)
    can_create_in_schema: bool  # CREATE on the schema: new tables, indexes, the extension's objects
    has_trgm: bool           # pg_trgm already installed
    platform: list[str]      # platform tables that exist
    # platform tables the role may not ALTER (neither owns nor is a member of the owner), with
    # their owner and whether that owner is a superuser
    foreign: list[tuple[str, str, bool]]


async def privileges(pool: asyncpg.Pool) -> Privileges:
    """What the bot's role may do that migrations need: create tables and the pg_trgm
    extension, and add columns and indexes to the platform's tables (ALTER needs their owner)."""
    row = await pool.fetchrow(
        """SELECT current_user AS role, current_database() AS database,
                  current_schema() AS schema,
                  has_database_privilege(current_database(), 'CREATE') AS can_create,
                  has_schema_privilege(current_schema(), 'CREATE') AS can_create_in_schema,
                  EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') AS has_trgm""")
    tables = await pool.fetch(
        """SELECT c.relname AS name, pg_has_role(c.relowner, 'USAGE') AS owns,
                  o.rolname AS owner, o.rolsuper AS owner_is_superuser
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                JOIN pg_roles o ON o.oid = c.relowner
           WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
             AND c.relname = ANY($1)""",
        [name for name, _column in PLATFORM_TABLES])
    return Privileges(row["role"], row["database"], row["schema"], row["can_create"],
                      row["can_create_in_schema"], row["has_trgm"],
                      [t["name"] for t in tables],
                      [(t["name"], t["owner"], t["owner_is_superuser"])
                       for t in tables if not t["owns"]])


@dataclass(frozen=True)
class Reach:
    users: int        # the platform's users (any user_id in bookings, events, registrations)
    reached: int      # of them, how many a broadcast of this bot was ever delivered to
    tried: int        # recipients of the last days' broadcasts that were tried
    delivered: int    # of them, delivered
    not_started: int  # of them, 403 "can't initiate conversation": never started the bot


async def broadcast_reach(pool: asyncpg.Pool, days: int = 30) -> Reach:
    """How many of the platform's users the broadcast bot has reached, and how the last `days`
    days' broadcasts went. Only the bot's own broadcasts count (`started_at` is set by its
    delivery engine): rows the old dashboard left say nothing about this bot's token."""
    sources = [table for table in ("bookings", "events", "free_lesson_registrations")
               if await pool.fetchval("SELECT to_regclass($1) IS NOT NULL", table)]
    users = await pool.fetchval(
        "SELECT count(*) FROM (" + " UNION ".join(f"SELECT user_id FROM {table}"
                                                  for table in sources)
        + ") u WHERE user_id IS NOT NULL") if sources else 0
    if not await pool.fetchval("SELECT to_regclass('message_recipients') IS NOT NULL"
                               " AND EXISTS (SELECT 1 FROM information_schema.columns"
                               " WHERE table_name = 'message_recipients' AND column_name = 'error')"):
        return Reach(users, 0, 0, 0, 0)
    row = await pool.fetchrow(
        """SELECT (SELECT count(DISTINCT r.user_id)
                   FROM message_recipients r JOIN message_history h ON h.id = r.message_id
                   WHERE h.started_at IS NOT NULL
                     AND r.delivery_status IN ('sent', 'deleted')) AS reached,
                  count(*) FILTER (WHERE r.delivery_status IN ('sent', 'failed', 'blocked',
                                                               'unknown', 'deleted')) AS tried,
                  count(*) FILTER (WHERE r.delivery_status IN ('sent', 'deleted')) AS delivered,
                  count(*) FILTER (WHERE r.delivery_status = 'blocked'
                                   AND (r.error ILIKE $2 OR r.error ILIKE '%chat not found%'))
                      AS not_started
           FROM message_recipients r JOIN message_history h ON h.id = r.message_id
           WHERE h.started_at IS NOT NULL
             AND h.created_at > now() - make_interval(days => $1)""", days, NEVER_STARTED)
    return Reach(users, row["reached"], row["tried"], row["delivered"], row["not_started"])
