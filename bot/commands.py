"""Each team member's command menu (set per chat): the commands their role may use, Russian by
default and in each other language the bot speaks for a Telegram set to it. The menu only
shows; the routers' gates guard access."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommandScopeChat

from bot.enums import Role
from bot.i18n import i18n, use_locale
from bot.views.menu import command_menu

log = logging.getLogger(__name__)


async def set_commands(bot: Bot, user_id: int, role: Role | None) -> None:
    """The menu of `role` in this person's chat; None (no longer on the team): none."""
    scope = BotCommandScopeChat(chat_id=user_id)
    languages = [(None, "ru")] + [(code, code) for code in i18n.available_locales if code != "ru"]
    try:
        for language_code, locale in languages:
            if role is None:
                await bot.delete_my_commands(scope=scope, language_code=language_code)
                continue
            with use_locale(locale):
                await bot.set_my_commands(command_menu(role), scope=scope,
                                          language_code=language_code)
    except TelegramAPIError as exc:  # someone who never opened the bot: "chat not found"
        log.warning("commands not set for a team member", extra={"user_id": user_id,
                                                                 "reason": exc.message})
