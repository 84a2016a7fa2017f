"""Who may use the bot: the security boundary is this filter on the admin routers."""

from __future__ import annotations

from aiogram.filters import BaseFilter
from aiogram.types import TelegramObject, User


class AdminFilter(BaseFilter):
    """Passes updates from users listed in ADMIN_IDS (given to the dispatcher as admin_ids)."""

    async def __call__(
        self, event: TelegramObject, event_from_user: User | None = None,
        admin_ids: frozenset[int] = frozenset(),
    ) -> bool:
        return event_from_user is not None and event_from_user.id in admin_ids
