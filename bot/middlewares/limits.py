"""Every request of a bot goes through its token's budget (bot/services/limits.py): sends wait
for their slot in priority order, a known 429 holds its scope for every method, a newer edit
of a message replaces an older one still waiting, and requests that are safe to repeat are
repeated on 5xx and network errors."""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import TYPE_CHECKING, Any, cast

from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import (
    TelegramAPIError, TelegramNetworkError, TelegramRetryAfter, TelegramServerError,
)
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType

from bot.services.limits import Budget, Priority, Ticket, request_priority, slot_taken

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger(__name__)

# what Telegram counts against its flood limits
SENDS = frozenset({"sendMessage", "sendPhoto", "sendVideo", "sendDocument", "sendAnimation",
                   "sendAudio", "sendVoice", "sendSticker", "sendMediaGroup", "copyMessage",
                   "forwardMessage", "sendLocation", "sendPoll", "sendVideoNote"})
EDITS = frozenset({"editMessageText", "editMessageCaption", "editMessageMedia",
                   "editMessageReplyMarkup"})
# not rate-limited by Telegram: go out at once, without waiting for a send slot
IMMEDIATE = frozenset({"answerCallbackQuery", "answerInlineQuery"})
# repeating them cannot show anything twice: retried on 5xx and network errors
IDEMPOTENT = EDITS | IMMEDIATE | frozenset({"deleteMessage", "deleteMessages", "sendChatAction",
                                            "getMe", "getFile", "getChat", "setMyCommands",
                                            "deleteMyCommands", "setWebhook", "deleteWebhook",
                                            "getWebhookInfo"})
BACKOFF = (0.5, 1.0, 2.0, 4.0)  # seconds before each repeat
MAX_429 = 5                     # a request refused this often in a row gives up
# aiohttp errors raised before the request left this machine: sending again is safe
NOT_SENT = ("ClientConnectorError", "ClientConnectorDNSError", "ClientProxyConnectionError")


class LimiterMiddleware(BaseRequestMiddleware):
    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self._edits: dict[tuple[Any, ...], int] = {}  # message -> newest edit's number
        self._edit_locks: dict[tuple[Any, ...], asyncio.Lock] = {}
        self._numbers = itertools.count()

    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]) -> TelegramType:
        name = method.__api_method__
        if name in EDITS:
            return await self._edit(make_request, bot, method)
        return await self._call(make_request, bot, method)

    async def _edit(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                    method: TelegramMethod[TelegramType]) -> TelegramType:
        """One edit of a message at a time; an edit that a newer one has replaced while it
        waited is not sent (it answers True, as Telegram does for an edit it did not need)."""
        key = (getattr(method, "chat_id", None), getattr(method, "message_id", None),
               getattr(method, "inline_message_id", None))
        number = self._edits[key] = next(self._numbers)
        lock = self._edit_locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                if self._edits.get(key) != number:
                    return cast(TelegramType, True)  # what an edit answers: Message or True
                return await self._call(make_request, bot, method)
        finally:
            if self._edits.get(key) == number:
                del self._edits[key]
                self._edit_locks.pop(key, None)

    async def _call(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                    method: TelegramMethod[TelegramType]) -> TelegramType:
        name = method.__api_method__
        chat_id = _chat_of(method)
        priority, ticket = request_priority.get(), slot_taken.get()
        taken = ticket is not None
        refused = failed = 0
        while True:
            granted = await self._wait_turn(name, chat_id, priority, ticket, method)
            try:
                sent_at = self.budget.handed_off() if granted else None
                try:
                    # the protocol says Response; the session's make_request returns the
                    # result (aiogram's BaseSession.__call__ casts it the same way)
                    answer = cast(TelegramType, await make_request(bot, method))
                except TelegramAPIError as exc:  # (a network error may not have reached it)
                    if sent_at is not None and not isinstance(exc, TelegramNetworkError):
                        self.budget.answered(sent_at, _paid(method))
                    raise
                if sent_at is not None:
                    self.budget.answered(sent_at, _paid(method))
                return answer
            except TelegramRetryAfter as exc:
                self.budget.retry_after(exc.retry_after, chat_id, name)
                refused += 1
                # a 429 means Telegram did not take it: safe to repeat once the hold ends,
                # except for the engine, which puts its recipient back itself
                if taken or refused >= MAX_429:
                    raise
                taken = False
                log.info("flood limit: waiting", extra={"method": name,
                                                         "retry_after": exc.retry_after})
            except (TelegramServerError, TelegramNetworkError) as exc:
                # the engine counts and repeats its own sends; everything else is repeated
                # here when that cannot show anything twice
                if (taken and name in SENDS) or failed >= len(BACKOFF) \
                        or not _repeatable(name, exc):
                    raise
                log.info("Telegram failed, repeating", extra={"method": name,
                                                               "reason": exc.message})
                await asyncio.sleep(BACKOFF[failed])
                failed += 1

    async def _wait_turn(self, name: str, chat_id: int | None, priority: Priority,
                         ticket: Ticket | None, method: TelegramMethod[Any]) -> bool:
        """Wait until the request may go; True if it goes on a slot of the budget."""
        if name in IMMEDIATE:
            return False
        if ticket is None and name in SENDS:
            await self.budget.acquire(chat_id, priority, paid=_paid(method))
            return True
        # the engine's own slot, or a method without a slot: only a known 429 holds it
        await self.budget.wait_unblocked(chat_id)
        if ticket is not None and not ticket.used:
            ticket.used = True
            return True
        return False

    def __repr__(self) -> str:
        return f"LimiterMiddleware(bot={self.budget.bot_id})"


def _paid(method: TelegramMethod[Any]) -> bool:
    return bool(getattr(method, "allow_paid_broadcast", False))


def _chat_of(method: TelegramMethod[Any]) -> int | None:
    chat_id = getattr(method, "chat_id", None)
    return chat_id if isinstance(chat_id, int) else None


def _repeatable(name: str, exc: Exception) -> bool:
    """Whether a failed request may be repeated without showing anything twice."""
    if name in IDEMPOTENT:
        return True
    if isinstance(exc, TelegramNetworkError):
        return exc.message.startswith(NOT_SENT)  # it never left: nothing can be doubled
    # a 5xx comes from Telegram's front end, which did not hand the send on
    return name in SENDS
