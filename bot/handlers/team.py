"""/team and the menu's 👮 (owners only): who is on the team with what role; add someone (by
id, @username or a forwarded message), change a role, remove (asks first); the team's
settings: viewers' exports of personal data, approval of big broadcasts."""

from __future__ import annotations

import re

import asyncpg
from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery, Message, MessageOriginChannel, MessageOriginChat, MessageOriginHiddenUser,
    MessageOriginUser,
)

from bot.commands import set_commands
from bot.config import Settings, parse_approval_min_audience
from bot.db import audit
from bot.db import team as team_db
from bot.enums import Role
from bot.filters import TypedInput
from bot.handlers.common import read_text
from bot.keyboards import team as kb
from bot.keyboards.menu import MenuCallback, Section
from bot.keyboards.team import TeamAction, TeamCallback
from bot.services.team import APPROVAL_MIN_AUDIENCE, OWNER_ALONE, VIEWERS_EXPORT, Team
from bot.views import team as views
from bot.views.screen import Screen, answer_screen, show_screen

USERNAME = re.compile(r"^@?([A-Za-z][A-Za-z0-9_]{3,31})$")


class TeamEdit(StatesGroup):
    who = State()        # an id, @username or a forwarded message
    threshold = State()  # the approval threshold


async def team_screen(pool: asyncpg.Pool, team: Team) -> Screen:
    members = await team.members()
    owners = sorted(team.owners)
    names = await audit.names_of(pool, [*owners, *(m.user_id for m in members)])
    found = await team.settings()
    text = views.team_screen(owners, members, names, found.viewers_export,
                             found.approval_min_audience, found.approval_overridden,
                             found.owner_alone)
    labels = [(m.user_id, f"{views.person(m.user_id, names, m.name)} · "
                          f"{views.role_name(m.role)}") for m in members]
    approval = str(found.approval_min_audience) if found.approval_min_audience else "off"
    return Screen(text, kb.team(labels, found.viewers_export, approval, found.owner_alone))


async def command(message: Message, state: FSMContext, pool: asyncpg.Pool, team: Team) -> None:
    await state.clear()
    await answer_screen(message, await team_screen(pool, team))


async def open_team(callback: CallbackQuery, state: FSMContext, pool: asyncpg.Pool,
                    team: Team) -> None:
    await callback.answer()
    await state.clear()
    await show_screen(callback, await team_screen(pool, team))


async def who_is(pool: asyncpg.Pool, user_id: int, stored: str | None = None) -> str:
    return views.person(user_id, await audit.names_of(pool, [user_id]), stored)


# ---- adding someone ---------------------------------------------------------------------

async def ask_who(callback: CallbackQuery, state: FSMContext) -> None:
    await callback.answer()
    await state.set_state(TeamEdit.who)
    await show_screen(callback, Screen(views.ask_who(), kb.typing_step()))


async def find_person(message: Message, pool: asyncpg.Pool) -> tuple[int, str | None]:
    """Whom the owner means: a forwarded message's sender, an id or an @username. A
    ValueError says why no one was found."""
    origin = message.forward_origin
    if isinstance(origin, MessageOriginUser):
        return origin.sender_user.id, origin.sender_user.full_name
    if isinstance(origin, MessageOriginHiddenUser):
        raise ValueError(views.hidden_forward(origin.sender_user_name))
    if isinstance(origin, (MessageOriginChat, MessageOriginChannel)):
        raise ValueError(views.not_a_person())
    text = (message.text or "").strip()
    if re.fullmatch(r"\d{1,15}", text):
        return int(text), None
    match = USERNAME.match(text)
    if match is None:
        raise ValueError(views.bad_who())
    found = await team_db.find_username(pool, match.group(1))
    if found is None:
        raise ValueError(views.unknown_username(match.group(1)))
    return found.user_id, found.name


async def take_who(message: Message, state: FSMContext, pool: asyncpg.Pool,
                   team: Team) -> None:
    try:
        user_id, name = await find_person(message, pool)
    except ValueError as exc:
        await message.answer(str(exc), reply_markup=kb.typing_step())
        return
    who = await who_is(pool, user_id, name)
    role = await team.role_of(user_id)
    if user_id in team.owners:
        await message.answer(views.fixed_owner(who), reply_markup=kb.typing_step())
    elif role is not None:
        await state.clear()
        await message.answer(views.already_member(who, role))
        await answer_screen(message, await team_screen(pool, team))
    else:
        await state.update_data(name=name)
        await message.answer(views.pick_role(who), reply_markup=kb.pick_role(user_id))


async def add(callback: CallbackQuery, callback_data: TeamCallback, state: FSMContext,
              pool: asyncpg.Pool, team: Team, bot: Bot) -> None:
    user_id, role = callback_data.user_id, callback_data.role or Role.VIEWER
    name = (await state.get_data()).get("name")
    who = await who_is(pool, user_id, name)
    if user_id in team.owners:
        await callback.answer(views.fixed_owner(who), show_alert=True)
        return
    if await team.add(user_id, role, callback.from_user.id, name):
        note = views.added(who, role)
        await set_commands(bot, user_id, role)
    else:  # added meanwhile (another owner, a second tap)
        note = views.already_member(who, await team.role_of(user_id) or role)
    await callback.answer()
    await state.clear()
    await show_screen(callback, (await team_screen(pool, team)).under(note))


# ---- a member: role, removal --------------------------------------------------------------

async def member_screen(pool: asyncpg.Pool, team: Team, settings: Settings, user_id: int
                        ) -> Screen | None:
    member = next((m for m in await team.members() if m.user_id == user_id), None)
    if member is None:
        return None
    names = await audit.names_of(pool, [user_id, member.added_by])
    text = views.member_card(member, names, views.person(member.added_by, names), settings.tz)
    return Screen(text, kb.member(user_id, member.role))


async def _changeable(callback: CallbackQuery, pool: asyncpg.Pool, team: Team,
                      settings: Settings, user_id: int) -> Screen | None:
    """The member's card if the bot may change them; else the owner is told why."""
    if user_id in team.owners:
        await callback.answer(views.fixed_owner(await who_is(pool, user_id)), show_alert=True)
        return None
    screen = await member_screen(pool, team, settings, user_id)
    if screen is None:
        await callback.answer(views.not_member(), show_alert=True)
        await show_screen(callback, await team_screen(pool, team))
    return screen


async def open_member(callback: CallbackQuery, callback_data: TeamCallback, pool: asyncpg.Pool,
                      team: Team, settings: Settings) -> None:
    screen = await _changeable(callback, pool, team, settings, callback_data.user_id)
    if screen is not None:
        await callback.answer()
        await show_screen(callback, screen)


async def change_role(callback: CallbackQuery, callback_data: TeamCallback, pool: asyncpg.Pool,
                      team: Team, settings: Settings, bot: Bot) -> None:
    user_id, role = callback_data.user_id, callback_data.role
    if await _changeable(callback, pool, team, settings, user_id) is None or role is None:
        return
    if await team.set_role(user_id, role, callback.from_user.id) is not None:
        await set_commands(bot, user_id, role)
    await callback.answer(views.role_changed(role))
    screen = await member_screen(pool, team, settings, user_id)
    if screen is not None:
        await show_screen(callback, screen)


async def ask_remove(callback: CallbackQuery, callback_data: TeamCallback, pool: asyncpg.Pool,
                     team: Team, settings: Settings) -> None:
    user_id = callback_data.user_id
    if await _changeable(callback, pool, team, settings, user_id) is None:
        return
    await callback.answer()
    await show_screen(callback, Screen(views.ask_remove(await who_is(pool, user_id)),
                                       kb.confirm_remove(user_id)))


async def remove(callback: CallbackQuery, callback_data: TeamCallback, pool: asyncpg.Pool,
                 team: Team, settings: Settings, bot: Bot) -> None:
    user_id = callback_data.user_id
    if await _changeable(callback, pool, team, settings, user_id) is None:
        return
    who = await who_is(pool, user_id)
    if await team.remove(user_id, callback.from_user.id) is not None:
        await set_commands(bot, user_id, None)
    await callback.answer()
    await show_screen(callback, (await team_screen(pool, team)).under(views.removed(who)))


# ---- the team's settings ------------------------------------------------------------------

async def switch(callback: CallbackQuery, callback_data: TeamCallback, pool: asyncpg.Pool,
                 team: Team) -> None:
    found = await team.settings()
    key, now = (VIEWERS_EXPORT, found.viewers_export) \
        if callback_data.action is TeamAction.EXPORT else (OWNER_ALONE, found.owner_alone)
    await team.put_setting(key, not now, callback.from_user.id)
    await callback.answer()
    await show_screen(callback, await team_screen(pool, team))


async def ask_threshold(callback: CallbackQuery, state: FSMContext, team: Team) -> None:
    await callback.answer()
    await state.set_state(TeamEdit.threshold)
    await show_screen(callback, Screen(views.ask_threshold(
        (await team.settings()).approval_min_audience), kb.typing_step()))


def _threshold(text: str) -> int:
    try:
        return parse_approval_min_audience(text) or 0
    except ValueError:
        raise ValueError(views.bad_threshold()) from None


async def take_threshold(message: Message, state: FSMContext, pool: asyncpg.Pool,
                         team: Team) -> None:
    assert message.from_user is not None
    size = await read_text(message, _threshold, kb.typing_step())
    if size is None:
        return
    await team.put_setting(APPROVAL_MIN_AUDIENCE, size, message.from_user.id)
    await state.clear()
    await answer_screen(message, await team_screen(pool, team))


def create_router() -> Router:
    router = Router(name="team")
    router.message.register(command, Command("team"))
    router.callback_query.register(open_team, MenuCallback.filter(F.section == Section.TEAM))
    on = TeamCallback.filter
    router.callback_query.register(open_team, on(F.action == TeamAction.LIST))
    router.callback_query.register(ask_who, on(F.action == TeamAction.ADD))
    router.callback_query.register(add, on(F.action == TeamAction.PICK))
    router.callback_query.register(open_member, on(F.action == TeamAction.OPEN))
    router.callback_query.register(change_role, on(F.action == TeamAction.ROLE))
    router.callback_query.register(ask_remove, on(F.action == TeamAction.REMOVE))
    router.callback_query.register(remove, on(F.action == TeamAction.REMOVE_OK))
    router.callback_query.register(switch, on(F.action.in_({TeamAction.EXPORT,
                                                             TeamAction.ALONE})))
    router.callback_query.register(ask_threshold, on(F.action == TeamAction.APPROVAL))
    router.message.register(take_who, TeamEdit.who, TypedInput())
    router.message.register(take_threshold, TeamEdit.threshold, F.text, TypedInput())
    return router
