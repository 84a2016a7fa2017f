"""HTTP side: the webhook endpoint (secret checked, malformed updates refused) and /healthz."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import asyncpg
from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from pydantic import ValidationError

from bot.db import health, unsubscribes
from bot.db.clicks import ClickLog
from bot.i18n import use_locale
from bot.services.delivery.engine import DeliveryEngine
from bot.services.links import UNSUBSCRIBE_PREVIEW, LinkSigner
from bot.views import unsubscribe as unsubscribe_views

log = logging.getLogger(__name__)

POOL_KEY = web.AppKey("pool", asyncpg.Pool)
ENGINE_KEY = web.AppKey("delivery_engine", DeliveryEngine)
MODE_KEY = web.AppKey("mode", str)
LINKS_KEY = web.AppKey("links", LinkSigner)
CLICKS_KEY = web.AppKey("clicks", ClickLog)
UNSUBSCRIBE_KEY = web.AppKey("unsubscribe_links", LinkSigner)



class WebhookHandler(SimpleRequestHandler):
    """aiogram's handler, answering 200 at once and handling the update in the background;
    an update that is not valid JSON or not an Update is refused with 400 before that.
    Keeps track of updates in flight so shutdown (and tests) can wait for them.

    `handle` (the route aiogram's `register` adds) is overridden rather than the private
    `_handle_request_background`: it checks the secret with aiogram's own `verify_secret`,
    then reads the update itself, which aiogram's background mode cannot refuse."""

    def __init__(self, dispatcher: Dispatcher, bot: Bot, secret_token: str) -> None:
        super().__init__(dispatcher=dispatcher, bot=bot, secret_token=secret_token)
        self._in_flight: set[asyncio.Task[None]] = set()

    async def handle(self, request: web.Request) -> web.Response:
        bot = await self.resolve_bot(request)
        if not self.verify_secret(request.headers.get("X-Telegram-Bot-Api-Secret-Token", ""), bot):
            return web.Response(body="Unauthorized", status=401)
        try:
            payload = await request.json(loads=bot.session.json_loads)
            update = Update.model_validate(payload, context={"bot": bot})
        except (ValueError, ValidationError, TypeError, RecursionError) as exc:
            # RecursionError: JSON nested deeper than the parser or the model can follow
            log.warning("malformed update refused: %s", type(exc).__name__)
            return web.json_response({"ok": False, "description": "malformed update"}, status=400)
        task = asyncio.create_task(self._feed(bot, update))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        return web.json_response({})

    __call__ = handle

    async def _feed(self, bot: Bot, update: Update) -> None:
        result = await self.dispatcher.feed_update(bot, update, **self.data)
        if isinstance(result, TelegramMethod):
            await self.dispatcher.silent_call_request(bot=bot, result=result)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait until every update taken so far has been handled (or the timeout passes)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self._in_flight:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                log.warning("%d updates still in flight", len(self._in_flight))
                return
            await asyncio.wait(set(self._in_flight), timeout=left)

    async def close(self) -> None:
        # the bot's HTTP session is closed by the app's cleanup, after the delivery engine
        await self.drain()


async def healthz(request: web.Request) -> web.Response:
    pool = request.app.get(POOL_KEY)
    body: dict[str, Any] = {"status": "ok", "mode": request.app.get(MODE_KEY, "unknown")}
    try:
        if pool is None:
            raise RuntimeError("no pool")
        await asyncio.wait_for(health.ping(pool), timeout=2)
        body["database"] = "ok"
        engine = request.app.get(ENGINE_KEY)
        if engine is not None:  # one instance delivers broadcasts, the others stand by
            body["delivery"] = "leader" if engine.is_leader else "standby"
    except (OSError, asyncpg.PostgresError, asyncio.TimeoutError, RuntimeError,
            asyncpg.InterfaceError) as exc:
        body.update(status="degraded", database="unavailable", error=type(exc).__name__)
        return web.json_response(body, status=503)
    return web.json_response(body)


async def follow_link(request: web.Request) -> web.Response:
    """A tracked link button: count the click, then send the reader where the button leads.
    A token the bot did not sign costs no database work; any miss is a small 404 page."""
    signer = request.app.get(LINKS_KEY)
    found = signer.read(request.match_info["token"]) if signer is not None else None
    url = None
    if found is not None:
        try:
            url = await request.app[CLICKS_KEY].follow(*found)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            log.warning("link click not recorded", exc_info=True)
    if url is None:
        return web.Response(status=404, content_type="text/html",
                            text=unsubscribe_views.not_found())
    raise web.HTTPFound(url)


async def unsubscribe(request: web.Request) -> web.Response:
    """A broadcast's unsubscribe button: the recipient is skipped by every broadcast from now
    on; the page says so in their language, with a one-tap undo."""
    return await _unsubscribe_page(request, undo=False)


async def undo_unsubscribe(request: web.Request) -> web.Response:
    return await _unsubscribe_page(request, undo=True)


async def _unsubscribe_page(request: web.Request, undo: bool) -> web.Response:
    token = request.match_info["token"]
    if token == UNSUBSCRIBE_PREVIEW:  # the button on the preview and the test: change nothing
        with use_locale("ru"):
            return web.Response(content_type="text/html",
                                text=unsubscribe_views.page(True, None))
    signer = request.app.get(UNSUBSCRIBE_KEY)
    found = signer.read(token) if signer is not None else None
    pool = request.app[POOL_KEY]
    done = None
    if found is not None:
        try:
            done = await (unsubscribes.undo_by_recipient if undo
                          else unsubscribes.unsubscribe)(pool, found[0])
            if done is not None:  # Russian, unless the platform saw their Telegram in English
                language = await unsubscribes.language(pool, done.user_id) or ""
                locale = "en" if language.lower().startswith("en") else "ru"
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            log.warning("unsubscribe not recorded", exc_info=True)
            return web.Response(status=503, content_type="text/html",
                                text=unsubscribe_views.not_found())
    if done is None:
        with use_locale("ru"):
            return web.Response(status=404, content_type="text/html",
                                text=unsubscribe_views.not_found())
    log.info("unsubscribe link", extra={"user_id": done.user_id, "undo": undo,
                                        "changed": done.changed})
    other_way = f"/u/{token}" if undo else f"/u/{token}/undo"
    with use_locale(locale):
        return web.Response(content_type="text/html",
                            text=unsubscribe_views.page(not undo, other_way))
