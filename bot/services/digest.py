"""The daily digest: yesterday's overview and the growth chart, at each admin's chosen time."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import asyncpg
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BufferedInputFile

from bot.config import Settings
from bot.db import preferences, stats
from bot.db.stats import Window
from bot.i18n import _, use_locale
from bot.services import charts
from bot.views import stats as views

log = logging.getLogger(__name__)


async def send_due_digests(pool: asyncpg.Pool, bot: Bot, settings: Settings,
                           now: datetime | None = None) -> list[int]:
    """Send the digests whose time has come; returns the admins who got one."""
    now = now or datetime.now(UTC)
    local = now.astimezone(settings.tz)
    due = await preferences.claim_due_digests(pool, local.date(), local.time())
    sent = []
    for admin_id in due:
        if admin_id not in settings.admin_ids:
            continue  # no longer an admin: no data
        try:
            with use_locale(await preferences.locale(pool, admin_id)):
                await _send(pool, bot, settings, admin_id, now)
            sent.append(admin_id)
        except TelegramAPIError as exc:
            log.warning("digest not sent: %s", exc.message, extra={"admin_id": admin_id})
    return sent


async def _send(pool: asyncpg.Pool, bot: Bot, settings: Settings, admin_id: int,
                now: datetime) -> None:
    today = now.astimezone(settings.tz).date()
    tz = settings.timezone
    yesterday = Window(today - timedelta(days=1), today, tz)
    before = Window(today - timedelta(days=2), today - timedelta(days=1), tz)
    text = views.overview(await stats.overview(pool, yesterday, before), _("вчера"), yesterday,
                          await stats.stream_members(pool),
                          settings.stats_feed_silence_hours, settings.tz, now)
    await bot.send_message(admin_id, _("🗞 <b>Дайджест</b>") + f"\n\n{text}")
    month = Window(today - timedelta(days=30), today, tz)
    rows = await stats.growth(pool, month)
    png = await charts.render(charts.growth_png, [r[0] for r in rows], [r[1] for r in rows],
                              [r[2] for r in rows])
    await bot.send_photo(admin_id, BufferedInputFile(png, "growth.png"),
                         caption=_("Рост аудитории за 30 дней"))
