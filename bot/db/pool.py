"""One asyncpg pool per process."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypeAlias

import asyncpg

log = logging.getLogger(__name__)


async def _init_connection(conn: asyncpg.Connection) -> None:
    # binary, so that COPY can write jsonb too (version byte 1, then the JSON text)
    await conn.set_type_codec(
        "jsonb", schema="pg_catalog", format="binary",
        encoder=lambda value: b"\x01" + json.dumps(value, ensure_ascii=False).encode(),
        decoder=lambda data: json.loads(data[1:]),
    )
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """Create the pool and check it with a query; raises if the database is unreachable."""
    pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=_init_connection, command_timeout=60,
        # JIT compiling costs ~0.3 s on queries the planner overestimates, more than they run
        server_settings={"jit": "off"},
    )
    assert pool is not None
    await pool.fetchval("SELECT 1")
    return pool


Executor: TypeAlias = asyncpg.Pool | asyncpg.Connection  # what the query functions run on


@asynccontextmanager
async def transaction(db: Executor) -> AsyncIterator[asyncpg.Connection]:
    """A transaction on a connection of the pool, or inside the caller's (a savepoint), so a
    change and its audit entry can be one transaction."""
    if isinstance(db, asyncpg.Connection):
        async with db.transaction():
            yield db
    else:
        async with db.acquire() as conn, conn.transaction():
            yield conn
