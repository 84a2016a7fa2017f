"""A broadcast being composed: what the admin chose so far, kept as JSON in the FSM data
(which lives in the database), and the checks on what they type."""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from bot.db import audiences
from bot.db.audiences import Audience
from bot.db.broadcasts import Content
from bot.i18n import _

MAX_BUTTON_LABEL = 64
MAX_LIST_ENTRIES = 5000
_USERNAME = re.compile(r"^@?([A-Za-z][A-Za-z0-9_]{3,31})$")


@dataclass
class Draft:
    key: str = field(default_factory=lambda: uuid.uuid4().hex)
    audience: dict[str, Any] | None = None
    content: dict[str, Any] | None = None
    buttons: list[list[dict[str, str]]] = field(default_factory=list)
    pending_label: str | None = None

    @classmethod
    def load(cls, data: dict[str, Any]) -> Draft:
        raw = data.get("draft") or {}
        return cls(**raw) if raw else cls()

    def dump(self) -> dict[str, Any]:
        return {"draft": self.__dict__.copy()}

    def audience_obj(self) -> Audience:
        assert self.audience is not None
        return Audience.from_json(self.audience)

    def content_obj(self) -> Content:
        assert self.content is not None
        rows = tuple(tuple((b["text"], b["url"]) for b in row) for row in self.buttons)
        return Content(self.content["kind"], self.content["html"],
                       self.content.get("source_file_id"), rows)

    def set_content(self, content: Content) -> None:
        self.content = {"kind": content.kind, "html": content.html,
                        "source_file_id": content.source_file_id}


def check_label(text: str) -> str:
    label = " ".join(text.split())
    if not label:
        raise ValueError(_("Надпись на кнопке не может быть пустой."))
    if len(label) > MAX_BUTTON_LABEL:
        raise ValueError(_("Надпись длиннее {limit} символов ({length}).").format(
            limit=MAX_BUTTON_LABEL, length=len(label)))
    return label


def check_url(text: str) -> str:
    url = text.strip()
    parts = urlsplit(url)
    if parts.scheme == "tg" and parts.netloc:
        return url
    if parts.scheme not in ("http", "https") or "." not in parts.netloc or " " in url:
        raise ValueError(_("Нужна ссылка вида https://example.org/page (или tg://...)."))
    return url


TELEGRAM_ID_MAX = 2**63 - 1  # user ids are stored as bigint


@dataclass(frozen=True)
class ListEntry:
    """One entry of a pasted list: a user id, a username (lowercase), or why it is neither."""

    token: str
    user_id: int | None = None
    username: str | None = None
    problem: str | None = None


def parse_list_entry(token: str) -> ListEntry:
    """Judge one pasted entry on its own."""
    if token.isascii() and token.isdigit():
        value = int(token)
        if not 0 < value <= TELEGRAM_ID_MAX:
            return ListEntry(token, problem=_("таких id не бывает"))
        return ListEntry(token, user_id=value)
    match = _USERNAME.match(token)
    if match:
        return ListEntry(token, username=match.group(1).lower())
    if token.startswith("@"):
        return ListEntry(token, problem=_("не похоже на @username"))
    return ListEntry(token, problem=_("не id и не @username"))


@dataclass(frozen=True)
class ParsedList:
    user_ids: list[int]
    unknown: list[str]                       # well-formed, but nobody has it
    invalid: list[tuple[str, str]] = field(default_factory=list)        # (entry, why)
    ambiguous: list[tuple[str, list[int]]] = field(default_factory=list)  # (@name, whose)


async def parse_user_list(pool: asyncpg.Pool, text: str) -> ParsedList:
    """Ids and @usernames pasted by an admin, each entry judged alone: what matches one person
    is taken; what is malformed, matches nobody or matches several people is listed back."""
    tokens = list(dict.fromkeys(t for t in re.split(r"[\s,;]+", text.strip()) if t))
    entries = [parse_list_entry(t) for t in tokens[:MAX_LIST_ENTRIES]]
    known_ids, by_name = await audiences.resolve(
        pool, [e.user_id for e in entries if e.user_id is not None],
        [e.username for e in entries if e.username is not None])
    parsed = ParsedList([], [])
    for entry in entries:
        owners = ([entry.user_id] if entry.user_id in known_ids else []) \
            if entry.user_id is not None else by_name.get(entry.username or "", [])
        if entry.problem is not None:
            parsed.invalid.append((entry.token, entry.problem))
        elif not owners:
            parsed.unknown.append(entry.token)
        elif len(owners) > 1:
            parsed.ambiguous.append((entry.token, owners))
        elif owners[0] not in parsed.user_ids:
            parsed.user_ids.append(owners[0])
    if len(tokens) > MAX_LIST_ENTRIES:
        parsed.invalid.append((_("ещё {count}").format(count=len(tokens) - MAX_LIST_ENTRIES),
                               _("больше {limit} за раз не беру").format(limit=MAX_LIST_ENTRIES)))
    return parsed


@dataclass(frozen=True)
class Estimate:
    seconds: float
    paid_seconds: float
    paid_stars: int


def estimate(recipients: int, rate: float, paid_rate: float, free_limit: float = 30.0) -> Estimate:
    """How long sending takes at the free pace, and at the paid pace with its cost: Telegram
    charges 0.1 Star for each message above the free rate."""
    seconds = recipients / rate if rate else 0.0
    paid_seconds = recipients / paid_rate if paid_rate else 0.0
    above_free = max(0.0, recipients - free_limit * max(paid_seconds, 1.0))
    return Estimate(seconds, paid_seconds, math.ceil(above_free * 0.1))
