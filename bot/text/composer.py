"""The composer's pure parts: checks of a button's label and URL, one entry of a pasted list
of users, and how long sending takes (free and paid)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from bot.i18n import _, use_locale

MAX_BUTTON_LABEL = 64
MAX_LIST_ENTRIES = 5000
_USERNAME = re.compile(r"^@?([A-Za-z][A-Za-z0-9_]{3,31})$")


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


@dataclass(frozen=True)
class Estimate:
    seconds: float
    paid_seconds: float
    paid_stars: int


@dataclass(frozen=True)
class SendPlan:
    """What a send now runs into: its canary (how many go first, then a wait) and quiet hours
    beginning before it is over (when they begin and end)."""

    canary: int | None
    wait_minutes: float
    quiet: tuple[datetime, datetime] | None


def estimate(recipients: int, rate: float, paid_rate: float, free_limit: float = 30.0) -> Estimate:
    """How long sending takes at the free pace, and at the paid pace with its cost: Telegram
    charges 0.1 Star for each message above the free rate."""
    seconds = recipients / rate if rate else 0.0
    paid_seconds = recipients / paid_rate if paid_rate else 0.0
    above_free = max(0.0, recipients - free_limit * max(paid_seconds, 1.0))
    return Estimate(seconds, paid_seconds, math.ceil(above_free * 0.1))


def unsubscribe_label() -> str:
    """The unsubscribe button's text: in Russian, like the broadcasts the course sends, whoever
    looks at the preview."""
    with use_locale("ru"):
        return _("Отписаться от рассылок")
