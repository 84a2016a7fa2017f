"""A Telegram Bot API emulator over HTTP: several bots, Telegram's limits, fault injection,
and users who write, send files and press buttons, delivered to a webhook or getUpdates."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, web

from bot.sandbox import bot_methods, methods
from bot.sandbox.chats import ChatActions
from bot.sandbox.state import ApiError, EmuBot, EmuUser, StoredFile, StoredMessage

log = logging.getLogger(__name__)

# fields the Bot API takes as JSON-serialised objects in form data
assert bot_methods  # imported for its @method registrations
_JSON_FIELDS = {"reply_markup", "entities", "caption_entities", "allowed_updates", "commands",
                "scope", "media", "link_preview_options", "reply_parameters", "menu_button"}


@dataclass
class CallRecord:
    at: float
    bot_id: int
    method: str
    params: dict[str, Any]
    ok: bool
    error_code: int | None = None
    description: str | None = None
    breach: bool = False


class Emulator(ChatActions):
    """Start with `await emulator.start()`; bots are added with `add_bot(token)`."""

    def __init__(self, *, record_params: bool = True) -> None:
        self.bots: dict[str, EmuBot] = {}
        self.users: dict[int, EmuUser] = {}
        self.calls: list[CallRecord] = []
        self.record_params = record_params
        self.clock_offset = 0.0  # seconds added to Telegram's clock (message dates)
        self.base_url = ""
        self._runner: web.AppRunner | None = None
        self._http: ClientSession | None = None
        self._listeners: list[asyncio.Queue[tuple[EmuBot, StoredMessage, str]]] = []

    # ---- set-up ---------------------------------------------------------------
    def add_bot(self, token: str, username: str | None = None, **options: Any) -> EmuBot:
        bot_id = int(token.split(":", 1)[0])
        bot = EmuBot(token=token, id=bot_id, username=username or f"bot{bot_id}",
                     first_name=(username or f"Bot {bot_id}"), **options)
        self.bots[token] = bot
        return bot

    def user(self, user_id: int, first_name: str | None = None, username: str | None = None,
             language_code: str | None = None) -> EmuUser:
        """The Telegram user with this id (created on first mention)."""
        user = self.users.get(user_id)
        if user is None:
            user = self.users[user_id] = EmuUser(user_id, first_name or f"User {user_id}", username)
        if first_name:
            user.first_name = first_name
        if username:
            user.username = username
        if language_code:
            user.language_code = language_code
        return user

    def bot(self, token: str) -> EmuBot:
        return self.bots[token]

    def now(self) -> int:
        return int(time.time() + self.clock_offset)

    def advance_clock(self, seconds: float) -> None:
        """Move Telegram's clock forward (for the 48-hour deletion window and the like)."""
        self.clock_offset += seconds

    async def start(self, host: str = "127.0.0.1", port: int = 0,
                    routes: list[web.AbstractRouteDef] | None = None,
                    app_keys: dict[web.AppKey[Any], Any] | None = None) -> str:
        """Listen; `routes` and `app_keys` add pages of the sandbox beside the API."""
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_get("/_emulator/stats", self._handle_stats)
        app.router.add_post("/_emulator/storm", self._handle_storm)
        app.add_routes(routes or [])
        for key, value in (app_keys or {}).items():
            app[key] = value
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False,
                                     shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_port = self._runner.addresses[0][1]  # the port the system chose for port=0
        self.base_url = f"http://{host}:{bound_port}"
        self._http = ClientSession(timeout=ClientTimeout(total=30))
        return self.base_url

    async def stop(self) -> None:
        for bot in self.bots.values():
            bot.updates_ready.set()  # release long polls
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ---- the API ----------------------------------------------------------------
    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        bot = self.bots.get(request.match_info["token"])
        name = request.match_info["method"]
        if bot is None:
            return web.json_response({"ok": False, "error_code": 401,
                                      "description": "Unauthorized"}, status=401)
        key = name.lower()
        handler = methods.METHODS.get(key)
        if handler is None:
            return web.json_response({"ok": False, "error_code": 404,
                                      "description": "Not Found"}, status=404)
        arrived = bot.limits.clock()  # what Telegram's flood limits count by
        params = await self._read_params(request, bot)
        params["_method"] = key
        params["_arrived"] = arrived
        faults = bot.faults
        if faults.latency:
            await asyncio.sleep(faults.latency)
        if faults.take_server_error(key):
            self._record(bot, name, params, ApiError(502, "Bad Gateway"))
            return web.json_response({"ok": False, "error_code": 502,
                                      "description": "Bad Gateway"}, status=502)
        dropped = faults.take_drop(key)
        if dropped and not faults.drop_after_processing:
            return self._drop(request)
        try:
            self._check_limits(bot, key, params)
            result = await handler(self, bot, params)
        except ApiError as error:
            self._record(bot, name, params, error)
            if dropped:
                return self._drop(request)
            response = web.json_response(error.payload(), status=error.code)
            if error.retry_after is not None:
                await response.prepare(request)
                await response.write_eof()
                bot.limits.response_delivered()
            return response
        self._record(bot, name, params, None)
        if dropped:
            return self._drop(request)
        return web.json_response({"ok": True, "result": result})

    def _check_limits(self, bot: EmuBot, key: str, params: dict[str, Any]) -> None:
        if key not in methods.SEND_METHODS and not (
                bot.limits.config.count_edits and key in methods.EDIT_METHODS):
            return
        try:
            chat_id = int(params.get("chat_id") or 0)
        except (TypeError, ValueError):
            return  # the method itself refuses it
        breaches_before = bot.limits.breaches
        # a request that left the client before the 429 reached it is not a breach
        bot.limits.grace = bot.faults.latency + 0.1
        storm, breach = bot.faults.storm(params.get("_arrived") or time.monotonic(), bot.limits.grace)
        bot.limits.breaches += breach
        if storm is not None:
            params["_breach"] = breach
            raise ApiError(429, f"Too Many Requests: retry after {storm}", storm)
        retry_after = bot.limits.check(chat_id, paid=methods.flag_param(params, "allow_paid_broadcast"),
                                       arrived=params.get("_arrived"))
        if retry_after is not None:
            params["_breach"] = bot.limits.breaches > breaches_before
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)

    @staticmethod
    def _drop(request: web.Request) -> web.StreamResponse:
        if request.transport is not None:
            request.transport.close()
        raise asyncio.CancelledError  # aiohttp ends the handler without writing an answer

    async def _read_params(self, request: web.Request, bot: EmuBot) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        content_type = request.content_type
        if content_type == "application/json":
            body = await request.json()
            params.update(body if isinstance(body, dict) else {})
            return params
        if content_type.startswith("multipart/") or content_type.endswith("urlencoded"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):  # an uploaded file
                    params[key] = StoredFile("", "", "document", value.file.read(),
                                             value.filename, value.content_type)
                else:
                    params[key] = value
        for key in _JSON_FIELDS & params.keys():
            if isinstance(params[key], str):
                try:
                    params[key] = json.loads(params[key])
                except ValueError:
                    pass
        for key, value in list(params.items()):
            if isinstance(value, StoredFile) and not value.file_id:
                params[key] = bot.new_file(key, value.content, value.file_name, value.mime_type)
        for key, value in list(params.items()):  # photo="attach://<part name>"
            if isinstance(value, str) and value.startswith("attach://"):
                params[key] = params.pop(value.removeprefix("attach://"), value)
        return params

    def _record(self, bot: EmuBot, name: str, params: dict[str, Any], error: ApiError | None) -> None:
        kept = {k: v for k, v in params.items() if not k.startswith("_")} if self.record_params else {}
        self.calls.append(CallRecord(time.monotonic(), bot.id, name, kept, error is None,
                                     error.code if error else None,
                                     error.description if error else None,
                                     bool(params.get("_breach"))))

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        bot = self.bots.get(request.match_info["token"])
        if bot is None:
            raise web.HTTPUnauthorized()
        path = request.match_info["path"]
        for file in bot.files.values():
            if file.path == path:
                return web.Response(body=file.content,
                                    content_type=file.mime_type or "application/octet-stream")
        raise web.HTTPNotFound()

    # ---- updates to the bot -------------------------------------------------------
    async def deliver(self, bot: EmuBot, update: dict[str, Any]) -> int | None:
        """Hand one update to the bot: POST to its webhook (returns the HTTP status, or
        None when the connection failed), or queue it for getUpdates (returns None)."""
        allowed = bot.webhook.allowed_updates
        kind = next(k for k in update if k != "update_id")
        if allowed and kind not in allowed:
            return None
        if not bot.webhook.url:
            bot.updates.append(update)
            bot.updates_ready.set()
            return None
        headers = {}
        if bot.webhook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = bot.webhook.secret_token
        return await self.post_webhook(bot, json.dumps(update).encode(), headers)

    async def post_webhook(self, bot: EmuBot, body: bytes, headers: dict[str, str]) -> int | None:
        """POST raw bytes to the bot's webhook (tests use it for forged or malformed updates)."""
        assert self._http is not None, "emulator is not started"
        try:
            async with self._http.post(bot.webhook.url, data=body, headers={
                    "Content-Type": "application/json", **headers}) as response:
                status = response.status
        except (ClientError, asyncio.TimeoutError) as exc:
            bot.webhook.last_error_date = self.now()
            bot.webhook.last_error_message = f"Connection failed: {type(exc).__name__}"
            return None
        if status >= 300:
            bot.webhook.last_error_date = self.now()
            bot.webhook.last_error_message = f"Wrong response from the webhook: {status}"
        return status

    def webhook_changed(self, bot: EmuBot) -> None:
        if bot.webhook.url:
            bot.webhook.last_error_date = bot.webhook.last_error_message = None

    # ---- watching chats ----------------------------------------------------------------
    def notify_change(self, bot: EmuBot, msg: StoredMessage, change: str) -> None:
        for queue in self._listeners:
            queue.put_nowait((bot, msg, change))

    def listen(self) -> asyncio.Queue[tuple[EmuBot, StoredMessage, str]]:
        queue: asyncio.Queue[tuple[EmuBot, StoredMessage, str]] = asyncio.Queue()
        self._listeners.append(queue)
        return queue

    def unlisten(self, queue: asyncio.Queue[Any]) -> None:
        self._listeners.remove(queue)

    # ---- figures ---------------------------------------------------------------------
    async def _handle_stats(self, request: web.Request) -> web.Response:
        """The emulator's figures for one bot (for benchmarks running it as a process)."""
        token = request.query.get("token", "")
        if token not in self.bots:
            raise web.HTTPNotFound()
        return web.json_response(self.stats(token))

    async def _handle_storm(self, request: web.Request) -> web.Response:
        """Start a flood-wait storm: every send refused for `seconds` (benchmarks)."""
        token = request.query.get("token", "")
        if token not in self.bots:
            raise web.HTTPNotFound()
        body = await request.json()
        faults = self.bots[token].faults
        faults.storm_retry_after = int(body.get("retry_after", 5))
        faults.storm_until = time.monotonic() + float(body["seconds"])
        return web.json_response({"ok": True})

    def stats(self, token: str) -> dict[str, Any]:
        bot = self.bots[token]
        sends = [c for c in self.calls if c.bot_id == bot.id
                 and c.method.lower() in methods.SEND_METHODS]
        edits = [c for c in self.calls if c.bot_id == bot.id
                 and c.method.lower() in methods.EDIT_METHODS]
        delivered = [c for c in sends if c.ok]
        per_chat = [sum(1 for m in chat.messages.values() if m.from_bot) for chat in bot.chats.values()]
        return {
            "sends_ok": len(delivered),
            "chats_reached": sum(1 for n in per_chat if n),
            "chats_with_duplicates": sum(1 for n in per_chat if n > 1),
            "rate_per_second": _rate(delivered),
            "too_many_requests": sum(1 for c in sends if c.error_code == 429),
            "edits_ok": sum(1 for c in edits if c.ok),
            "edit_rate_per_second": _rate([c for c in edits if c.ok]),
            "edit_too_many_requests": sum(1 for c in edits if c.error_code == 429),
            "storm_refused": bot.faults.storm_refused,
            "forbidden": sum(1 for c in sends if c.error_code == 403),
            "breaches": bot.limits.breaches,
            "blocked_users": sum(1 for c in bot.chats.values() if c.status == "blocked"),
        }


def _rate(calls: list[CallRecord]) -> float:
    """Calls per second from the first to the last of them."""
    span = (calls[-1].at - calls[0].at) if len(calls) > 1 else 0.0
    return round((len(calls) - 1) / span, 2) if span else 0.0
