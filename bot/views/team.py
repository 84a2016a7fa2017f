"""Texts of the team: the 👮 screen, a member's card, adding someone, the refusal for a role
that may not do something."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from zoneinfo import ZoneInfo

from bot.db.team import Member
from bot.enums import Role
from bot.i18n import _, __, ngettext
from bot.text.format import number, when

ROLE_NAMES = {Role.OWNER: __("Владелец"), Role.EDITOR: __("Редактор"),
              Role.VIEWER: __("Наблюдатель")}
ROLE_GROUPS = {Role.OWNER: __("Владельцы"), Role.EDITOR: __("Редакторы"),
               Role.VIEWER: __("Наблюдатели")}
ROLE_RIGHTS = {
    Role.OWNER: __("всё, и эта страница команды"),
    Role.EDITOR: __("всё, кроме страницы команды"),
    Role.VIEWER: __("статистика, пользователи и история; ничего не меняет"),
}

Names = Mapping[int, tuple[str | None, str | None]]  # id -> (name, @username)


def refused() -> str:
    """A button or command the sender's role may not use."""
    return _("Недостаточно прав")


def role_name(role: Role) -> str:
    return str(ROLE_NAMES[role])


def person(user_id: int, names: Names, stored: str | None = None) -> str:
    """A person as plain text: name (@username) · id."""
    name, username = names.get(user_id, (None, None))
    name = name or stored
    parts = [name or ""] + ([f"(@{username})"] if username else [])
    label = " ".join(p for p in parts if p)
    return f"{label} · {user_id}" if label else str(user_id)


def approval_line(threshold: int | None, overridden: bool) -> str:
    source = _("задано здесь") if overridden else "APPROVAL_MIN_AUDIENCE"
    if threshold is None:
        return _("Одобрение больших рассылок: выключено ({source})").format(source=source)
    return ngettext("Одобрение: рассылки от {count} получателя и «всем» ждут второго ({source})",
                    "Одобрение: рассылки от {count} получателей и «всем» ждут второго ({source})",
                    threshold).format(count=number(threshold), source=source)


def team_screen(owners: list[int], members: list[Member], names: Names, viewers_export: bool,
                threshold: int | None, overridden: bool, owner_alone: bool) -> str:
    lines = [_("<b>👮 Команда</b>")]
    for role in (Role.OWNER, Role.EDITOR, Role.VIEWER):
        people = [escape(person(m.user_id, names, m.name)) for m in members if m.role is role]
        if role is Role.OWNER:
            people = [escape(person(o, names)) + " " + _("(ADMIN_IDS)") for o in owners] + people
        lines += ["", f"<b>{ROLE_GROUPS[role]}</b> — {ROLE_RIGHTS[role]}"]
        lines += [f"• {p}" for p in people] or ["—"]
    yes, no = _("да"), _("нет")
    lines += ["", _("<b>Права и одобрение</b>"),
              _("Наблюдатели выгружают личные данные (CSV): {answer}").format(
                  answer=yes if viewers_export else no),
              escape(approval_line(threshold, overridden)),
              _("Владелец может отправить большую рассылку без одобрения: {answer}").format(
                  answer=yes if owner_alone else no)]
    return "\n".join(lines)


def member_card(member: Member, names: Names, added_by: str, tz: ZoneInfo) -> str:
    return "\n".join([
        _("<b>👮 {person}</b>").format(person=escape(person(member.user_id, names, member.name))),
        _("Роль: <b>{role}</b> — {rights}").format(role=role_name(member.role),
                                                  rights=ROLE_RIGHTS[member.role]),
        _("Добавил(а): {who}, {moment}").format(who=escape(added_by),
                                               moment=when(member.added_at, tz)),
    ])


def ask_who() -> str:
    return _("<b>Кого добавить?</b>\nПришлите числовой id, @username или перешлите сюда "
             "любое сообщение этого человека.")


def hidden_forward(name: str | None) -> str:
    return _("{name} скрывает свой аккаунт в пересланных сообщениях: по такому сообщению "
             "его не найти. Пришлите числовой id или @username.").format(
        name=escape(name) if name else _("Отправитель"))


def unknown_username(username: str) -> str:
    return _("@{username} мне не встречался: ни среди админов, ни среди пользователей "
             "платформы. Пришлите числовой id или перешлите сообщение этого человека.").format(
        username=escape(username))


def bad_who() -> str:
    return _("Это не похоже на id или @username. Пришлите числовой id (например, 123456789), "
             "@username или перешлите сообщение этого человека.")


def not_a_person() -> str:
    return _("Это сообщение переслано из канала или чата, а не от человека. Перешлите "
             "сообщение самого человека или пришлите его id.")


def fixed_owner(who: str) -> str:
    """An ADMIN_IDS owner: nothing about them changes from the bot."""
    return _("{who} — владелец из ADMIN_IDS: его роль задана в настройках сервера, из бота её "
             "не поменять и не убрать.").format(who=who)


def pick_role(who: str) -> str:
    return _("<b>Какую роль дать?</b>\n{who}").format(who=escape(who))


def already_member(who: str, role: Role) -> str:
    return _("{who} уже в команде: {role}.").format(who=escape(who), role=role_name(role))


def added(who: str, role: Role) -> str:
    return _("✅ {who} в команде: {role}.").format(who=escape(who), role=role_name(role))


def role_changed(role: Role) -> str:
    return _("Роль изменена: {role}.").format(role=role_name(role))


def ask_remove(who: str) -> str:
    return _("<b>Убрать из команды?</b>\n{who} сразу потеряет доступ к боту.").format(
        who=escape(who))


def removed(who: str) -> str:
    return _("🗑 {who} больше не в команде.").format(who=escape(who))


def not_member() -> str:
    return _("Этого человека уже нет в команде.")


def ask_threshold(threshold: int | None) -> str:
    now = number(threshold) if threshold is not None else _("выключено")
    return _("<b>Одобрение больших рассылок</b>\nСейчас: {now}.\n\nПришлите число получателей, "
             "начиная с которого рассылка ждёт одобрения второго редактора или владельца "
             "(рассылки «всем» ждут всегда), или <code>off</code>, чтобы выключить.").format(
        now=now)


def bad_threshold() -> str:
    return _("Пришлите целое число получателей (например, 100) или off.")

