"""A broadcast being composed: what the admin chose so far, kept as JSON in the FSM data
(which lives in the database), and a pasted list of users matched against the platform."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from bot.config import FrequencyCap
from bot.db import audiences
from bot.db.audiences import Audience, AudienceSize
from bot.db.broadcasts import Content, button_fields
from bot.i18n import _
from bot.text.composer import MAX_LIST_ENTRIES, ParsedList, parse_list_entry


@dataclass
class Draft:
    key: str = field(default_factory=lambda: uuid.uuid4().hex)
    audience: dict[str, Any] | None = None
    content: dict[str, Any] | None = None
    buttons: list[list[dict[str, str]]] = field(default_factory=list)
    pending_label: str | None = None
    holdout: int = 0  # % of the audience kept back to measure what the broadcast caused
    cap_off: bool = False  # the author lets it reach those the frequency cap would skip
    quiet_off: bool = False  # the author sends it through quiet hours
    pending_when: str | None = None  # a time asked for inside quiet hours (ISO), being decided
    unsubscribe: bool | None = None  # the unsubscribe button (None: as the audience suggests)
    repeat: dict[str, Any] | None = None  # a recurring broadcast's rule, being chosen (Rule)

    @classmethod
    def load(cls, data: dict[str, Any]) -> Draft:
        raw = data.get("draft") or {}
        return cls(**raw) if raw else cls()

    def dump(self) -> dict[str, Any]:
        return {"draft": self.__dict__.copy()}

    def audience_obj(self) -> Audience:
        assert self.audience is not None
        return Audience.from_json(self.audience)

    def content_obj(self, can_unsubscribe: bool = False) -> Content:
        """The content as it goes out; `can_unsubscribe`: the bot has a public address for
        the unsubscribe button."""
        assert self.content is not None
        return Content(self.content["kind"], self.content["html"],
                       self.content.get("source_file_id"),
                       unsubscribe=self.unsubscribe_button(can_unsubscribe),
                       **button_fields(self.buttons))

    def unsubscribe_button(self, can: bool) -> bool:
        """Whether it carries the «Отписаться от рассылок» button: only with a public address
        (`can`) and not to one person; unless the author says otherwise, for leads and
        everyone."""
        if not can or self.audience is None or self.audience_obj().personal:
            return False
        if self.unsubscribe is not None:
            return self.unsubscribe
        return self.audience_obj().kind in ("leads", "all")

    def set_content(self, content: Content) -> None:
        self.content = {"kind": content.kind, "html": content.html,
                        "source_file_id": content.source_file_id}


@dataclass(frozen=True)
class Reach:
    """Who a draft would reach if sent now: the audience's size, and of the reachable those
    the frequency cap skips (0 when the author turned it off for this broadcast)."""

    size: AudienceSize
    capped: int        # the cap would skip these (whether or not the author overrides it)
    cap_off: bool

    @property
    def recipients(self) -> int:
        return self.size.reachable - (0 if self.cap_off else self.capped)


async def reach(pool: asyncpg.Pool, draft: Draft, cap: FrequencyCap | None) -> Reach:
    """The audience's size and how many of it the frequency cap skips, as of now."""
    audience = draft.audience_obj()
    size = await audiences.count(pool, audience)
    return Reach(size, await audiences.capped_count(pool, audience, cap), draft.cap_off)


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
