"""One log line per update: update id, user id, event type, handler and duration."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import TelegramObject, Update

log = logging.getLogger("bot.updates")


@dataclass
class UpdateTrace:
    handler: str | None = None


class UpdateLogMiddleware(BaseMiddleware):
    """Outer middleware on dp.update."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        trace = data["update_trace"] = UpdateTrace()
        user = data.get("event_from_user")
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await handler(event, data)
            outcome = "unhandled" if result is UNHANDLED else "handled"
            return result
        finally:
            fields = {
                "update_id": event.update_id,
                "user_id": user.id if user else None,
                "event": event.event_type,
                "handler": trace.handler,
                "outcome": outcome,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            }
            # updates nobody handles are mostly strangers writing to the bot: keep them quiet
            level = logging.DEBUG if outcome == "unhandled" else logging.INFO
            log.log(level, "update", extra=fields)


class HandlerNameMiddleware(BaseMiddleware):
    """Inner middleware: tells the update's trace which handler ran."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        trace = data.get("update_trace")
        handler_object = data.get("handler")
        if trace is not None and handler_object is not None:
            trace.handler = getattr(handler_object.callback, "__qualname__", None)
        return await handler(event, data)
