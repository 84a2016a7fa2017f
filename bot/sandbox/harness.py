"""The bot's real aiohttp app on a real socket with Telegram played by the emulator, and chat
clients that write and press buttons like a person: for the tests, the benchmarks and the sandbox."""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from aiogram import Dispatcher
from aiohttp import web

from bot.app import DISPATCHER_KEY, WEBHOOK_KEY, create_app
from bot.config import Settings
from bot.sandbox.chats import Delivery
from bot.sandbox.emulator import Emulator
from bot.sandbox.state import StoredMessage

ADMIN_TOKEN = "1000001:" + "A" * 35
BROADCAST_TOKEN = "1000002:" + "B" * 35
ADMIN_ID = 501
SECOND_ADMIN_ID = 502
STRANGER_ID = 777
WEBHOOK_SECRET = "test-secret_0123456789"
MENU = ["📊 Статистика", "👥 Пользователи", "📣 Рассылка", "🕒 Запланированные", "🗂 История",
        "📚 Потоки", "📜 Журнал", "👮 Команда", "🩺 Состояние"]


def dsn_for(base: str, database: str) -> str:
    """The same server as `base`, another database (works for socket and TCP DSNs)."""
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{database}"))


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def make_settings(database_url: str, emulator_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        bot_token=ADMIN_TOKEN,
        admin_ids=f"{ADMIN_ID},{SECOND_ADMIN_ID}",
        database_url=database_url,
        telegram_api_url=emulator_url,
        webhook_secret=WEBHOOK_SECRET,
        timezone="Europe/Moscow",
    )
    values.update(overrides)
    return Settings(_env_file=None, **values)


@dataclass
class BotHarness:
    emulator: Emulator
    settings: Settings
    runner: web.AppRunner | None = None
    url: str = ""
    chats: dict[int, ChatClient] = field(default_factory=dict)
    clock: Callable[[], datetime] | None = None  # what time the bot thinks it is (quiet hours)

    async def start(self) -> BotHarness:
        sock = free_socket()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self.settings = self.settings.model_copy(update={"webhook_base_url": self.url})
        self.app = create_app(self.settings, self.clock) if self.clock else create_app(self.settings)
        self.runner = web.AppRunner(self.app, handle_signals=False, access_log=None)
        await self.runner.setup()  # startup: database, migrations, setWebhook
        await web.SockSite(self.runner, sock).start()
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    @property
    def token(self) -> str:
        token = self.settings.bot_token
        if token is None:  # make_settings always gives one; overrides may not take it away
            raise RuntimeError("the harness needs BOT_TOKEN")
        return token.get_secret_value()

    @property
    def dispatcher(self) -> Dispatcher:
        return self.app[DISPATCHER_KEY]

    async def settle(self) -> None:
        """Wait until every update the webhook took has been handled."""
        await self.app[WEBHOOK_KEY].drain()

    def chat(self, user_id: int, first_name: str = "Анна", username: str | None = None,
             language_code: str = "ru") -> ChatClient:
        if user_id not in self.chats:
            self.emulator.user(user_id, first_name, username, language_code)
            self.chats[user_id] = ChatClient(self, user_id)
        return self.chats[user_id]


@dataclass
class ChatClient:
    """One user's chat with the admin bot."""

    harness: BotHarness
    user_id: int
    last_delivery: Delivery | None = None

    @property
    def _emu(self) -> Emulator:
        return self.harness.emulator

    async def send(self, text: str) -> Delivery:
        self.last_delivery = await self._emu.send_text(self.harness.token, self.user_id, text)
        await self.harness.settle()
        return self.last_delivery

    async def click(self, text: str | None = None, *, data: str | None = None,
                    age: float = 0) -> Delivery:
        """Press the inline button with this text (or callback data) on the newest message
        (`age`: the press reaches the bot that many seconds late)."""
        self.last_delivery = await self._emu.press(self.harness.token, self.user_id, text,
                                                   data=data, age=age)
        await self.harness.settle()
        return self.last_delivery

    async def press_forged(self, data: str) -> Delivery:
        """A callback no button carries, as a modified client could send it."""
        self.last_delivery = await self._emu.press_forged(self.harness.token, self.user_id, data)
        await self.harness.settle()
        return self.last_delivery

    def messages(self) -> list[StoredMessage]:
        """Bot messages still visible in the chat, oldest first."""
        return self._emu.bot_messages(self.harness.token, self.user_id)

    def last(self) -> StoredMessage:
        messages = self.messages()
        assert messages, "the bot has sent nothing to this chat"
        return messages[-1]

    def buttons(self) -> list[str]:
        return [b["text"] for b in self.last().buttons()]

    def callback_answer(self) -> dict[str, Any]:
        assert self.last_delivery is not None and self.last_delivery.callback_query_id
        return self._emu.callback_answer(self.harness.token, self.last_delivery.callback_query_id)

    def transcript(self) -> str:
        return self._emu.transcript(self.harness.token, self.user_id)
