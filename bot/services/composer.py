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


@dataclass(frozen=True)
class ParsedList:
    user_ids: list[int]
    unknown: list[str]


async def parse_user_list(pool: asyncpg.Pool, text: str) -> ParsedList:
    """Ids and @usernames pasted by an admin; what cannot be matched is listed back."""
    tokens = [t for t in re.split(r"[\s,;]+", text.strip()) if t][:MAX_LIST_ENTRIES]
    ids = [int(t) for t in tokens if t.isdigit()]
    names = [m.group(1) for t in tokens if not t.isdigit() and (m := _USERNAME.match(t))]
    known_ids, by_name = await audiences.resolve(pool, ids, names)
    found: list[int] = []
    unknown: list[str] = []
    for token in tokens:
        if token.isdigit():
            user_id = known_ids.get(int(token))
        else:
            match = _USERNAME.match(token)
            user_id = by_name.get(match.group(1).lower()) if match else None
        if user_id is None:
            unknown.append(token)
        elif user_id not in found:
            found.append(user_id)
    return ParsedList(found, unknown)


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
