"""Course streams (the bot's own table) and their members (confirmed bookings)."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from bot.db import audit
from bot.db.pool import transaction


@dataclass(frozen=True)
class StreamSummary:
    code: str
    title: str
    members: int  # distinct users with a confirmed booking in the stream
    pending: int  # distinct users with a pending booking in the stream


async def list_active_streams(pool: asyncpg.Pool) -> list[StreamSummary]:
    """Active streams in display order, with member and pending counts."""
    rows = await pool.fetch(
        """
        WITH people AS MATERIALIZED (  -- from idx_bookings_confirmed_stream_user alone
            SELECT confirmed, course_stream, count(DISTINCT user_id) AS n FROM bookings
            WHERE confirmed IN (1, 2) AND user_id IS NOT NULL GROUP BY confirmed, course_stream)
        SELECT s.code, s.title,
               coalesce(sum(p.n) FILTER (WHERE p.confirmed = 2), 0)::bigint AS members,
               coalesce(sum(p.n) FILTER (WHERE p.confirmed = 1), 0)::bigint AS pending
        FROM course_streams s LEFT JOIN people p ON p.course_stream = s.code
        WHERE s.archived_at IS NULL
        GROUP BY s.code, s.title, s.position
        ORDER BY s.position, s.code
        """
    )
    return [StreamSummary(r["code"], r["title"], r["members"], r["pending"]) for r in rows]


async def titles(pool: asyncpg.Pool) -> dict[str, str]:
    """Every stream's title by code, archived ones too (old broadcasts name them)."""
    return {r["code"]: r["title"] for r in await pool.fetch("SELECT code, title FROM course_streams")}


async def active_codes(pool: asyncpg.Pool) -> list[str]:
    rows = await pool.fetch("SELECT code FROM course_streams WHERE archived_at IS NULL"
                            " ORDER BY position, code")
    return [r["code"] for r in rows]


async def get(pool: asyncpg.Pool, code: str) -> asyncpg.Record | None:
    return await pool.fetchrow("SELECT code, title, archived_at FROM course_streams"
                               " WHERE code = $1", code)


async def exists(pool: asyncpg.Pool, code: str) -> bool:
    """A stream of this code is known: in course_streams, or named by a booking."""
    return bool(await pool.fetchval(
        "SELECT EXISTS (SELECT 1 FROM course_streams WHERE code = $1)"
        " OR EXISTS (SELECT 1 FROM bookings WHERE course_stream = $1)", code))


async def title_owner(conn: asyncpg.Connection, title: str, except_code: str = "") -> str | None:
    """The code of another stream (archived ones too) already called `title`, ignoring case.
    Locks the table for the rest of the transaction, so two admins can't both take a title."""
    await conn.execute("LOCK TABLE course_streams IN SHARE ROW EXCLUSIVE MODE")
    return await conn.fetchval("SELECT code FROM course_streams WHERE lower(title) = lower($1)"
                               " AND code <> $2 ORDER BY code LIMIT 1", title, except_code)


async def add(conn: asyncpg.Connection, code: str, title: str) -> bool:
    """A new stream after the others; False if the code is taken (archived streams too)."""
    added = await conn.fetchval(
        """INSERT INTO course_streams (code, title, position)
           SELECT $1, $2, coalesce(max(position), 0) + 1 FROM course_streams
           ON CONFLICT (code) DO NOTHING RETURNING code""", code, title)
    return added is not None


async def rename(conn: asyncpg.Connection, code: str, title: str) -> str | None:
    """The old title, or None if there is no such active stream."""
    return await conn.fetchval(
        """UPDATE course_streams s SET title = $2 FROM course_streams old
           WHERE s.code = $1 AND old.code = s.code AND s.archived_at IS NULL
           RETURNING old.title""", code, title)


async def archive(conn: asyncpg.Connection, code: str) -> bool:
    archived = await conn.fetchval(
        "UPDATE course_streams SET archived_at = now() WHERE code = $1 AND archived_at IS NULL"
        " RETURNING code", code)
    return archived is not None


@dataclass(frozen=True)
class Saved:
    done: bool                   # added, or renamed
    taken_by: str | None = None  # refused: the stream that has this title already


async def save_title(pool: asyncpg.Pool, admin_id: int, code: str, title: str, *,
                     new: bool) -> Saved:
    """Add a stream or rename one, and write its audit entry, in one transaction; a title
    another stream has is refused."""
    async with transaction(pool) as conn:
        taken_by = await title_owner(conn, title, except_code=code)
        if taken_by is not None:
            return Saved(False, taken_by)
        details: dict[str, str | None]
        if new:
            done = await add(conn, code, title)
            action, details = "stream.add", {"title": title}
        else:
            old = await rename(conn, code, title)
            done, action, details = old is not None, "stream.rename", {"from": old, "to": title}
        if done:
            await audit.record_action(conn, admin_id, action, code, details)
    return Saved(done)
