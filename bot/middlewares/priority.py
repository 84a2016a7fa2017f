"""Whose update this is decides the priority of every request its handler makes (the admin's
answers first, strangers' last), and strangers get few answers: the guest line at most once an
hour each, and a few per second all together. The rest is dropped (logged), so a crowd of
strangers cannot take the bot's sending budget from the admins."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from bot.services.limits import Priority, request_priority
from bot.services.team import Team

log = logging.getLogger(__name__)


class PriorityMiddleware(BaseMiddleware):
    """Outer middleware on updates: requests made for a team member go first."""

    def __init__(self, team: Team) -> None:
        self.team = team

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        admin = user is None or await self.team.role_of(user.id) is not None
        request_priority.set(Priority.ADMIN if admin else Priority.STRANGER)
        return await handler(event, data)


class StrangerGate(BaseMiddleware):
    """Inner middleware on messages: a handler about to answer a stranger runs only if this
    stranger had no answer in the last `per_user` seconds and the strangers' shared bucket
    (`rate` per second, `burst`) has room."""

    def __init__(self, team: Team, per_user: float = 3600.0, rate: float = 3.0,
                 burst: int = 5, clock: Callable[[], float] = time.monotonic) -> None:
        self.team, self.per_user, self.rate, self.burst = team, per_user, rate, burst
        self.clock = clock
        self._answered: dict[int, float] = {}
        self._tokens, self._when = float(burst), clock()
        self.dropped = 0

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or await self.team.role_of(user.id) is not None or self._allow(user.id):
            return await handler(event, data)
        self.dropped += 1
        log.info("stranger not answered (answer limit)", extra={"user_id": user.id})
        return None

    def _allow(self, user_id: int) -> bool:
        now = self.clock()
        last = self._answered.get(user_id)
        if last is not None and now - last < self.per_user:
            return False
        self._tokens = min(float(self.burst), self._tokens + (now - self._when) * self.rate)
        self._when = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        self._answered[user_id] = now
        if len(self._answered) > 100_000:  # forget those whose hour has passed
            self._answered = {u: t for u, t in self._answered.items() if now - t < self.per_user}
        return True
