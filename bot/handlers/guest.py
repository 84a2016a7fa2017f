"""Everyone who is not an admin: one polite line for /start, silence for the rest."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import CommandStart
from aiogram.types import Message

from bot.views.guest import guest_text


async def guest_start(message: Message) -> None:
    await message.answer(guest_text())


def create_router() -> Router:
    router = Router(name="guest")
    router.message.register(guest_start, CommandStart())
    # anything else from a stranger stays unhandled: no answer, a debug line in the log
    return router
