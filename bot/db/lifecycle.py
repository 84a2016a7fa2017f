"""Opening the database for a process: DATABASE_URL, or the embedded server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from bot.config import ConfigError, Settings
from bot.db.embedded import EmbeddedPostgres
from bot.db.migrate import apply_migrations
from bot.db.pool import create_pool

log = logging.getLogger(__name__)


@asynccontextmanager
async def open_database(settings: Settings, *, migrate: bool = True,
                        max_size: int = 10) -> AsyncIterator[asyncpg.Pool]:
    """Yield the process's pool (migrated unless migrate=False); close it and stop the
    embedded server, if one was started, on exit."""
    embedded = None
    if settings.database_url is not None:
        dsn = settings.database_url.get_secret_value()
    else:
        embedded = EmbeddedPostgres(settings.embedded_pg_dir)
        log.info("starting embedded PostgreSQL", extra={"data_dir": str(embedded.pgdata)})
        dsn = await asyncio.to_thread(embedded.start)
    try:
        try:
            pool = await create_pool(dsn, max_size=max_size)
        except (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise ConfigError(f"DATABASE_URL: cannot connect ({type(exc).__name__})") from None
        try:
            if migrate:
                async with pool.acquire() as conn:
                    await apply_migrations(conn)
            yield pool
        finally:
            try:  # close() waits for every connection to come back; do not wait forever
                await asyncio.wait_for(pool.close(), timeout=10)
            except asyncio.TimeoutError:
                log.warning("database pool did not close in time; terminating it")
                pool.terminate()
    finally:
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)
