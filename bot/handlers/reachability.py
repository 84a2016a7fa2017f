"""With one bot for both roles, Telegram tells it who blocks and unblocks it: keep the
unreachable-users table current both ways."""

from __future__ import annotations

import asyncpg
from aiogram import Router
from aiogram.filters import KICKED, MEMBER, ChatMemberUpdatedFilter
from aiogram.types import ChatMemberUpdated

from bot.db import reachability as db


async def blocked(event: ChatMemberUpdated, pool: asyncpg.Pool) -> None:
    await db.mark_unreachable(pool, [event.from_user.id], ["blocked the bot"])


async def unblocked(event: ChatMemberUpdated, pool: asyncpg.Pool) -> None:
    await db.mark_reachable(pool, event.from_user.id)


def create_router() -> Router:
    router = Router(name="reachability")
    router.my_chat_member.register(blocked, ChatMemberUpdatedFilter(member_status_changed=KICKED))
    router.my_chat_member.register(unblocked, ChatMemberUpdatedFilter(member_status_changed=MEMBER))
    return router
