"""What the emulator remembers: bots, users, their chats, messages and files."""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.sandbox.limits import FaultPlan, LimitConfig, SendLimiter


class ApiError(Exception):
    """An answer of the Bot API with ok=false."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(text: str) -> ApiError:
    return ApiError(400, f"Bad Request: {text}")


@dataclass
class EmuUser:
    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = "ru"

    def as_user(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        return data

    def as_chat(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.username:
            data["username"] = self.username
        return data


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str  # photo, video, document, animation
    content: bytes
    file_name: str | None = None
    mime_type: str | None = None

    @property
    def path(self) -> str:
        return f"{self.kind}s/{self.file_unique_id}"


@dataclass
class StoredMessage:
    message_id: int
    chat_id: int
    from_bot: bool
    date: int
    kind: str  # text, photo, video, document, animation
    text: str = ""  # text, or caption for media
    entities: list[dict[str, Any]] = field(default_factory=list)
    file: StoredFile | None = None
    reply_markup: dict[str, Any] | None = None
    edit_date: int | None = None
    deleted: bool = False

    def buttons(self) -> list[dict[str, Any]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]


# Telegram answers 403 with these words for a chat in each state
CHAT_REFUSALS = {
    "blocked": "Forbidden: bot was blocked by the user",
    "not_started": "Forbidden: bot can't initiate conversation with a user",
    "deactivated": "Forbidden: user is deactivated",
}


@dataclass
class EmuChat:
    user: EmuUser
    status: str = "active"  # active, blocked, not_started, deactivated
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next_message_id(self) -> int:
        return next(self._ids)


@dataclass
class Webhook:
    url: str = ""
    secret_token: str | None = None
    allowed_updates: list[str] | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class EmuBot:
    token: str
    id: int
    username: str
    first_name: str
    # what happens when the bot writes to a user it has never seen:
    # "accept" (the user started it), "not_started" (403) or "not_found" (400)
    unknown_chats: str = "accept"
    limits: SendLimiter = field(default_factory=lambda: SendLimiter(LimitConfig()))
    faults: FaultPlan = field(default_factory=FaultPlan)
    chats: dict[int, EmuChat] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)
    webhook: Webhook = field(default_factory=Webhook)
    commands: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    callback_queries: dict[str, dict[str, Any]] = field(default_factory=dict)
    updates: list[dict[str, Any]] = field(default_factory=list)  # for getUpdates / redelivery
    updates_ready: asyncio.Event = field(default_factory=asyncio.Event)
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def as_user(self) -> dict[str, Any]:
        return {"id": self.id, "is_bot": True, "first_name": self.first_name,
                "username": self.username, "can_join_groups": False,
                "can_read_all_group_messages": False, "supports_inline_queries": False}

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def new_file(self, kind: str, content: bytes, file_name: str | None = None,
                 mime_type: str | None = None) -> StoredFile:
        unique = secrets.token_urlsafe(9)
        file = StoredFile(f"{kind[:2].upper()}{self.id}_{unique}", unique, kind, content,
                          file_name, mime_type)
        self.files[file.file_id] = file
        return file


def now_ts(offset: float = 0.0) -> int:
    return int(time.time() + offset)


class Host(Protocol):
    """What the Bot API methods need of the emulator that calls them (the emulator sits above
    the methods and passes itself in)."""

    def user(self, user_id: int, first_name: str | None = None, username: str | None = None,
             language_code: str | None = None) -> EmuUser: ...

    def now(self) -> int: ...

    def webhook_changed(self, bot: EmuBot) -> None: ...

    def notify_change(self, bot: EmuBot, msg: StoredMessage, change: str) -> None: ...
