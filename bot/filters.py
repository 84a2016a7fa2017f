"""Who may use the bot: the security boundary is this filter on the team's routers (and, within
them, the role gates of bot/middlewares/team.py)."""

from __future__ import annotations

from aiogram.filters import BaseFilter
from aiogram.types import Message, TelegramObject

from bot.enums import Role
from bot.views.menu import COMMAND_MENU


class TeamFilter(BaseFilter):
    """Passes updates from members of the team (ADMIN_IDS and those the owners added), whose
    role the team middleware found."""

    async def __call__(self, event: TelegramObject, role: Role | None = None) -> bool:
        return role is not None


# every command the admin bot answers: the menu's and /start
COMMANDS = frozenset({"start", *(name for name, _text, _role in COMMAND_MENU)})


class TypedInput(BaseFilter):
    """Passes a message that is input for the step the admin is in, not one of the bot's
    commands: a command typed in the middle of a flow reaches its own handler."""

    async def __call__(self, message: Message) -> bool:
        text = (message.text or message.caption or "").strip()
        if not text.startswith("/"):
            return True
        name = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""
        return name not in COMMANDS
