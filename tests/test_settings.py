"""Settings: the contract's names, one clear line per bad variable, secrets kept secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings, mask_dsn
from bot.sandbox.harness import ADMIN_TOKEN

TOKEN = ADMIN_TOKEN


def test_defaults_follow_the_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(_env_file=None)
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.webhook_path == "/telegram/webhook"
    assert (settings.web_host, settings.web_port) == ("0.0.0.0", 8080)
    assert settings.timezone == "Europe/Moscow"
    assert settings.webhook_url is None  # long polling
    assert len(settings.webhook_secret.get_secret_value()) >= 32  # generated


def test_environment_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"BOT_TOKEN={TOKEN}\nADMIN_IDS=1, 2 ,3\nTIMEZONE=Asia/Almaty\n")
    monkeypatch.setenv("WEBHOOK_BASE_URL", "https://bot.example.org/")
    settings = load_settings()
    assert settings.bot_token.get_secret_value() == TOKEN
    assert settings.admin_ids == (1, 2, 3)
    assert settings.timezone == "Asia/Almaty"
    assert settings.webhook_url == "https://bot.example.org/telegram/webhook"
    assert settings.broadcast_token.get_secret_value() == TOKEN  # one bot for both


@pytest.mark.parametrize("name, value, expected", [
    ("ADMIN_IDS", "12, abc", "ADMIN_IDS: must be comma-separated numeric Telegram user ids"),
    ("BOT_TOKEN", "not-a-token", "BOT_TOKEN: does not look like a bot token"),
    ("WEB_PORT", "99999", "WEB_PORT: Input should be less than or equal to 65535"),
    ("TIMEZONE", "Mars/Olympus", "TIMEZONE: unknown time zone"),
    ("DATABASE_URL", "mysql://x", "DATABASE_URL: must start with postgresql://"),
    ("WEBHOOK_SECRET", "has spaces!", "WEBHOOK_SECRET: 1-256 characters"),
    ("WEBHOOK_BASE_URL", "bot.example.org", "WEBHOOK_BASE_URL: must be an http(s):// URL"),
    ("FREQUENCY_CAP", "2 per day", "FREQUENCY_CAP: expected broadcasts per hours like 2/24h"),
    ("FREQUENCY_CAP", "0/24h", "FREQUENCY_CAP: expected at least 1 broadcast"),
    ("QUIET_HOURS", "22-9", "QUIET_HOURS: expected a span of local time like 22:00-09:00"),
    ("QUIET_HOURS", "25:00-09:00", "QUIET_HOURS: hours are 0-23"),
    ("QUIET_HOURS", "09:00-09:00", "QUIET_HOURS: start and end must differ"),
])
def test_invalid_setting_is_one_line_naming_the_variable(
        monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as error:
        load_settings(_env_file=None)
    message = str(error.value)
    assert message.startswith(expected)
    assert "\n" not in message
    if name == "BOT_TOKEN":
        assert value not in message


def test_run_needs_a_token_and_admins() -> None:
    with pytest.raises(ConfigError, match="^BOT_TOKEN is not set"):
        Settings(_env_file=None).require_for_run()
    with pytest.raises(ConfigError, match="^ADMIN_IDS is not set"):
        Settings(_env_file=None, bot_token=TOKEN).require_for_run()
    Settings(_env_file=None, bot_token=TOKEN, admin_ids="5").require_for_run()


def test_secrets_never_show_in_repr_and_are_listed_for_scrubbing() -> None:
    settings = Settings(_env_file=None, bot_token=TOKEN, webhook_secret="s3cr3t-value",
                        database_url="postgresql://bot:pa55word@db/platform")
    shown = repr(settings) + str(settings.model_dump())
    for secret in (TOKEN, "s3cr3t-value", "pa55word"):
        assert secret not in shown
        assert secret in settings.secrets()
    assert mask_dsn("postgresql://bot:pa55word@db/platform") == "postgresql://bot:***@db/platform"


def test_the_sandbox_keeps_its_demo_data_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.sandbox.run import ADMIN_ID, SANDBOX_PG_DIR, sandbox_settings
    settings = sandbox_settings(load_settings(_env_file=None))
    assert settings.embedded_pg_dir == SANDBOX_PG_DIR != load_settings(_env_file=None).embedded_pg_dir
    assert settings.admin_ids == (ADMIN_ID,) and settings.bot_token is not None
    monkeypatch.setenv("EMBEDDED_PG_DIR", "/srv/pg")
    monkeypatch.setenv("ADMIN_IDS", "42")
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot:secret@db.example/platform")
    chosen = sandbox_settings(load_settings(_env_file=None))
    assert (chosen.embedded_pg_dir, chosen.admin_ids) == (Path("/srv/pg"), (42,))
    assert chosen.database_url is None  # never the platform's real database


def test_safe_sending_settings_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime, time

    from bot.config import FrequencyCap, QuietHours
    defaults = load_settings(_env_file=None)
    assert defaults.frequency_cap == FrequencyCap(2, 24)
    assert defaults.quiet_hours == QuietHours(time(22), time(9))
    monkeypatch.setenv("FREQUENCY_CAP", "3/2d")
    monkeypatch.setenv("QUIET_HOURS", "off")
    settings = load_settings(_env_file=None)
    assert settings.frequency_cap == FrequencyCap(3, 48) and settings.quiet_hours is None
    monkeypatch.setenv("FREQUENCY_CAP", "0")
    assert load_settings(_env_file=None).frequency_cap is None
    quiet, tz = defaults.quiet_hours, defaults.tz
    assert quiet is not None
    # 22:00-09:00 in Moscow (UTC+3): 18:59 UTC is outside, 19:00 UTC inside until 06:00 UTC
    assert quiet.end_after(datetime(2025, 3, 1, 18, 59, tzinfo=UTC), tz) is None
    assert quiet.end_after(datetime(2025, 3, 1, 19, 0, tzinfo=UTC), tz) == \
        datetime(2025, 3, 2, 6, 0, tzinfo=UTC)
    assert quiet.end_after(datetime(2025, 3, 2, 5, 59, tzinfo=UTC), tz) == \
        datetime(2025, 3, 2, 6, 0, tzinfo=UTC)
    assert quiet.end_after(datetime(2025, 3, 2, 6, 0, tzinfo=UTC), tz) is None
    assert quiet.start_after(datetime(2025, 3, 2, 6, 0, tzinfo=UTC), tz) == \
        datetime(2025, 3, 2, 19, 0, tzinfo=UTC)
