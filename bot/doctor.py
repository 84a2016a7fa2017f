"""`python -m bot doctor`: settings, database, migrations, platform tables and Telegram,
each on one line that says ok or what to fix. Read-only."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import asyncpg
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramUnauthorizedError
from aiogram.types import WebhookInfo
from pydantic import SecretStr

from bot.config import ConfigError, Settings, mask_dsn
from bot.db import health
from bot.db.lifecycle import open_database
from bot.db.migrate import migration_status


@dataclass
class Check:
    ok: bool
    label: str
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FIX '} {self.label}: {self.detail}"


def settings_checks(settings: Settings) -> list[Check]:
    def secret(value: SecretStr | None) -> str:
        return "set (hidden)" if value is not None else "not set"

    dsn = settings.database_url
    return [
        Check(settings.bot_token is not None, "BOT_TOKEN", secret(settings.bot_token)
              if settings.bot_token else "not set: get one from @BotFather"),
        Check(True, "BROADCAST_BOT_TOKEN", secret(settings.broadcast_bot_token)
              if settings.broadcast_bot_token else "not set: broadcasts use BOT_TOKEN"),
        Check(bool(settings.admin_ids), "ADMIN_IDS", ", ".join(map(str, settings.admin_ids))
              or "not set: list the admins' Telegram user ids"),
        Check(True, "DATABASE_URL", mask_dsn(dsn.get_secret_value()) if dsn
              else f"not set: embedded PostgreSQL in {settings.embedded_pg_dir}"),
        Check(True, "TELEGRAM_API_URL", settings.telegram_api_url),
        Check(True, "WEBHOOK", settings.webhook_url or "not set: long polling"),
        Check(True, "WEBHOOK_SECRET", "set (hidden)"),
        Check(True, "TIMEZONE", settings.timezone),
    ]


async def database_checks(settings: Settings) -> list[Check]:
    checks = []
    try:
        async with open_database(settings, migrate=False, max_size=2) as pool:
            checks.append(Check(True, "database", f"PostgreSQL {await health.server_version(pool)}"))
            async with pool.acquire() as conn:
                status = await migration_status(conn)
            pending = ", ".join(f"{m.version:04d}_{m.name}" for m in status.pending)
            checks.append(Check(not status.pending, "migrations",
                                f"{len(status.applied)} applied" + (
                                    f"; pending {pending}: run `python -m bot migrate`"
                                    if pending else ", none pending")))
            if status.changed:
                checks.append(Check(False, "migrations", "files changed after being applied: "
                                    + ", ".join(f"{v:04d}" for v in status.changed)))
            granted = await health.privileges(pool)
            checks.append(privileges_check(granted, bool(status.pending)))
            tables = await health.platform_tables(pool)
            for table in tables:
                checks.append(_table_check(table, granted.role))
            if all(table.readable for table in tables):
                checks.append(reach_check(settings, await health.broadcast_reach(pool)))
            else:
                checks.append(Check(False, "broadcast reach", "not checked: the role may not "
                                    "read the platform's tables (see privileges)"))
    except ConfigError as exc:
        checks.append(Check(False, "database", str(exc)))
    except asyncpg.PostgresError as exc:  # a table of an unexpected shape, a missing right
        checks.append(Check(False, "database", f"{type(exc).__name__}: {exc}"))
    return checks


def _table_check(table: health.TableInfo, role: str) -> Check:
    label = f"table {table.name}"
    if not table.exists:
        return Check(False, label, "missing: run `python -m bot migrate`")
    if not table.readable:
        return Check(False, label, f"role {role} may not read it: see privileges")
    return Check(True, label, f"{table.rows:,} rows")


def _ident(name: str) -> str:
    """A quoted SQL identifier, as quote_ident would write it always quoted."""
    return '"' + name.replace('"', '""') + '"'


def privileges_sql(granted: health.Privileges) -> list[str]:
    """The statements the database's owner (or a superuser) must run so that the bot's role
    may apply every migration; empty when it already may."""
    role = _ident(granted.role)
    sql: list[str] = []
    if not granted.can_create:
        sql.append(f"GRANT CREATE ON DATABASE {_ident(granted.database)} TO {role};")
    if not granted.can_create_in_schema:
        sql.append(f"GRANT USAGE, CREATE ON SCHEMA {_ident(granted.schema)} TO {role};")
    if not granted.has_trgm and sql:  # without both rights the role can't create it itself
        sql.append("CREATE EXTENSION IF NOT EXISTS pg_trgm;")
    # ALTER TABLE needs the table's owner. Membership in the owning role keeps the course bot
    # the owner of its tables (handing them over would take its rights away), except when that
    # owner is a superuser: membership would then give the bot every object it owns
    for owner in sorted({owner for _table, owner, superuser in granted.foreign if not superuser}):
        sql.append(f"GRANT {_ident(owner)} TO {role};")
    sql += [f"ALTER TABLE {_ident(table)} OWNER TO {role};"
            for table, _owner, superuser in granted.foreign if superuser]
    return sql


def privileges_check(granted: health.Privileges, pending: bool) -> Check:
    """Migrations create tables and pg_trgm and add columns and indexes to the platform's
    tables: say what the role lacks, with the SQL the database's owner (or a superuser) must
    run."""
    sql = privileges_sql(granted)
    if not sql:
        return Check(True, "privileges", f"role {granted.role} may create tables, pg_trgm "
                     "and add columns to the platform's tables")
    detail = (f"role {granted.role} lacks what migrations need; as the database's owner or a "
              f"superuser run: {' '.join(sql)}")
    if not pending:  # everything is applied: only a future migration would need them
        return Check(True, "privileges", detail + " (before the next migration)")
    return Check(False, "privileges", detail)


def reach_check(settings: Settings, reach: health.Reach) -> Check:
    """A broadcast bot that nobody started reaches nobody: say which token to set. Before the
    first broadcast the only sign is an unset BROADCAST_BOT_TOKEN: broadcasts would then go
    out through the admin bot, a new bot no student has started."""
    if not reach.users:
        return Check(True, "broadcast reach", "the platform has no users yet")
    head = f"the broadcast bot has reached {reach.reached:,} of {reach.users:,} users"
    set_token = "set BROADCAST_BOT_TOKEN to the platform's bot, the one students started"
    if reach.tried:
        recent = f"{reach.delivered:,} of {reach.tried:,} recipients in 30 days"
        if reach.delivered == 0 and reach.not_started * 2 >= reach.tried:
            hint = (set_token if settings.broadcast_bot_token is None else
                    "is BROADCAST_BOT_TOKEN the platform's bot, the one students started?")
            return Check(False, "broadcast reach", f"{head} ({recent}, {reach.not_started:,} "
                         f"never started it); {hint}")
        return Check(True, "broadcast reach", f"{head}; {recent}")
    if settings.broadcast_bot_token is None and not reach.reached:
        return Check(False, "broadcast reach", f"{head}; BROADCAST_BOT_TOKEN is not set, so "
                     f"broadcasts go out through the admin bot: {set_token} (the same as "
                     "BOT_TOKEN if the admin bot is that bot)")
    return Check(True, "broadcast reach", f"{head}; no broadcast in the last 30 days")


async def telegram_checks(settings: Settings) -> list[Check]:
    from bot.app import create_bot

    checks = []
    tokens = [("admin bot", settings.bot_token)]
    if settings.broadcast_bot_token:
        tokens.append(("broadcast bot", settings.broadcast_bot_token))
    for label, token in tokens:
        if token is None:
            checks.append(Check(False, label, "no token, Telegram not checked"))
            continue
        bot = create_bot(token, settings)
        try:
            me = await bot.get_me()
            checks.append(Check(True, label, f"@{me.username} (id {me.id})"))
            if label == "admin bot":
                checks.append(_webhook_check(settings, await bot.get_webhook_info()))
        except TelegramUnauthorizedError:
            checks.append(Check(False, label, "token refused (Unauthorized): check the token"))
        except TelegramNetworkError as exc:
            checks.append(Check(False, label, f"unreachable at {settings.telegram_api_url}: "
                                f"{exc.message}"))
        except TelegramAPIError as exc:
            checks.append(Check(False, label, exc.message))
        finally:
            await bot.session.close()
    return checks


def _webhook_check(settings: Settings, info: WebhookInfo) -> Check:
    expected = settings.webhook_url
    detail = f"url {info.url or '(none)'}, {info.pending_update_count} pending updates"
    if info.last_error_message:
        detail += f", last error: {info.last_error_message}"
    if expected and info.url != expected:
        return Check(False, "webhook", f"{detail}; expected {expected}: start the bot to set it")
    if not expected and info.url:
        return Check(False, "webhook", f"{detail}; set while WEBHOOK_BASE_URL is unset: "
                     "`python -m bot run` removes it for polling")
    return Check(not info.last_error_message, "webhook", detail)


async def run_doctor(settings: Settings) -> int:
    """Print every check; exit status 1 if anything needs fixing."""
    checks = settings_checks(settings)
    for check in checks:
        print(check.line())
    db, tg = await asyncio.gather(database_checks(settings), telegram_checks(settings))
    for check in db + tg:
        print(check.line())
    return 0 if all(c.ok for c in checks + db + tg) else 1
