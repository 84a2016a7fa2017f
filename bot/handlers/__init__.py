"""Routers, grouped by who may use them. Strangers never pass the team filter; within the
team, each group's gate lets through only the roles that reach it (viewers: statistics, users,
history; editors: everything but the team; owners: the team too), so a handler put in a group
cannot forget the check. A feature with both looking and changing has a router in each group."""

from __future__ import annotations


from aiogram import Router

from bot.access import Access
from bot.enums import Role
from bot.filters import TeamFilter
from bot.handlers import (
    approval, audit, broadcast, compose, compose_repeat, compose_send, digest, edit_sent, errors,
    event_labels, fallback, guest, history, menu, outcomes, people_lists, reachability, scheduled,
    series, series_rule, stats, streams, team, user_actions, users,
)
from bot.middlewares.team import RoleGate


def _group(name: str, gate: RoleGate, *routers: Router) -> Router:
    group = Router(name=name)
    group.message.middleware(gate)
    group.callback_query.middleware(gate)
    group.include_routers(*routers)
    return group


def _exports(found: Access) -> bool:
    return found.exports


def create_routers(one_bot: bool) -> list[Router]:
    """Fresh routers for one dispatcher (a router can belong to one parent only).
    `one_bot`: the admin bot is also the broadcast bot, so it hears blocks and unblocks."""
    viewers = _group("viewers", RoleGate.at_least(Role.VIEWER),
                     users.create_router(),  # before menu: /start u<id> opens a card
                     menu.create_router(), stats.create_router(), digest.create_router(),
                     event_labels.create_router(), people_lists.create_router(),
                     history.create_router(), outcomes.create_router())
    # personal data (CSV of users, registrants, recipients): viewers if the owners allow it
    exports = _group("exports", RoleGate("exports", _exports),
                     people_lists.create_export_router(), history.create_export_router())
    editors = _group("editors", RoleGate.at_least(Role.EDITOR),
                     event_labels.create_edit_router(), user_actions.create_router(),
                     streams.create_router(), audit.create_router(),
                     compose.create_router(),
                     compose_repeat.create_router(),  # before compose_send's stale buttons
                     compose_send.create_router(), scheduled.create_router(),
                     series.create_router(), series_rule.create_router(),
                     history.create_actions_router(),
                     edit_sent.create_router(), broadcast.create_router(),
                     approval.create_router())
    owners = _group("owners", RoleGate.at_least(Role.OWNER), team.create_router())
    members = Router(name="team_members")
    members.message.filter(TeamFilter())
    members.callback_query.filter(TeamFilter())
    members.include_routers(viewers, exports, editors, owners,
                            fallback.create_router())  # fallback last
    routers = [errors.create_router(), members]
    if one_bot:
        routers.append(reachability.create_router())
    # strangers last: anything the team's routers did not take
    return [*routers, guest.create_router()]
