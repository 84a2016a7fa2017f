"""Unexpected errors: logged with context; the admin sees a short apology, never a traceback."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent

from bot.enums import Role
from bot.views.errors import apology

log = logging.getLogger(__name__)


async def on_error(event: ErrorEvent, role: Role | None = None) -> None:
    update = event.update
    user = None
    if update.message:
        user = update.message.from_user
    elif update.callback_query:
        user = update.callback_query.from_user
    log.error("handler failed", exc_info=event.exception,
              extra={"update_id": update.update_id, "user_id": user.id if user else None})
    if user is None or role is None:  # strangers are not told
        return
    bot = event.update.bot
    try:
        if update.callback_query:
            try:
                await update.callback_query.answer(apology(), show_alert=True)
                return
            except TelegramAPIError:
                pass  # already answered before the failure: say it in the chat instead
        if bot is not None:
            await bot.send_message(user.id, apology())
    except TelegramAPIError:
        log.warning("could not tell the admin about the error", exc_info=True)


def create_router() -> Router:
    router = Router(name="errors")
    router.errors.register(on_error)
    return router
