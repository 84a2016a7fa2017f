"""aiogram's aiohttp session with less work per request: at the paid pace (1,000 sends a
second) the bot's own CPU per request decides how fast a broadcast goes.

- Connections: as many as the delivery engine keeps requests in flight, and some (set by
  `create_bot`; aiogram's default pool of 100 makes requests queue for a connection once
  latency grows).
- The request body: the same `application/x-www-form-urlencoded` fields aiogram sends, encoded
  in one step instead of through aiohttp's FormData (which builds a multipart writer, with a
  fresh uuid4, for every request). Requests with files still go as multipart, as aiogram does.
- The answer's model: pydantic keeps parametrised generics such as `Response[Message]` in a
  weak cache only, so the garbage collector drops them and the next answer rebuilds the
  class and its validator (milliseconds each, hundreds of times a broadcast). The session
  keeps a strong reference to each answer type it has used.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import InputFile
from aiohttp import ClientError, ClientTimeout

if TYPE_CHECKING:
    from aiogram import Bot

CONNECTIONS = 100
_FORM = {"Content-Type": "application/x-www-form-urlencoded"}

# answer type -> Response[answer type], held so that pydantic's weak cache keeps it
_RESPONSE_TYPES: dict[Any, type[Response[Any]]] = {}


class BotSession(AiohttpSession):
    def __init__(self, *, limit: int = CONNECTIONS, **kwargs: Any) -> None:
        super().__init__(limit=limit, **kwargs)
        self._timeouts: dict[float, ClientTimeout] = {}

    def check_response(self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int,
                       content: str) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in _RESPONSE_TYPES:
            _RESPONSE_TYPES[returning] = cast(Any, Response)[returning]  # a type known at run time
        return super().check_response(bot, method, status_code, content)

    def build_body(self, bot: Bot, method: TelegramMethod[Any]) -> bytes | None:
        """The form fields as aiogram sends them, url-encoded; None when a file goes along."""
        files: dict[str, InputFile] = {}
        fields = []
        for key, value in method.model_dump(warnings=False).items():
            value = self.prepare_value(value, bot=bot, files=files)
            if value:
                fields.append((key, value))
        if files:
            return None
        # doseq, as aiohttp's FormData does: str enums (ParseMode) go as their value
        return urlencode(fields, doseq=True).encode()

    def _timeout(self, seconds: float) -> ClientTimeout:
        timeout = self._timeouts.get(seconds)
        if timeout is None:
            timeout = self._timeouts[seconds] = ClientTimeout(total=seconds)
        return timeout

    async def make_request(self, bot: Bot, method: TelegramMethod[TelegramType],
                           timeout: int | None = None) -> TelegramType:
        body = self.build_body(bot, method)
        if body is None:  # files: aiogram's multipart form
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        try:
            async with session.post(
                url, data=body, headers=_FORM,
                timeout=self._timeout(self.timeout if timeout is None else timeout),
            ) as resp:
                raw_result = await resp.text()
        except asyncio.TimeoutError as e:
            raise TelegramNetworkError(method=method, message="Request timeout error") from e
        except ClientError as e:
            raise TelegramNetworkError(method=method, message=f"{type(e).__name__}: {e}") from e
        response = self.check_response(bot=bot, method=method, status_code=resp.status,
                                       content=raw_result)
        return cast(TelegramType, response.result)
