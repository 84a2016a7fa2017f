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


async def test_a_broadcast_bot_nobody_started_is_named(emulator: Emulator, database_url: str
                                                       ) -> None:
    import asyncpg
    conn = await asyncpg.connect(database_url)
    try:
        broadcast_id = await conn.fetchval(
            "INSERT INTO message_history (message_text, status) VALUES ('hi', 'done') RETURNING id")
        await conn.executemany(
            "INSERT INTO message_recipients (message_id, user_id, delivery_status, error)"
            " VALUES ($1, $2, 'blocked', 'Forbidden: bot can''t initiate conversation with a user')",
            [(broadcast_id, 1000 + i) for i in range(40)])
    finally:
        await conn.close()
    code, lines = await _doctor({
        "BOT_TOKEN": ADMIN_TOKEN, "ADMIN_IDS": "1", "DATABASE_URL": database_url,
        "TELEGRAM_API_URL": emulator.base_url})
    assert code == 1
    [line] = [line for line in lines if "broadcast reach" in line]
    assert line == ("FIX  broadcast reach: the broadcast bot has reached 0 of 40 recipients in "
                    "30 days; 40 never started it: set BROADCAST_BOT_TOKEN to the platform's own "
                    "bot (the one students started)")


async def test_missing_privileges_come_with_the_sql_to_grant_them(
        emulator: Emulator, server_dsn: str, empty_database_url: str) -> None:
    import uuid

    import asyncpg
    from bot.sandbox.harness import dsn_for
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
        limited = dsn_for(server_dsn, database).replace("://", f"://{role}@", 1) \
            if "@" not in server_dsn.split("//", 1)[1].split("/", 1)[0] else \
            dsn_for(server_dsn, database).replace(
                server_dsn.split("//", 1)[1].split("@", 1)[0], role, 1)
        code, lines = await _doctor({
            "BOT_TOKEN": ADMIN_TOKEN, "ADMIN_IDS": "1", "DATABASE_URL": limited,
            "TELEGRAM_API_URL": emulator.base_url})
    finally:
        await owner.execute(f"DROP OWNED BY {role}; DROP ROLE {role}")
        await owner.close()
    found = [line for line in lines if line.split(":")[0].endswith("privileges")]
    assert len(found) == 1, "\n".join(lines)
    line = found[0]
    assert code == 1 and line.startswith("FIX  privileges:"), lines
    assert f'GRANT CREATE ON DATABASE "{database}" TO "{role}";' in line
    assert "CREATE EXTENSION IF NOT EXISTS pg_trgm;" in line
    assert f'ALTER TABLE message_history OWNER TO "{role}";' in line
