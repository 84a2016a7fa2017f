"""Who may use the bot: the security boundary is this filter on the admin routers."""

from __future__ import annotations

from aiogram.filters import BaseFilter
from aiogram.types import Message, TelegramObject, User

from bot.views.menu import COMMAND_MENU


class AdminFilter(BaseFilter):
    """Passes updates from users listed in ADMIN_IDS (given to the dispatcher as admin_ids)."""

    async def __call__(
        self, event: TelegramObject, event_from_user: User | None = None,
        admin_ids: frozenset[int] = frozenset(),
    ) -> bool:
        return event_from_user is not None and event_from_user.id in admin_ids


# every command the admin bot answers: the menu's and /start
COMMANDS = frozenset({"start", *(name for name, _text in COMMAND_MENU)})


class TypedInput(BaseFilter):
    """Passes a message that is input for the step the admin is in, not one of the bot's
    commands: a command typed in the middle of a flow reaches its own handler."""

    async def __call__(self, message: Message) -> bool:
        text = (message.text or message.caption or "").strip()
        if not text.startswith("/"):
            return True
        name = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""
        return name not in COMMANDS
