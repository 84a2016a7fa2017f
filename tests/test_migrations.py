"""Migrations: platform tables as the platform has them, the bot's own, idempotent, race-free."""

from __future__ import annotations

import asyncio

import asyncpg

from bot.db.migrate import apply_migrations, load_migrations, migration_status

PLATFORM_COLUMNS = {
    "bookings": ["id", "user_id", "username", "first_name", "course_id", "course_stream",
                 "confirmed", "created_at", "referral_code", "discount_percent"],
    "free_lesson_registrations": ["id", "user_id", "username", "first_name", "email",
                                  "registered_at", "notification_sent", "lesson_type", "lesson_date"],
    "events": ["id", "user_id", "username", "first_name", "event_type", "created_at", "details"],
    "message_history": ["id", "message_text", "total_recipients", "successful_deliveries",
                        "sent_at", "created_at", "recipient_type", "recipient_group", "scheduled_at"],
    "message_recipients": ["id", "message_id", "user_id", "username", "delivery_status",
                           "created_at", "telegram_message_id"],
}


async def _columns(conn: asyncpg.Connection, table: str) -> list[str]:
    rows = await conn.fetch("SELECT column_name FROM information_schema.columns"
                            " WHERE table_name = $1 ORDER BY ordinal_position", table)
    return [r["column_name"] for r in rows]


async def test_fresh_database_gets_every_table_and_the_streams(empty_database_url: str) -> None:
    conn = await asyncpg.connect(empty_database_url)
    try:
        applied = await apply_migrations(conn)
        assert [m.version for m in applied] == [m.version for m in load_migrations()]
        for table, columns in PLATFORM_COLUMNS.items():
            assert (await _columns(conn, table))[:len(columns)] == columns
        streams = await conn.fetch("SELECT code, title FROM course_streams ORDER BY position")
        assert [tuple(r) for r in streams] == [
            ("3rd_stream", "3-й поток"), ("4th_stream", "4-й поток"), ("5th_stream", "5-й поток")]
        assert await conn.fetchval("SELECT count(*) FROM admin_audit_log") == 0
        assert await conn.fetchval("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'") == 1
    finally:
        await conn.close()


async def test_second_run_changes_nothing(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("UPDATE course_streams SET title = 'Третий' WHERE code = '3rd_stream'")
        assert await apply_migrations(conn) == []
        status = await migration_status(conn)
        assert status.pending == [] and status.changed == []
        assert await conn.fetchval(
            "SELECT title FROM course_streams WHERE code = '3rd_stream'") == "Третий"
    finally:
        await conn.close()


async def test_existing_platform_tables_and_rows_are_kept(empty_database_url: str) -> None:
    conn = await asyncpg.connect(empty_database_url)
    try:
        # the platform's own table, with a column of its own and a row
        await conn.execute("""
            CREATE TABLE bookings (id serial PRIMARY KEY, user_id bigint, username text,
              first_name text, course_id integer, course_stream text, confirmed integer,
              created_at timestamptz DEFAULT now(), referral_code text,
              discount_percent integer, payment_note text);
            INSERT INTO bookings (user_id, course_stream, confirmed, payment_note)
              VALUES (42, '4th_stream', 2, 'paid by card');""")
        await apply_migrations(conn)
        row = await conn.fetchrow("SELECT user_id, payment_note FROM bookings")
        assert tuple(row) == (42, "paid by card")
    finally:
        await conn.close()


async def test_two_concurrent_runs_end_in_one_schema(empty_database_url: str) -> None:
    first = await asyncpg.connect(empty_database_url)
    second = await asyncpg.connect(empty_database_url)
    try:
        results = await asyncio.gather(apply_migrations(first), apply_migrations(second))
        total = len(load_migrations())
        # one of them applied everything, the other found nothing left to do
        assert sorted(len(r) for r in results) == [0, total]
        versions = await first.fetch("SELECT version FROM schema_migrations ORDER BY version")
        assert [r["version"] for r in versions] == [m.version for m in load_migrations()]
        assert await first.fetchval("SELECT count(*) FROM course_streams") == 3
    finally:
        await first.close()
        await second.close()
