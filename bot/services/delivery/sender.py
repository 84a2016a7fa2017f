"""One request to Telegram for one recipient, and what its answer means for that recipient."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError, TelegramBadRequest, TelegramForbiddenError, TelegramNetworkError,
    TelegramRetryAfter, TelegramServerError,
)
from aiogram.methods import SendAnimation, SendDocument, SendMessage, SendPhoto, SendVideo
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup, Message
from pydantic import BaseModel, ConfigDict

from bot.db.broadcasts import Content, Recipient, Result
from bot.services.links import LinkSigner, unsubscribe_preview_url
from bot.text.composer import unsubscribe_label
from bot.services.delivery.render import ContentError, check_length, personalise

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # for 5xx and connection failures
# aiohttp errors raised before the request left this machine: sending again is safe
_NOT_SENT = ("ClientConnectorError", "ClientConnectorDNSError", "ClientProxyConnectionError")


class Sent(BaseModel):
    """What a broadcast keeps of Telegram's answer to a send: the message's number. Reading
    only that, instead of validating the whole Message (chat, sender, entities, buttons), is
    a good part of the CPU an answer costs at the paid pace; errors are mapped as usual."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    message_id: int


# aiogram's send methods answering with `Sent` (same API method, fields and error mapping)
class SendMessageSent(SendMessage):
    __returning__ = Sent


class SendPhotoSent(SendPhoto):
    __returning__ = Sent


class SendVideoSent(SendVideo):
    __returning__ = Sent


class SendDocumentSent(SendDocument):
    __returning__ = Sent


class SendAnimationSent(SendAnimation):
    __returning__ = Sent


_MEDIA_SENT = {"photo": (SendPhotoSent, "photo"), "video": (SendVideoSent, "video"),
               "document": (SendDocumentSent, "document"),
               "animation": (SendAnimationSent, "animation")}


@dataclass
class Outcome:
    """What happened to one request."""

    result: Result | None = None       # final (or 'pending' to put the recipient back)
    retry_after: float | None = None   # 429: wait, then try this recipient again
    retry_in: float | None = None      # transient failure: try again after this delay
    unreachable: str | None = None     # 403: the reason to remember for this user


@dataclass
class PreparedContent:
    """A broadcast's content ready to send through the broadcast bot."""

    content: Content
    broadcast_id: int | None             # None for a test message
    paid: bool
    file_id: str | None                 # the broadcast bot's own file_id, once known
    upload: bytes | None = None         # media bytes to upload once, when there is no file_id
    upload_name: str = "file"
    markup: InlineKeyboardMarkup | None = None
    upload_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # tracked links: each recipient's URL buttons lead through {links_base}/r/<token>
    links: LinkSigner | None = None
    links_base: str | None = None
    # the unsubscribe button: each recipient's own {unsubscribe_base}/u/<token>
    unsubscribe: LinkSigner | None = None
    unsubscribe_base: str | None = None

    def markup_for(self, recipient_id: int) -> InlineKeyboardMarkup | None:
        """The buttons as this recipient gets them (their own tracked links, if any, and their
        own unsubscribe link when the broadcast has one)."""
        markup = self._buttons_for(recipient_id)
        if not self.content.unsubscribe or self.unsubscribe_base is None:
            return markup
        base = self.unsubscribe_base
        url = (self.unsubscribe.url(base, recipient_id, 0, path="u")
               if self.unsubscribe is not None and recipient_id else unsubscribe_preview_url(base))
        rows = list(markup.inline_keyboard) if markup else []
        return InlineKeyboardMarkup(inline_keyboard=[
            *rows, [InlineKeyboardButton(text=unsubscribe_label(), url=url)]])

    def _buttons_for(self, recipient_id: int) -> InlineKeyboardMarkup | None:
        if self.links is None or self.links_base is None or not recipient_id \
                or not self.content.buttons:
            return self.markup
        signer, base = self.links, self.links_base
        return shown_buttons(self.content, lambda place, _: signer.url(base, recipient_id, place))

    @classmethod
    def build(cls, content: Content, broadcast_id: int | None = None, paid: bool = False,
              file_id: str | None = None) -> PreparedContent:
        markup = shown_buttons(content, lambda _, url: url)
        return cls(content, broadcast_id, paid, file_id, markup=markup)


def shown_buttons(content: Content, url: Callable[[int, str], str]) -> InlineKeyboardMarkup | None:
    """The buttons still shown (not taken off when their offer ended), each leading to
    `url(place, target)`; a button's place counts every button row by row, shown or not."""
    rows, place = [], 0
    for row in content.buttons:
        kept = [InlineKeyboardButton(text=label, url=url(place + i, target))
                for i, (label, target) in enumerate(row) if place + i not in content.gone]
        place += len(row)
        if kept:
            rows.append(kept)
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


async def send_one(bot: Bot, content: PreparedContent, recipient: Recipient,
                   attempt: int) -> tuple[Outcome, str | None]:
    """Send to one recipient. Returns the outcome and, after an upload, the new file_id."""
    kind = content.content.kind
    html = personalise(content.content.html, recipient.first_name, recipient.username)
    try:
        check_length(html, is_caption=kind != "text")
    except ContentError as exc:
        return Outcome(Result(recipient.id, "failed", str(exc))), None
    try:
        message, new_file_id = await _request(bot, content, recipient, html)
    except TelegramRetryAfter as exc:
        return Outcome(retry_after=exc.retry_after), None
    except TelegramForbiddenError as exc:
        return Outcome(Result(recipient.id, "blocked", exc.message), unreachable=exc.message), None
    except TelegramBadRequest as exc:
        return Outcome(Result(recipient.id, "failed", exc.message)), None
    except TelegramServerError as exc:
        return _transient(recipient, attempt, f"Telegram server error: {exc.message}"), None
    except TelegramNetworkError as exc:
        if exc.message.startswith(_NOT_SENT):
            return _transient(recipient, attempt, f"network: {exc.message}"), None
        # the request may have reached Telegram: sending again could deliver it twice
        return Outcome(Result(recipient.id, "unknown", f"no answer from Telegram: {exc.message}")), None
    except TelegramAPIError as exc:
        return Outcome(Result(recipient.id, "failed", exc.message)), None
    return Outcome(Result(recipient.id, "sent", None, message.message_id)), new_file_id


def _transient(recipient: Recipient, attempt: int, reason: str) -> Outcome:
    if attempt >= MAX_ATTEMPTS:
        return Outcome(Result(recipient.id, "failed", f"{reason} (after {attempt} attempts)"))
    return Outcome(retry_in=float(2 ** (attempt - 1)))  # 1 s, 2 s, ...


async def _request(bot: Bot, content: PreparedContent, recipient: Recipient,
                   html: str) -> tuple[Sent | Message, str | None]:
    kind, chat_id = content.content.kind, recipient.user_id
    common: dict[str, Any] = {"chat_id": chat_id, "reply_markup": content.markup_for(recipient.id),
                              "allow_paid_broadcast": content.paid or None}
    if kind == "text":
        return cast(Sent, await bot(SendMessageSent(text=html, **common))), None
    if content.file_id:
        return await _send_known_media(bot, kind, content.file_id, html, common), None
    async with content.upload_lock:  # one upload; the others wait for its file_id
        if content.file_id:
            return await _send_known_media(bot, kind, content.file_id, html, common), None
        assert content.upload is not None
        media = BufferedInputFile(content.upload, content.upload_name)
        message = await _upload_media(bot, kind, media, html, common)
        content.file_id = _file_id_of(message, kind)
        content.upload = None
        return message, content.file_id


async def _send_known_media(bot: Bot, kind: str, file_id: str, caption: str,
                            common: dict[str, Any]) -> Sent:
    method, field_name = _MEDIA_SENT[kind]
    return cast(Sent, await bot(method(**{field_name: file_id}, caption=caption or None, **common)))


async def _upload_media(bot: Bot, kind: str, media: BufferedInputFile, caption: str,
                        common: dict[str, Any]) -> Message:
    """The first send of a file: the whole answer, for the file_id Telegram gave it."""
    method = {"photo": bot.send_photo, "video": bot.send_video,
              "document": bot.send_document, "animation": bot.send_animation}[kind]
    return await method(**{_MEDIA_SENT[kind][1]: media}, caption=caption or None, **common)


def _file_id_of(message: Message, kind: str) -> str | None:
    if kind == "photo" and message.photo:
        return message.photo[-1].file_id
    media = getattr(message, kind, None)
    return media.file_id if media is not None else None


async def prepare(bot: Bot, admin_bot: Bot, content: Content, broadcast_id: int | None = None,
                  paid: bool = False, file_id: str | None = None) -> PreparedContent:
    """Content ready for the broadcast bot: media carried over from the admin bot."""
    prepared = PreparedContent.build(content, broadcast_id, paid, file_id)
    if content.kind != "text" and not prepared.file_id:
        source = content.source_file_id
        if bot.token == admin_bot.token:
            prepared.file_id = source  # one bot for both: its file_id works as it is
        elif source:
            prepared.upload, prepared.upload_name = await carry_media(admin_bot, source)
    return prepared


async def carry_media(admin_bot: Bot, file_id: str) -> tuple[bytes, str]:
    """Download a file the admin sent to the admin bot (to upload it once through the
    broadcast bot, whose file_ids are its own)."""
    file = await admin_bot.get_file(file_id)
    assert file.file_path is not None
    data = await admin_bot.download_file(file.file_path)
    assert data is not None
    return data.read(), file.file_path.rsplit("/", 1)[-1]
