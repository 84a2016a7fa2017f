"""Numbered SQL migrations in bot/db/migrations, applied once each under an advisory lock."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# any constant works; it only has to be the same for every instance of the bot
_LOCK_KEY = 0x4853_4C5F_4D49_47  # "HSL_MIG"
_NAME_RE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class MigrationStatus:
    applied: list[int]
    pending: list[Migration]
    changed: list[int]  # applied, but the file differs from what was applied


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME_RE.match(path.name)
        if not match:
            raise ValueError(f"migration file name must look like 0001_name.sql: {path.name}")
        migrations.append(Migration(int(match.group(1)), match.group(2), path.read_text()))
    versions = [m.version for m in migrations]
    if len(versions) != len(set(versions)):
        raise ValueError("two migration files share a number")
    return migrations


async def migration_status(conn: asyncpg.Connection) -> MigrationStatus:
    """What is applied and what is pending, without changing anything."""
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    rows = await conn.fetch("SELECT version, checksum FROM schema_migrations") if exists else []
    applied = {r["version"]: r["checksum"] for r in rows}
    migrations = load_migrations()
    return MigrationStatus(
        applied=sorted(applied),
        pending=[m for m in migrations if m.version not in applied],
        changed=[m.version for m in migrations if applied.get(m.version, m.checksum) != m.checksum],
    )


async def apply_migrations(conn: asyncpg.Connection) -> list[Migration]:
    """Apply pending migrations, each in its own transaction; returns those applied.

    A session-level advisory lock makes a second instance wait until the first is done,
    after which it finds nothing pending.
    """
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        await conn.execute(_CREATE_TABLE)
        status = await migration_status(conn)
        for version in status.changed:
            log.warning("migration %04d was changed after it was applied", version)
        for migration in status.pending:
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    migration.version, migration.name, migration.checksum,
                )
            log.info("applied migration %04d_%s", migration.version, migration.name)
        return status.pending
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
