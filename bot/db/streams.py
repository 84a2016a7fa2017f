"""Course streams (the bot's own table) and their members (confirmed bookings)."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg


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
        SELECT s.code, s.title,
               count(DISTINCT b.user_id) FILTER (WHERE b.confirmed = 2) AS members,
               count(DISTINCT b.user_id) FILTER (WHERE b.confirmed = 1) AS pending
        FROM course_streams s
        LEFT JOIN bookings b ON b.course_stream = s.code AND b.user_id IS NOT NULL
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
