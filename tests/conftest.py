"""Fixtures: one PostgreSQL server for the run (embedded unless TEST_DATABASE_URL is set), a
migrated template database, a fresh database per test, the emulator and the running bot."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
from hypothesis import HealthCheck, settings

from bot.db.embedded import EmbeddedPostgres
from bot.db.migrate import apply_migrations
from bot.db.pool import create_pool
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import ADMIN_TOKEN, BROADCAST_TOKEN, BotHarness, dsn_for, make_settings
from processes import BotProcess
from support import unpace_chats

# Property tests reuse one running bot per test across examples (hence the fixture check
# off), talk to a real server (no deadline) and write no example database into the tree.
# "ci" keeps the suite short; a long run: scripts/test tests/test_properties_input.py
# tests/test_row_properties.py --hypothesis-profile=long
_PROPERTY = dict(deadline=None, print_blob=True, database=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("ci", max_examples=6, **_PROPERTY)  # type: ignore[arg-type]
settings.register_profile("long", max_examples=300, **_PROPERTY)  # type: ignore[arg-type]
settings.load_profile("ci")

# one template per xdist worker: on a shared TEST_DATABASE_URL server the workers must not
# drop each other's template while it is being cloned
TEMPLATE = "hsl_test_template_" + os.environ.get("PYTEST_XDIST_WORKER", "main")
# settings the tests build themselves; values from the machine's environment must not leak in
_ENV_NAMES = ("BOT_TOKEN", "BROADCAST_BOT_TOKEN", "ADMIN_IDS", "DATABASE_URL", "TELEGRAM_API_URL",
              "WEBHOOK_BASE_URL", "WEBHOOK_PATH", "WEBHOOK_SECRET", "WEB_HOST", "WEB_PORT",
              "REDIS_URL", "TIMEZONE", "EMBEDDED_PG_DIR", "LOG_LEVEL", "LOG_FORMAT",
              "FREQUENCY_CAP", "QUIET_HOURS", "CANARY_MIN_AUDIENCE", "CANARY_WAIT_MINUTES",
              "BREAKER_FAIL_PERCENT", "APPROVAL_MIN_AUDIENCE")


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    """The suite runs in parallel by default (`--numprocesses` in pyproject's addopts: it
    mostly waits on real servers and Telegram's pacing). With `-p no:xdist` those options would
    be unknown: accept them and run everything in this one process."""
    if not pluginmanager.has_plugin("xdist"):
        parser.addoption("--numprocesses", dest="numprocesses", default=None,
                         help="ignored: pytest-xdist is disabled (-p no:xdist)")
        parser.addoption("--dist", dest="dist", default="no",
                         help="ignored: pytest-xdist is disabled (-p no:xdist)")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for name in _ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env is read


@pytest.fixture(scope="session")
def server_dsn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """DSN of a maintenance database on the test server."""
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        yield external
        return
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pg") / "data")
    server.start()
    try:
        yield server.dsn("postgres")
    finally:
        server.stop()


@pytest.fixture(scope="session")
def template_db(server_dsn: str) -> str:
    async def build() -> None:
        admin = await asyncpg.connect(server_dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{TEMPLATE}"')
        finally:
            await admin.close()
        conn = await asyncpg.connect(dsn_for(server_dsn, TEMPLATE))
        try:
            await apply_migrations(conn)
        finally:
            await conn.close()

    asyncio.run(build())
    return TEMPLATE


async def _create_database(server_dsn: str, template: str) -> str:
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await admin.close()
    return name


async def _drop_database(server_dsn: str, name: str) -> None:
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def database_url(server_dsn: str, template_db: str) -> AsyncIterator[str]:
    """A fresh, migrated database for this test."""
    name = await _create_database(server_dsn, template_db)
    yield dsn_for(server_dsn, name)
    await _drop_database(server_dsn, name)


@pytest.fixture
async def empty_database_url(server_dsn: str) -> AsyncIterator[str]:
    """A fresh database with no schema at all (for migration tests)."""
    name = await _create_database(server_dsn, "template0")
    yield dsn_for(server_dsn, name)
    await _drop_database(server_dsn, name)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url)
    yield pool
    await pool.close()


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    emu = Emulator()
    emu.add_bot(ADMIN_TOKEN, "hsl_admin_bot")
    emu.add_bot(BROADCAST_TOKEN, "hsl_course_bot")
    await emu.start()
    yield emu
    await emu.stop()


@pytest.fixture
async def make_harness(emulator: Emulator, database_url: str,  # type: ignore[no-untyped-def]
                       request: pytest.FixtureRequest):
    """Start the bot (webhook mode, emulator as Telegram) with these setting overrides;
    several may run at once on the same database, like instances in production. In tests
    marked `unpaced_chats` the per-chat limit is lifted (support.unpace_chats)."""
    started: list[BotHarness] = []
    unpaced = request.node.get_closest_marker("unpaced_chats") is not None

    async def start(**overrides: object) -> BotHarness:
        overrides.setdefault("broadcast_progress_seconds", 0.3)
        # whether a broadcast may go must not depend on when the tests run: quiet hours only
        # where a test asks for them (with a clock of its own)
        overrides.setdefault("quiet_hours", "off")
        clock = overrides.pop("clock", None)  # a test's own clock (quiet hours)
        bot = BotHarness(emulator, make_settings(database_url, emulator.base_url, **overrides),
                         clock=clock)  # type: ignore[arg-type]
        started.append(await bot.start())
        if unpaced:
            unpace_chats(bot)
        return bot

    yield start
    for bot in reversed(started):
        await bot.stop()


@pytest.fixture
async def harness(make_harness) -> BotHarness:  # type: ignore[no-untyped-def]
    """The bot in webhook mode against the emulator, on a fresh database."""
    return await make_harness()


@pytest.fixture
async def running(emulator: Emulator) -> AsyncIterator[list[BotProcess]]:
    """Bot processes a test starts; whatever is still running at the end is killed."""
    processes: list[BotProcess] = []
    yield processes
    for process in processes:
        if process.proc is not None and process.proc.returncode is None:
            process.proc.kill()
            await process.proc.wait()
