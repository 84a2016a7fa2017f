"""`python -m bot doctor`: every line says ok or what to fix; nothing secret is printed."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from bot.db.migrate import load_migrations
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import ADMIN_TOKEN, BROADCAST_TOKEN
from processes import START_TIMEOUT

# `python -m bot` child processes spend seconds of CPU importing at start: the modules that
# start them run in two xdist groups (--dist=loadgroup), so at most two start at once and
# their start-up timeouts hold on two busy cores
pytestmark = pytest.mark.xdist_group("processes-b")


async def _doctor(env: dict[str, str]) -> tuple[int, list[str]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "doctor", env={"PATH": os.environ.get("PATH", ""), **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), START_TIMEOUT)
    assert ADMIN_TOKEN not in out.decode() + err.decode()
    assert "Traceback" not in err.decode(), err.decode()
    return proc.returncode, out.decode().splitlines()  # type: ignore[return-value]


async def test_all_ok(emulator: Emulator, database_url: str) -> None:
    emulator.bot(ADMIN_TOKEN).webhook.url = "https://bot.example.org/telegram/webhook"
    code, lines = await _doctor({
        "BOT_TOKEN": ADMIN_TOKEN, "BROADCAST_BOT_TOKEN": BROADCAST_TOKEN, "ADMIN_IDS": "1,2",
        "DATABASE_URL": database_url, "TELEGRAM_API_URL": emulator.base_url,
        "WEBHOOK_BASE_URL": "https://bot.example.org"})
    assert code == 0, lines
    assert all(line.startswith("ok ") for line in lines), lines
    text = "\n".join(lines)
    assert "database: PostgreSQL" in text
    assert f"migrations: {len(load_migrations())} applied, none pending" in text
    assert "table events: 0 rows" in text
    assert "admin bot: @hsl_admin_bot" in text and "broadcast bot: @hsl_course_bot" in text
    assert "webhook: url https://bot.example.org/telegram/webhook, 0 pending updates" in text


async def test_problems_say_what_to_fix(emulator: Emulator, empty_database_url: str) -> None:
    code, lines = await _doctor({
        "BOT_TOKEN": "42:" + "W" * 35, "DATABASE_URL": empty_database_url,
        "TELEGRAM_API_URL": emulator.base_url})
    assert code == 1
    fixes = {line.split(":")[0].removeprefix("FIX ").strip(): line for line in lines
             if line.startswith("FIX")}
    assert "list the admins' Telegram user ids" in fixes["ADMIN_IDS"]
    assert "run `python -m bot migrate`" in fixes["migrations"]
    assert "missing: run `python -m bot migrate`" in fixes["table bookings"]
    assert "token refused (Unauthorized): check the token" in fixes["admin bot"]


async def _platform_users(conn, count: int) -> list[int]:  # type: ignore[no-untyped-def]
    """`count` users of the platform: each opened the course bot's menu once."""
    ids = [1000 + i for i in range(count)]
    await conn.executemany("INSERT INTO events (user_id, event_type, created_at)"
                           " VALUES ($1, 'menu_opened', now())", [(i,) for i in ids])
    return ids


def _line(lines: list[str], label: str) -> str:
    found = [line for line in lines if line.split(":")[0].endswith(label)]
    assert len(found) == 1, "\n".join(lines)
    return found[0]


async def test_a_broadcast_bot_nobody_started_is_named(emulator: Emulator, database_url: str
                                                       ) -> None:
    import asyncpg
    conn = await asyncpg.connect(database_url)
    try:
        ids = await _platform_users(conn, 40)
        await conn.execute("INSERT INTO events (user_id, event_type) VALUES (1001, 'menu_opened')")
        broadcast_id = await conn.fetchval(
            "INSERT INTO message_history (message_text, status, started_at)"
            " VALUES ('hi', 'done', now()) RETURNING id")
        await conn.executemany(
            "INSERT INTO message_recipients (message_id, user_id, delivery_status, error)"
            " VALUES ($1, $2, 'blocked', 'Forbidden: bot can''t initiate conversation with a user')",
            [(broadcast_id, i) for i in ids])
        # the old dashboard's rows went out through another bot: they say nothing of this one
        old = await conn.fetchval("INSERT INTO message_history (message_text, status)"
                                  " VALUES ('old', 'done') RETURNING id")
        await conn.execute("INSERT INTO message_recipients (message_id, user_id, delivery_status,"
                           " error) VALUES ($1, 1000, 'sent', NULL)", old)
    finally:
        await conn.close()
    code, lines = await _doctor({
        "BOT_TOKEN": ADMIN_TOKEN, "ADMIN_IDS": "1", "DATABASE_URL": database_url,
        "TELEGRAM_API_URL": emulator.base_url})
    assert code == 1
    assert _line(lines, "broadcast reach") == (
        "FIX  broadcast reach: the broadcast bot has reached 0 of 40 users (0 of 40 recipients "
        "in 30 days, 40 never started it); set BROADCAST_BOT_TOKEN to the platform's bot, the "
        "one students started")


async def test_before_any_broadcast_an_unset_broadcast_token_is_named(
        emulator: Emulator, database_url: str) -> None:
    """A fresh deploy: the platform has users, nothing was sent yet, BROADCAST_BOT_TOKEN
    forgotten: every broadcast would go out through the admin bot nobody started."""
    import asyncpg
    conn = await asyncpg.connect(database_url)
    try:
        await _platform_users(conn, 25)
        await conn.execute("INSERT INTO bookings (user_id, course_stream, confirmed)"
                           " VALUES (1003, '3rd_stream', 2), (2000, '3rd_stream', 1)")
    finally:
        await conn.close()
    env = {"BOT_TOKEN": ADMIN_TOKEN, "ADMIN_IDS": "1", "DATABASE_URL": database_url,
           "TELEGRAM_API_URL": emulator.base_url}
    code, lines = await _doctor(env)
    assert code == 1
    assert _line(lines, "broadcast reach") == (
        "FIX  broadcast reach: the broadcast bot has reached 0 of 26 users; BROADCAST_BOT_TOKEN "
        "is not set, so broadcasts go out through the admin bot: set BROADCAST_BOT_TOKEN to the "
        "platform's bot, the one students started (the same as BOT_TOKEN if the admin bot is "
        "that bot)")
    code, lines = await _doctor({**env, "BROADCAST_BOT_TOKEN": BROADCAST_TOKEN})
    assert _line(lines, "broadcast reach") == (
        "ok   broadcast reach: the broadcast bot has reached 0 of 26 users; no broadcast in the "
        "last 30 days")
    assert code == 0, lines


def _as_role(dsn: str, role: str) -> str:
    """The same server and database as `dsn`, logged in as `role` (the test server trusts
    local connections)."""
    from urllib.parse import urlsplit, urlunsplit
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(netloc=f"{role}@{parts.netloc.rsplit('@', 1)[-1]}"))


def _sql_of(line: str) -> str:
    """The SQL a privileges line tells the database's owner to run."""
    return line.split(" run: ", 1)[1].removesuffix(" (before the next migration)")


async def test_missing_privileges_come_with_the_sql_to_grant_them(
        emulator: Emulator, empty_database_url: str) -> None:
    import uuid

    import asyncpg
    role = f"bot_{uuid.uuid4().hex[:8]}"
    owner = await asyncpg.connect(empty_database_url)
    try:
        await owner.execute(f"CREATE ROLE {role} LOGIN")
        await owner.execute("CREATE TABLE message_history (id serial PRIMARY KEY,"
                            " created_at timestamptz)")
        database = await owner.fetchval("SELECT current_database()")
        await owner.execute(f"REVOKE CREATE ON SCHEMA public FROM PUBLIC;"
                            f" GRANT USAGE ON SCHEMA public TO {role};"
                            f" GRANT SELECT ON message_history TO {role}")  # reads, can't alter
        code, lines = await _doctor({
            "BOT_TOKEN": ADMIN_TOKEN, "ADMIN_IDS": "1",
            "DATABASE_URL": _as_role(empty_database_url, role),
            "TELEGRAM_API_URL": emulator.base_url})
    finally:
        await owner.execute(f"DROP OWNED BY {role}; DROP ROLE {role}")
        await owner.close()
    line = _line(lines, "privileges")
    assert code == 1 and line.startswith("FIX  privileges:"), lines
    # the table's owner is the test server's superuser: the table is handed over, not the role
    assert _sql_of(line) == (
        f'GRANT CREATE ON DATABASE "{database}" TO "{role}";'
        f' GRANT USAGE, CREATE ON SCHEMA "public" TO "{role}";'
        f' CREATE EXTENSION IF NOT EXISTS pg_trgm;'
        f' ALTER TABLE "message_history" OWNER TO "{role}";')


async def test_the_printed_sql_is_enough_for_every_migration(
        emulator: Emulator, empty_database_url: str) -> None:
    """The platform as it is in production: the course bot's own role owns its tables, the
    admin bot gets a role of its own. The owner runs what doctor prints, and then the bot's
    role migrates and doctor is content, while the course bot keeps its tables."""
    import uuid

    import asyncpg
    from bot.db.migrate import load_migrations
    course, role = f"course_{uuid.uuid4().hex[:8]}", f"bot_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(empty_database_url)
    try:
        await admin.execute(f"CREATE ROLE {course} LOGIN; CREATE ROLE {role} LOGIN;"
                            f" REVOKE CREATE ON SCHEMA public FROM PUBLIC;"
                            f" GRANT USAGE, CREATE ON SCHEMA public TO {course}")
        platform = await asyncpg.connect(_as_role(empty_database_url, course))
        try:  # the course bot's tables, made by the course bot
            [first] = [m for m in load_migrations() if m.version == 1]
            await platform.execute(first.sql)
        finally:
            await platform.close()
        env = {"BOT_TOKEN": ADMIN_TOKEN, "ADMIN_IDS": "1",
               "DATABASE_URL": _as_role(empty_database_url, role),
               "TELEGRAM_API_URL": emulator.base_url}
        code, lines = await _doctor(env)
        line = _line(lines, "privileges")
        assert code == 1 and line.startswith("FIX  privileges:"), lines
        assert f'GRANT "{course}" TO "{role}";' in line  # membership, not the tables handed over
        assert "ALTER TABLE" not in line
        await admin.execute(_sql_of(line))

        migrate = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "migrate",
            env={"PATH": os.environ.get("PATH", ""), **env},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(migrate.communicate(), START_TIMEOUT)
        assert migrate.returncode == 0, err.decode()[-2000:]

        code, lines = await _doctor(env)
        assert _line(lines, "privileges").startswith("ok   privileges: role "), lines
        assert _line(lines, "migrations").startswith("ok "), lines
        assert await admin.fetchval("SELECT tableowner FROM pg_tables"
                                    " WHERE tablename = 'message_history'") == course
        assert await admin.fetchval("SELECT has_table_privilege($1, 'message_history', 'INSERT')",
                                    course)
    finally:
        await admin.execute(f"DROP OWNED BY {role}; DROP OWNED BY {course};"
                            f" DROP ROLE {role}; DROP ROLE {course}")
        await admin.close()
