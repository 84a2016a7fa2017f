"""Personalisation: {first_name} and {username} filled in per recipient, HTML-escaped, and
the length checked after that, the way Telegram counts it."""

from __future__ import annotations

from html import escape

from bot.text.tg_html import EntityParseError, parse_html, utf16_len
from bot.i18n import _

TEXT_LIMIT, CAPTION_LIMIT = 4096, 1024
NAME_FALLBACK = "друг"  # recipients are the course's students: Russian whatever the admin reads


class ContentError(ValueError):
    """The message cannot be sent as it is; the text says why, for the admin."""


def personalise(html: str, first_name: str | None, username: str | None) -> str:
    name = (first_name or "").strip() or (f"@{username}" if username else NAME_FALLBACK)
    handle = f"@{username}" if username else name
    return html.replace("{first_name}", escape(name)).replace("{username}", escape(handle))


def visible_text(html: str) -> str:
    try:
        return parse_html(html)[0]
    except EntityParseError as exc:
        raise ContentError(_("разметка не разбирается: {error}").format(error=exc)) from None


def check_length(html: str, is_caption: bool) -> None:
    """Refuse a text Telegram would refuse: too long, or nothing but spaces (a caption may be
    empty: the media goes alone)."""
    limit = CAPTION_LIMIT if is_caption else TEXT_LIMIT
    text = visible_text(html)
    if not is_caption and not text.strip():
        raise ContentError(_("в сообщении нет текста, одни пробелы"))
    length = utf16_len(text)
    if length > limit:
        raise ContentError((_("подпись длиннее лимита: {length} > {limit} символов") if is_caption
                            else _("текст длиннее лимита: {length} > {limit} символов")).format(
            length=length, limit=limit))
