"""Wiring: Bot, Dispatcher, routers, middlewares and the aiohttp app with its lifecycle."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.webhook.aiohttp_server import setup_application
from aiohttp import web
from pydantic import SecretStr

from bot.commands import set_commands
from bot.loop import run_main
from bot.config import ConfigError, Settings
from bot.db import preferences, secrets
from bot.db.clicks import ClickLog
from bot.db.fsm import PostgresStorage
from bot.db.lifecycle import open_database
from bot.handlers import create_routers
from bot.i18n import AdminI18nMiddleware, AdminLocaleRecorder, i18n
from bot.metrics import Metrics
from bot.middlewares.answers import BestEffortAnswerMiddleware
from bot.middlewares.input import StorableTextMiddleware
from bot.middlewares.limits import LimiterMiddleware
from bot.middlewares.logging import HandlerNameMiddleware, UpdateLogMiddleware
from bot.middlewares.priority import PriorityMiddleware, StrangerGate
from bot.middlewares.team import TeamMiddleware
from bot.scheduler import Scheduler, create_scheduler
from bot.services.broadcasts import BroadcastService
from bot.services.series import SeriesService
from bot.services.delivery.engine import Clock, DeliveryEngine, EngineConfig, utc_now
from bot.services.limits import Budgets
from bot.services.team import Team
from bot.services.links import LinkSigner
from bot.session import BotSession
from bot.views import edit_sent
from bot.views.broadcast import progress_view, recall_report
from bot.web import (
    CLICKS_KEY, ENGINE_KEY, LINKS_KEY, MODE_KEY, POOL_KEY, UNSUBSCRIBE_KEY, WebhookHandler,
    follow_link, healthz, undo_unsubscribe, unsubscribe,
)

log = logging.getLogger(__name__)

SETTINGS_KEY = web.AppKey("settings", Settings)
BOT_KEY = web.AppKey("bot", Bot)
DISPATCHER_KEY = web.AppKey("dispatcher", Dispatcher)
WEBHOOK_KEY = web.AppKey("webhook_handler", WebhookHandler)
POLLING_KEY = web.AppKey("polling_task", asyncio.Task)
SCHEDULER_KEY = web.AppKey("scheduler", Scheduler)
METRICS_KEY = web.AppKey("metrics", Metrics)
BUDGETS_KEY = web.AppKey("budgets", Budgets)
CLOCK_KEY: web.AppKey[Clock] = web.AppKey("clock")

def create_bot(token: SecretStr, settings: Settings, budgets: Budgets | None = None) -> Bot:
    """A Bot talking to TELEGRAM_API_URL, HTML by default, every request of it through its
    token's budget (one budget per token, whichever Bot object uses it)."""
    # a connection for every request the engine keeps in flight, and some for the screens:
    # a request waiting for a connection would reach Telegram bunched with later ones
    session = BotSession(api=TelegramAPIServer.from_base(settings.telegram_api_url),
                         limit=settings.broadcast_in_flight + 50)
    budget = (budgets or Budgets()).for_token(token.get_secret_value())
    session.middleware(LimiterMiddleware(budget))
    return Bot(
        token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


def create_dispatcher(settings: Settings) -> Dispatcher:
    """FSM state (drafts, questions asked) in Redis with REDIS_URL, else in PostgreSQL: either
    way every instance behind the webhook sees the same state."""
    storage: BaseStorage = PostgresStorage()
    if settings.redis_url is not None:
        storage = RedisStorage.from_url(settings.redis_url.get_secret_value())
    dp = Dispatcher(storage=storage)
    dp["settings"] = settings
    team = dp["team"] = Team(frozenset(settings.admin_ids), settings.approval_min_audience)
    dp.update.outer_middleware(UpdateLogMiddleware())
    dp.update.outer_middleware(TeamMiddleware(team))  # who the sender is on the team
    dp.update.outer_middleware(PriorityMiddleware(team))  # the team's answers first
    dp.message.middleware(StrangerGate(team))  # strangers get few answers
    AdminI18nMiddleware().setup(dp)  # every event in the sender's language
    AdminLocaleRecorder(preferences.remember_admin).setup(dp)  # and an admin's kept for later
    dp.message.outer_middleware(StorableTextMiddleware())  # after i18n: refusals translated
    for observer in (dp.message, dp.callback_query, dp.my_chat_member):
        observer.middleware(HandlerNameMiddleware())
    dp.include_routers(*create_routers(one_bot=settings.broadcast_token == settings.bot_token))
    return dp


async def _on_startup(bot: Bot, dispatcher: Dispatcher, settings: Settings) -> None:
    """Check the token, register admin commands, and point Telegram at us (or not)."""
    try:
        me = await bot.get_me()
    except TelegramUnauthorizedError:
        raise ConfigError("BOT_TOKEN was refused by Telegram (Unauthorized): check the token") from None
    except TelegramNetworkError as exc:
        raise ConfigError(
            f"Telegram is unreachable at TELEGRAM_API_URL={settings.telegram_api_url}: {exc.message}"
        ) from None
    await _set_team_commands(bot, dispatcher["team"])
    if settings.webhook_url:
        await bot.set_webhook(
            settings.webhook_url,
            secret_token=settings.webhook_secret.get_secret_value(),
            allowed_updates=dispatcher.resolve_used_update_types(),
        )
        log.info("webhook set", extra={"bot": f"@{me.username}", "url": settings.webhook_url})
    else:
        await bot.delete_webhook()
        log.info("long polling", extra={"bot": f"@{me.username}"})


async def _set_team_commands(bot: Bot, team: Team) -> None:
    """The command menu is shown to the team only, each member their role's; the routers'
    gates, not the menu, guard access."""
    await bot.delete_my_commands()
    for user_id, role in (await team.everyone()).items():
        await set_commands(bot, user_id, role)


def create_app(settings: Settings, clock: Clock = utc_now) -> web.Application:
    """The aiohttp app: /healthz, the webhook (or long polling), database and bot lifecycle.
    `clock`: what time it is for quiet hours (tests give one they move)."""
    if settings.bot_token is None:
        raise ConfigError("BOT_TOKEN is not set")
    i18n.load()  # the catalogs, compiled once here rather than by the first update
    metrics = Metrics()
    budgets = Budgets(metrics, paid_rate=settings.broadcast_paid_rate)
    bot = create_bot(settings.bot_token, settings, budgets)
    bot.session.middleware(BestEffortAnswerMiddleware())  # a refused answer stops no screen
    dp = create_dispatcher(settings)
    app = web.Application()
    app[SETTINGS_KEY], app[BOT_KEY], app[DISPATCHER_KEY] = settings, bot, dp
    app[METRICS_KEY], app[BUDGETS_KEY], app[CLOCK_KEY] = metrics, budgets, clock
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", app[METRICS_KEY].handler)
    app.router.add_get("/r/{token}", follow_link)
    app.router.add_get("/u/{token}", unsubscribe)
    app.router.add_get("/u/{token}/undo", undo_unsubscribe)
    # cleanup contexts also run when start-up fails half-way (plain on_cleanup does not);
    # they end in reverse order: the engine stops before the pool closes
    app.cleanup_ctx.append(_bot_session)
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_delivery)
    if settings.webhook_url:
        app[MODE_KEY] = "webhook"
        handler = WebhookHandler(dispatcher=dp, bot=bot,
                                 secret_token=settings.webhook_secret.get_secret_value())
        handler.register(app, path=settings.webhook_path)
        app[WEBHOOK_KEY] = handler
        dp.startup.register(_on_startup)
        setup_application(app, dp, bot=bot)
    else:
        app[MODE_KEY] = "polling"
        app.on_startup.append(_start_polling)
        app.on_shutdown.append(_stop_polling)
    app.on_startup.append(_start_delivery)  # last: after the token check and setWebhook
    return app


async def _database(app: web.Application) -> AsyncIterator[None]:
    async with open_database(app[SETTINGS_KEY]) as pool:
        app[POOL_KEY] = pool
        app[DISPATCHER_KEY]["pool"] = pool
        app[DISPATCHER_KEY]["team"].pool = pool
        storage = app[DISPATCHER_KEY].fsm.storage
        if isinstance(storage, PostgresStorage):
            storage.pool = pool
        try:
            yield
        finally:
            await storage.close()


async def _delivery(app: web.Application) -> AsyncIterator[None]:
    """The delivery engine, sending through the broadcast bot (the admin bot if the same)."""
    settings, admin_bot, dp = app[SETTINGS_KEY], app[BOT_KEY], app[DISPATCHER_KEY]
    token = settings.broadcast_token
    assert token is not None
    # a Bot of its own even with one token (its own HTTP session), on the same budget
    broadcast_bot = create_bot(token, settings, app[BUDGETS_KEY])
    config = EngineConfig(rate=settings.broadcast_rate, paid_rate=settings.broadcast_paid_rate,
                          in_flight=settings.broadcast_in_flight,
                          progress_every=settings.broadcast_progress_seconds,
                          quiet_hours=settings.quiet_hours, timezone=settings.timezone,
                          safeguards=settings.safeguards)
    engine = DeliveryEngine(app[POOL_KEY], broadcast_bot, admin_bot, config, app[METRICS_KEY],
                            app[BUDGETS_KEY].for_token(token.get_secret_value()),
                            render_progress=progress_view, render_recall_report=recall_report,
                            render_edit=(edit_sent.progress, edit_sent.report),
                            clock=app[CLOCK_KEY])
    app[ENGINE_KEY] = engine
    dp["engine"] = engine
    engine.links = LinkSigner(await secrets.key(app[POOL_KEY], "links"))
    app[LINKS_KEY] = engine.links
    app[CLICKS_KEY] = ClickLog(app[POOL_KEY])
    engine.unsubscribe_links = LinkSigner(await secrets.key(app[POOL_KEY], "unsubscribe"))
    engine.unsubscribe_base = settings.links_base
    app[UNSUBSCRIBE_KEY] = engine.unsubscribe_links
    service = dp["broadcasts"] = BroadcastService(app[POOL_KEY], engine,
                                                  settings.unreachable_expiry_days,
                                                  settings.links_base, settings.frequency_cap,
                                                  settings.quiet_hours, settings.tz,
                                                  settings.safeguards)
    series = dp["series"] = SeriesService(service, settings.tz)
    app[SCHEDULER_KEY] = create_scheduler(service, admin_bot, settings, series)
    try:
        yield  # both start in _start_delivery, once the bot itself has started
    finally:
        await app[SCHEDULER_KEY].stop()
        await engine.stop()
        await broadcast_bot.session.close()


async def _start_delivery(app: web.Application) -> None:
    app[ENGINE_KEY].start()
    app[SCHEDULER_KEY].start()


async def _start_polling(app: web.Application) -> None:
    dp, bot = app[DISPATCHER_KEY], app[BOT_KEY]
    # start_polling runs the dispatcher's startup hooks itself; check the token first so a
    # bad one stops the process instead of a background task
    await _on_startup(bot, dp, app[SETTINGS_KEY])
    app[POLLING_KEY] = asyncio.create_task(dp.start_polling(
        bot, handle_signals=False, close_bot_session=False,
        allowed_updates=dp.resolve_used_update_types(),
    ))


async def _stop_polling(app: web.Application) -> None:
    task = app.get(POLLING_KEY)
    if task is not None and not task.done():
        await app[DISPATCHER_KEY].stop_polling()
        await asyncio.wait({task}, timeout=10)


async def _bot_session(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[BOT_KEY].session.close()


async def serve(settings: Settings) -> None:
    """Serve until SIGTERM/SIGINT: stop taking updates, finish those in flight, close the pool.

    Unlike web.run_app, this also cleans up (pool, embedded server, HTTP session) when
    start-up fails half-way."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    runner = web.AppRunner(create_app(settings), access_log=None, shutdown_timeout=15)
    try:
        await runner.setup()
        await web.TCPSite(runner, settings.web_host, settings.web_port).start()
        log.info("serving", extra={"host": settings.web_host, "port": settings.web_port})
        await stop.wait()
        log.info("stopping")
    finally:
        await runner.cleanup()


def run(settings: Settings) -> None:
    settings.require_for_run()
    run_main(serve(settings))
