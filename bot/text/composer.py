"""The composer's pure parts: checks of a button's label and URL, one entry of a pasted list
of users, and how long sending takes (free and paid)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot.i18n import _, use_locale
from bot.text.days import end_words
from bot.text.when import WhenError, parse_when

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


MAX_BUTTON_LINES = 10
NO_BUTTONS = ("-", "—")


def parse_end(text: str, tz: ZoneInfo, now: datetime) -> datetime:
    """An offer's end in the admin's words: «до 23:59 пт», «до пятницы 23:59», «до завтра
    18:00» (or «until 23:59 fri»), in `tz`; in UTC, in the future."""
    try:
        return parse_when(end_words(text), tz, now)
    except WhenError as exc:
        raise ValueError(_("Срок предложения: {error}").format(error=exc)) from None


def parse_link(text: str, tz: ZoneInfo, now: datetime) -> dict[str, str]:
    """A button's link, and the end of its offer if one follows a «|»: «https://… | до 23:59 пт»
    (at that time the button is taken off every copy); after one more «|», the line that then
    takes its place at the end of the message: «… | до 23:59 пт | Запись закрыта»."""
    url, _sep, rest = text.partition("|")
    end, _sep, instead = rest.partition("|")
    link = {"url": check_url(url)}
    if end.strip():
        link["until"] = parse_end(end, tz, now).isoformat()
    if instead.strip():
        if "until" not in link:
            raise ValueError(_("Сначала срок, потом текст взамен: «| до 23:59 пт | Запись "
                               "закрыта»."))
        link["ended_text"] = check_ended_text(instead)
    return link


def check_ended_text(text: str) -> str:
    """The line that replaces an ended offer's button: as short as a button's label."""
    line = " ".join(text.split())
    if len(line) > MAX_BUTTON_LABEL:
        raise ValueError(_("Текст взамен кнопки длиннее {limit} символов ({length}).").format(
            limit=MAX_BUTTON_LABEL, length=len(line)))
    return line


def parse_buttons(text: str, tz: ZoneInfo, now: datetime) -> list[list[dict[str, str]]]:
    """URL buttons typed one a line, «Надпись | https://…», with an optional end of the offer,
    «Надпись | https://… | до 23:59 пт», and the line to show instead once it ends,
    «… | до 23:59 пт | Запись закрыта» (one button a row); «-» alone: none. A ValueError
    names the line that is wrong and why."""
    if text.strip() in NO_BUTTONS:
        return []
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_BUTTON_LINES:
        raise ValueError(_("Не больше {limit} кнопок.").format(limit=MAX_BUTTON_LINES))
    rows = []
    for number, line in enumerate(lines, 1):
        parts = line.split("|")
        try:
            if len(parts) not in (2, 3, 4):
                raise ValueError(_("нужно «Надпись | https://ссылка», срок — третьим: "
                                   "«| до 23:59 пт», текст взамен — четвёртым: «| Запись "
                                   "закрыта»."))
            rows.append([{"text": check_label(parts[0]),
                          **parse_link("|".join(parts[1:]), tz, now)}])
        except ValueError as exc:
            raise ValueError(_("Строка {number}: {error}").format(number=number,
                                                                 error=exc)) from None
    return rows


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
