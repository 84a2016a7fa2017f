"""The admin team (beyond ADMIN_IDS) and the owners' team settings; each change is written to
the audit log in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from bot.db import audit
from bot.db.pool import Executor, transaction
from bot.enums import Role


@dataclass(frozen=True)
class Member:
    user_id: int
    role: Role
    added_by: int
    added_at: datetime
    name: str | None


@dataclass(frozen=True)
class Person:
    """Someone the bot has seen (an admin, or a user of the platform), found by @username."""

    user_id: int
    name: str | None


async def members(db: Executor) -> list[Member]:
    rows = await db.fetch("SELECT user_id, role, added_by, added_at, name FROM team"
                          " ORDER BY added_at, user_id")
    return [Member(r["user_id"], Role(r["role"]), r["added_by"], r["added_at"], r["name"])
            for r in rows]


async def role_of(db: Executor, user_id: int) -> Role | None:
    role = await db.fetchval("SELECT role FROM team WHERE user_id = $1", user_id)
    return Role(role) if role else None


async def add(db: Executor, user_id: int, role: Role, by: int, name: str | None) -> bool:
    """Add a member; False if they already are one (nothing changes)."""
    async def insert(conn: asyncpg.Connection) -> bool:
        return await conn.fetchval(
            "INSERT INTO team (user_id, role, added_by, name) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (user_id) DO NOTHING RETURNING true", user_id, role.value, by,
            name) is not None
    return await audit.recorded(db, by, "team.add", f"user:{user_id}",
                                {"role": role.value, "name": name}, insert)


async def set_role(db: Executor, user_id: int, role: Role, by: int) -> Role | None:
    """Change a member's role; the role before, or None if nothing changed (not a member, or
    already in that role)."""
    async with transaction(db) as conn:
        before = await conn.fetchval(
            "UPDATE team t SET role = $2 FROM team old WHERE t.user_id = $1"
            " AND old.user_id = t.user_id AND t.role <> $2 RETURNING old.role",
            user_id, role.value)
        if before is None:
            return None
        await audit.record_action(conn, by, "team.role", f"user:{user_id}",
                                  {"from": before, "to": role.value})
    return Role(before)


async def remove(db: Executor, user_id: int, by: int) -> Role | None:
    """Take a member off the team; the role they had, or None if they were not a member."""
    async with transaction(db) as conn:
        role = await conn.fetchval("DELETE FROM team WHERE user_id = $1 RETURNING role", user_id)
        if role is None:
            return None
        await audit.record_action(conn, by, "team.remove", f"user:{user_id}", {"role": role})
    return Role(role)


async def find_username(db: Executor, username: str) -> Person | None:
    """Whom an @username belongs to, as the bot last saw it: an admin's own updates first,
    then the platform's users (its directory, bookings and free-lesson registrations)."""
    row = await db.fetchrow(
        """SELECT user_id, name FROM (
               SELECT admin_id AS user_id, name, 0 AS tier, now() AS at
                 FROM admin_preferences WHERE lower(username) = lower($1)
               UNION ALL SELECT user_id, first_name, 1, last_seen
                 FROM user_directory WHERE lower(username) = lower($1)
               UNION ALL SELECT user_id, first_name, 2, created_at
                 FROM bookings WHERE lower(username) = lower($1)
               UNION ALL SELECT user_id, first_name, 2, registered_at
                 FROM free_lesson_registrations WHERE lower(username) = lower($1)
           ) seen ORDER BY tier, at DESC NULLS LAST LIMIT 1""", username)
    return Person(row["user_id"], row["name"]) if row else None


async def settings(db: Executor) -> dict[str, Any]:
    rows = await db.fetch("SELECT key, value FROM team_settings")
    return {r["key"]: r["value"] for r in rows}


async def put_setting(db: Executor, key: str, value: Any, by: int) -> None:
    async with transaction(db) as conn:
        before = await conn.fetchval("SELECT value FROM team_settings WHERE key = $1", key)
        await conn.execute(
            "INSERT INTO team_settings (key, value, updated_by) VALUES ($1, $2, $3)"
            " ON CONFLICT (key) DO UPDATE SET value = $2, updated_by = $3, updated_at = now()",
            key, value, by)
        await audit.record_action(conn, by, "team.setting", key, {"from": before, "to": value})
