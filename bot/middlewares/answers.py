"""Answering a callback query is a courtesy to the client (it stops the spinner): when
Telegram refuses it, because the query is too old or was answered already, the handler goes
on and draws its screen instead of failing."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, cast

from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import AnswerCallbackQuery, Response, TelegramMethod
from aiogram.methods.base import TelegramType

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger(__name__)


class BestEffortAnswerMiddleware(BaseRequestMiddleware):
    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]) -> Response[TelegramType]:
        if not isinstance(method, AnswerCallbackQuery):
            return await make_request(bot, method)
        try:
            return await make_request(bot, method)
        except TelegramBadRequest as exc:
            # "query is too old and response timeout expired or query ID is invalid"
            log.info("callback answer refused", extra={"reason": exc.message})
            # the session hands back the method's result (True), not a Response
            return cast("Response[TelegramType]", True)
