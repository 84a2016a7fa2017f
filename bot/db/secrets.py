"""Keys the bot makes for itself once and every instance shares (the link signing key)."""

from __future__ import annotations

import secrets

import asyncpg


async def key(pool: asyncpg.Pool, name: str, size: int = 32) -> bytes:
    """The key called `name`, made on first use."""
    await pool.execute("INSERT INTO bot_secrets (name, value) VALUES ($1, $2)"
                       " ON CONFLICT (name) DO NOTHING", name, secrets.token_bytes(size))
    value: bytes = await pool.fetchval("SELECT value FROM bot_secrets WHERE name = $1", name)
    return value
