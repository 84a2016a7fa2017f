"""Roles at the router level. TeamMiddleware (outer, on every update) finds who the sender is
on the team and puts it in the handler data (`role`, `access`) and in the keyboards' context;
RoleGate (inner, on a group of routers) lets a matched handler run only for a role that reaches
the group's, and answers anyone else «Недостаточно прав»: a handler placed in a group cannot
forget the check."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, User

from bot import access
from bot.access import Access
from bot.enums import Role
from bot.services.team import Team
from bot.views.team import refused

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class TeamMiddleware(BaseMiddleware):
    """Outer middleware on updates: the sender's role (None: a stranger) and access."""

    def __init__(self, team: Team) -> None:
        self.team = team

    async def __call__(self, handler: Handler, event: TelegramObject,
                       data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        found = await self.team.access_of(user.id) if user is not None else None
        data["team"], data["access"] = self.team, found
        data["role"] = found.role if found is not None else None
        if found is not None:
            access.use(found)
        return await handler(event, data)


class RoleGate(BaseMiddleware):
    """Inner middleware on a router group's messages and callbacks: the handler that matched
    runs only if the sender's access passes `allowed`."""

    def __init__(self, name: str, allowed: Callable[[Access], bool]) -> None:
        self.name, self.allowed = name, allowed

    @classmethod
    def at_least(cls, role: Role) -> RoleGate:
        return cls(role.value, lambda found: found.reaches(role))

    async def __call__(self, handler: Handler, event: TelegramObject,
                       data: dict[str, Any]) -> Any:
        found: Access | None = data.get("access")
        if found is not None and self.allowed(found):
            return await handler(event, data)
        user: User | None = data.get("event_from_user")
        log.info("refused: not allowed for the role", extra={
            "user_id": user.id if user else None, "gate": self.name,
            "role": found.role.value if found else None})
        if isinstance(event, CallbackQuery):
            await event.answer(refused())
        elif isinstance(event, Message):
            await event.answer(refused())
        return None
