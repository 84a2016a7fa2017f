"""demo-data: realistic, deterministic rows in the platform's tables."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime

import asyncpg

from bot.db import demo

ANCHOR = datetime(2026, 11, 1, 12, tzinfo=UTC)


async def _snapshot(conn: asyncpg.Connection) -> list[list[tuple]]:
    return [[tuple(r) for r in await conn.fetch(f"SELECT * FROM {t} ORDER BY id")]
            for t in demo.PLATFORM_TABLES]


async def test_same_seed_same_rows_other_seed_other_rows(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await demo.fill(conn, demo.DemoPlan(300, 3000, seed=5), anchor=ANCHOR)
        first = await _snapshot(conn)
        await demo.fill(conn, demo.DemoPlan(300, 3000, seed=5), replace=True, anchor=ANCHOR)
        assert await _snapshot(conn) == first
        await demo.fill(conn, demo.DemoPlan(300, 3000, seed=6), replace=True, anchor=ANCHOR)
        assert await _snapshot(conn) != first


async def test_rows_look_like_the_platform(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        counts = await demo.fill(conn, demo.DemoPlan(2000, 20000, seed=1), anchor=ANCHOR)
    assert counts["events"] == 20000
    users = await pool.fetchval(
        "SELECT count(DISTINCT user_id) FROM (SELECT user_id FROM bookings UNION ALL"
        " SELECT user_id FROM events UNION ALL SELECT user_id FROM free_lesson_registrations) u")
    assert users == 2000
    names = [r[0] for r in await pool.fetch("SELECT DISTINCT first_name FROM events")]
    assert any(n and re.search("[а-я]", n) for n in names)
    assert any(n and re.fullmatch("[A-Za-z]+", n) for n in names)
    assert None in names
    assert await pool.fetchval("SELECT count(*) FROM events WHERE username IS NULL") > 0
    assert await pool.fetchval(  # a username used by two different people
        "SELECT count(*) FROM (SELECT username FROM events WHERE username IS NOT NULL"
        " GROUP BY username HAVING count(DISTINCT user_id) > 1) d") > 0
    statuses = {r[0] for r in await pool.fetch("SELECT DISTINCT confirmed FROM bookings")}
    assert statuses == {-1, 1, 2}
    streams = {r[0] for r in await pool.fetch("SELECT DISTINCT course_stream FROM bookings")}
    assert streams == {"3rd_stream", "4th_stream", "5th_stream"}
    assert await pool.fetchval("SELECT max(n) FROM (SELECT count(*) n FROM bookings"
                               " GROUP BY user_id) b") >= 2
    assert await pool.fetchval("SELECT count(*) FROM bookings WHERE referral_code IS NOT NULL"
                               " AND discount_percent > 0") > 0
    lessons = {r[0] for r in await pool.fetch(
        "SELECT DISTINCT lesson_type FROM free_lesson_registrations")}
    assert len(lessons) == 3
    clicked = {r[0] for r in await pool.fetch(
        "SELECT DISTINCT details->>'lesson_type' FROM events WHERE event_type = 'lesson_link_clicked'")}
    assert clicked == lessons
    span = await pool.fetchval("SELECT max(created_at) - min(created_at) FROM events")
    assert 150 <= span.days <= 181


def test_cli_refuses_to_mix_with_existing_rows(database_url: str) -> None:
    env = {"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-m", "bot", "demo-data", "--users", "50", "--seed", "3"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "users: 50" in first.stdout
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 2
    assert "add --replace" in again.stderr and "Traceback" not in again.stderr
    replaced = subprocess.run(command + ["--replace"], env=env, capture_output=True, text=True,
                              timeout=120)
    assert replaced.returncode == 0, replaced.stderr


async def test_filling_keeps_every_index(pool: asyncpg.Pool) -> None:
    """The fill drops secondary indexes to build them once at the end: all must come back."""
    query = ("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY($1::text[])"
             " ORDER BY 1")
    tables = ["bookings", "free_lesson_registrations", "events"]
    before = [tuple(r) for r in await pool.fetch(query, tables)]
    async with pool.acquire() as conn:
        await demo.fill(conn, demo.DemoPlan(50, 500))
    assert [tuple(r) for r in await pool.fetch(query, tables)] == before
    assert len(before) >= 10
