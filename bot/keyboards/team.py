"""Buttons of the team screen: members, adding one, a member's role, the team's settings."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.enums import Role
from bot.i18n import _
from bot.keyboards.fields import UserId
from bot.keyboards.menu import button, cancel_button, menu_button


class TeamAction(StrEnum):
    LIST = "list"
    ADD = "add"              # waits for an id, @username or a forwarded message
    PICK = "pick"            # the role of the person being added
    OPEN = "open"            # a member's card
    ROLE = "role"            # change a member's role
    REMOVE = "remove"        # asks first
    REMOVE_OK = "remove_ok"
    EXPORT = "export"        # viewers' exports of personal data: on/off
    APPROVAL = "approval"    # waits for the approval threshold
    ALONE = "alone"          # an owner sends a big broadcast alone: on/off


class TeamCallback(CallbackData, prefix="tm"):
    action: TeamAction = TeamAction.LIST
    user_id: UserId = 0
    role: Role | None = None


def team(members: list[tuple[int, str]], viewers_export: bool, approval: str,
         owner_alone: bool) -> InlineKeyboardMarkup:
    """members: (id, label) of those the bot may change (not ADMIN_IDS)."""
    on, off = _("вкл"), _("выкл")
    rows = [[button(label, TeamCallback(action=TeamAction.OPEN, user_id=user_id))]
            for user_id, label in members]
    rows += [
        [button(_("➕ Добавить"), TeamCallback(action=TeamAction.ADD))],
        [button(_("📄 CSV наблюдателям: {state}").format(state=on if viewers_export else off),
                TeamCallback(action=TeamAction.EXPORT))],
        [button(_("✅ Одобрение: {state}").format(state=approval),
                TeamCallback(action=TeamAction.APPROVAL))],
        [button(_("👑 Владелец без одобрения: {state}").format(state=on if owner_alone else off),
                TeamCallback(action=TeamAction.ALONE))],
        [button(_("🔄 Обновить"), TeamCallback()), menu_button()]]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _back() -> list[list[InlineKeyboardButton]]:
    return [[button(_("⬅️ К команде"), TeamCallback())]]


def roles_for(user_id: int, action: TeamAction, current: Role | None = None
              ) -> list[list[InlineKeyboardButton]]:
    names = {Role.OWNER: _("👑 Владелец"), Role.EDITOR: _("✏️ Редактор"),
             Role.VIEWER: _("👁 Наблюдатель")}
    return [[button(text, TeamCallback(action=action, user_id=user_id, role=role))]
            for role, text in names.items() if role is not current]


def pick_role(user_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        *roles_for(user_id, TeamAction.PICK), [cancel_button()]])


def member(user_id: int, role: Role) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        *roles_for(user_id, TeamAction.ROLE, role),
        [button(_("🗑 Убрать из команды"), TeamCallback(action=TeamAction.REMOVE,
                                                       user_id=user_id))],
        *_back()])


def confirm_remove(user_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [button(_("Да, убрать"), TeamCallback(action=TeamAction.REMOVE_OK, user_id=user_id))],
        [button(_("↩️ Нет, назад"), TeamCallback(action=TeamAction.OPEN, user_id=user_id))]])


def typing_step() -> InlineKeyboardMarkup:
    """Under a step that waits for typed text: back to the team, or leave the step."""
    return InlineKeyboardMarkup(inline_keyboard=[[button(_("⬅️ К команде"), TeamCallback()),
                                                  cancel_button()]])
