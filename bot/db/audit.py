"""The admin audit log: every action that changes something."""

from __future__ import annotations

from typing import Any

import asyncpg


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
