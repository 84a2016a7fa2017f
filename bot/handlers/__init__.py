"""Routers, grouped by who may use them: the admin filter sits on the admin router."""

from __future__ import annotations

from aiogram import Router

from bot.filters import AdminFilter
from bot.handlers import (
    audit, broadcast, compose, compose_repeat, compose_send, digest, edit_sent, errors,
    event_labels, fallback, guest, history, menu, outcomes, people_lists, reachability, scheduled,
    series, series_rule, stats, streams, user_actions, users,
)


def create_routers(one_bot: bool) -> list[Router]:
    """Fresh routers for one dispatcher (a router can belong to one parent only).
    `one_bot`: the admin bot is also the broadcast bot, so it hears blocks and unblocks."""
    admin = Router(name="admin")
    admin.message.filter(AdminFilter())
    admin.callback_query.filter(AdminFilter())
    admin.include_routers(users.create_router(),  # before menu: /start u<id> opens a card
                          menu.create_router(), stats.create_router(), digest.create_router(),
                          event_labels.create_router(),
                          user_actions.create_router(),
                          people_lists.create_router(), streams.create_router(),
                          audit.create_router(),
                          compose.create_router(),
                          compose_repeat.create_router(),  # before compose_send's stale buttons
                          compose_send.create_router(), scheduled.create_router(),
                          series.create_router(), series_rule.create_router(),
                          history.create_router(), edit_sent.create_router(),
                          outcomes.create_router(), broadcast.create_router(),
                          fallback.create_router())  # fallback last
    routers = [errors.create_router(), admin]
    if one_bot:
        routers.append(reachability.create_router())
    # strangers last: anything the admin routers did not take
    return [*routers, guest.create_router()]
