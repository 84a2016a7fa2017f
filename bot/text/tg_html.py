"""Telegram's HTML parse mode: text with tags -> plain text + entities (UTF-16 offsets).

Used by the emulator to store messages as Telegram does, and by the bot to count a message's
visible length the way Telegram counts it."""

from __future__ import annotations

import html
from html.parser import HTMLParser
from typing import Any

from aiogram.types import MessageEntity
from aiogram.utils.text_decorations import HtmlDecoration


class EntityParseError(ValueError):
    """Raised with Telegram's own wording, e.g. 'Unsupported start tag "div" at byte offset 3'."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


_SIMPLE = {
    "b": "bold", "strong": "bold",
    "i": "italic", "em": "italic",
    "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "tg-spoiler": "spoiler", "code": "code", "pre": "pre",
}


class _Parser(HTMLParser):
    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self._line_starts = [0]
        for i, ch in enumerate(source):
            if ch == "\n":
                self._line_starts.append(i + 1)
        self.parts: list[str] = []
        self.length = 0  # UTF-16 units emitted so far
        self.stack: list[tuple[str, dict[str, Any]]] = []
        self.entities: list[dict[str, Any]] = []

    def _byte_offset(self) -> int:
        line, col = self.getpos()
        char_index = self._line_starts[line - 1] + col
        return len(self.source[:char_index].encode("utf-8"))

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.length += utf16_len(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        entity: dict[str, Any]
        if tag in _SIMPLE:
            entity = {"type": _SIMPLE[tag]}
        elif tag == "span" and attributes.get("class") == "tg-spoiler":
            entity = {"type": "spoiler"}
        elif tag == "a":
            href = attributes.get("href", "")
            if href.startswith("tg://user?id="):
                entity = {"type": "text_mention", "user": {"id": int(href.split("=", 1)[1] or 0)}}
            else:
                entity = {"type": "text_link", "url": href}
        elif tag == "blockquote":
            kind = "expandable_blockquote" if "expandable" in attributes else "blockquote"
            entity = {"type": kind}
        elif tag == "tg-emoji":
            entity = {"type": "custom_emoji", "custom_emoji_id": attributes.get("emoji-id", "")}
        else:
            raise EntityParseError(
                f'Unsupported start tag "{tag}" at byte offset {self._byte_offset()}'
            )
        if tag == "code" and self.stack and self.stack[-1][0] == "pre":
            language = attributes.get("class", "").removeprefix("language-")
            if language:
                self.stack[-1][1]["language"] = language
        entity["offset"] = self.length
        self.stack.append((tag, entity))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {self._byte_offset()}")
        open_tag, entity = self.stack.pop()
        if open_tag != tag:
            raise EntityParseError(
                f'Can\'t find end tag corresponding to start tag "{open_tag}"'
            )
        entity["length"] = self.length - entity["offset"]
        if entity["length"] > 0:
            self.entities.append(entity)

    def finish(self) -> tuple[str, list[dict[str, Any]]]:
        if "<" in self.rawdata:
            raise EntityParseError(f"Unclosed start tag at byte offset {self._byte_offset()}")
        self.close()
        if self.stack:
            raise EntityParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1][0]}"'
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), self.entities


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram-flavoured HTML; raise EntityParseError as Telegram would refuse it."""
    parser = _Parser(source)
    parser.feed(source)
    return parser.finish()


def parse_text(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None
) -> tuple[str, list[dict[str, Any]]]:
    """Apply a send method's parse_mode / entities the way the Bot API does."""
    if parse_mode is None or parse_mode == "":
        return text, list(entities or [])
    if parse_mode.lower() != "html":
        raise EntityParseError(f"Unsupported parse_mode {parse_mode!r} in this emulator")
    return parse_html(text)


class _Html(HtmlDecoration):
    """aiogram's HTML decoration with link targets escaped as attribute values: a URL the
    emulator stored may hold quotes, and the sandbox page shows this HTML as is."""

    def link(self, value: str, link: str) -> str:
        return super().link(value, html.escape(link))

    def custom_emoji(self, value: str, custom_emoji_id: str) -> str:
        return super().custom_emoji(value, html.escape(custom_emoji_id))


_HTML = _Html()


def to_html(text: str, entities: list[dict[str, Any]]) -> str:
    """Render text + entities back to Telegram HTML (for transcripts and the sandbox page), with
    aiogram's unparser: nested entities, UTF-16 offsets, links and mentions, custom emoji,
    (expandable) blockquotes and code blocks with their language."""
    return _HTML.unparse(text, [_entity(entity) for entity in entities])


def _entity(data: dict[str, Any]) -> MessageEntity:
    """An entity as the emulator stores it (a text_mention's user by id alone, as this module's
    parser gives it) for aiogram, which wants a whole User."""
    if "user" in data:
        data = {**data, "user": {"is_bot": False, "first_name": "", **data["user"]}}
    return MessageEntity.model_validate(data)
