"""The audit log as admins read it: what was done, by whom, to what."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from bot.db.broadcasts import Broadcast
from bot.i18n import _, __
from bot.text.format import clip, quoted, when
from bot.views.broadcast import first_line
from bot.views.labels import booking_status
from bot.views.users import label as person_label

ACTIONS = {
    "broadcast.send": __("рассылка отправлена"), "broadcast.schedule": __("рассылка запланирована"),
    "broadcast.pause": __("рассылка на паузе"), "broadcast.resume": __("рассылка продолжена"),
    "broadcast.cancel": __("рассылка отменена"), "broadcast.recall": __("рассылка отозвана"),
    "broadcast.reschedule": __("рассылка перенесена"), "broadcast.edit": __("рассылка изменена"),
    "broadcast.resend": __("рассылка повторена"),
    "broadcast.capped": __("лимит частоты: пропущены"),
    "broadcast.cap_override": __("лимит частоты снят автором"),
    "broadcast.quiet_pause": __("тихие часы: рассылка ждёт"),
    "broadcast.quiet_resume": __("тихие часы кончились: рассылка продолжена"),
    "broadcast.quiet_override": __("отправка в тихие часы"),
    "broadcast.fix": __("исправление у получателей"),
    "broadcast.fixed": __("исправление разослано"),
    "broadcast.offer_ended": __("срок предложения вышел: кнопка снята"),
    "broadcast.canary_start": __("сначала проверка на части аудитории"),
    "broadcast.canary_pass": __("проверка пройдена: рассылка продолжена"),
    "broadcast.canary_go": __("после проверки продолжена автором"),
    "broadcast.canary_stop": __("проверка остановила рассылку"),
    "broadcast.breaker_trip": __("предохранитель: рассылка на паузе"),
    "user.unsubscribe": __("отписка от рассылок"),
    "user.resubscribe": __("рассылки возвращены"),
    "user.change_stream": __("смена потока"), "booking.status": __("статус брони"),
    "stream.add": __("новый поток"), "stream.rename": __("поток переименован"),
    "stream.archive": __("поток в архиве"), "event_label.set": __("название события"),
    "series.create": __("повторяющаяся рассылка создана"),
    "series.pause": __("повторяющаяся на паузе"), "series.resume": __("повторяющаяся продолжена"),
    "series.skip": __("повторяющаяся: следующую пропустить"),
    "series.unskip": __("повторяющаяся: следующую не пропускать"),
    "series.edit": __("повторяющаяся: новый текст"),
    "series.edit_rule": __("повторяющаяся: новое время"),
    "series.stop": __("повторяющаяся остановлена"),
    "series.sent": __("повторяющаяся: очередная отправлена"),
    "series.skipped": __("повторяющаяся: очередная пропущена"),
    "series.missed": __("повторяющаяся: пропущена, бот не работал"),
    "series.ended": __("повторяющаяся завершилась"),
    "team.add": __("в команде новый человек"), "team.role": __("роль изменена"),
    "team.remove": __("убран из команды"), "team.setting": __("настройка команды"),
    "broadcast.submit": __("рассылка отправлена на одобрение"),
    "broadcast.approve": __("рассылка одобрена"),
    "broadcast.reject": __("рассылка отклонена"),
}
# actions whose target is a user id; a stream's code
PERSON_ACTIONS = {"user.change_stream", "booking.status", "user.unsubscribe",
                  "user.resubscribe"}
# entries with admin id 0 that no schedule made: the student's own button, the quiet hours
BY_RECIPIENT = {"user.unsubscribe", "user.resubscribe"}
BY_QUIET_HOURS = {"broadcast.quiet_pause", "broadcast.quiet_resume"}
BY_SAFEGUARDS = {"broadcast.canary_pass", "broadcast.canary_stop", "broadcast.breaker_trip"}
STREAM_ACTIONS = {"stream.add", "stream.rename", "stream.archive"}


@dataclass(frozen=True)
class JournalNames:
    """What the journal's ids and codes stand for: people (admins and users) by id as
    (name, @username), broadcasts by id, stream titles by code."""

    people: Mapping[int, tuple[str | None, str | None]] = field(default_factory=dict)
    broadcasts: Mapping[int, Broadcast] = field(default_factory=dict)
    streams: Mapping[str, str] = field(default_factory=dict)


def broadcast_ids(rows: list[asyncpg.Record]) -> list[int]:
    """The broadcasts the entries are about (their target is "broadcast:<id>")."""
    return sorted({int(r["target"].split(":", 1)[1]) for r in rows
                   if (r["target"] or "").startswith("broadcast:")
                   and r["target"].split(":", 1)[1].isdigit()})


def user_ids(rows: list[asyncpg.Record]) -> list[int]:
    """The admins who made the entries and the users they are about."""
    ids = {r["admin_id"] for r in rows}
    ids |= {int(r["target"]) for r in rows
            if r["action"] in PERSON_ACTIONS and (r["target"] or "").lstrip("-").isdigit()}
    ids |= {int(r["target"][5:]) for r in rows if (r["target"] or "").startswith("user:")
            and r["target"][5:].isdigit()}  # a member of the team
    return sorted(ids)


def admin_name(admin_id: int, names: JournalNames) -> str:
    """An admin by name (their @username, their id when the bot knows neither); 0 is the
    scheduler, which starts scheduled broadcasts."""
    if admin_id == 0:
        return _("⏰ по расписанию")
    name, username = names.people.get(admin_id, (None, None))
    return clip(name or (f"@{username}" if username else str(admin_id)), 32)


def _who(action: str, admin_id: int, names: JournalNames) -> str:
    """Who made the entry: an admin, the scheduler, or (id 0 as well) the student themselves
    or the quiet hours."""
    if admin_id == 0 and action in BY_RECIPIENT:
        return _("🙋 сам получатель")
    if admin_id == 0 and action in BY_QUIET_HOURS:
        return _("🌙 тихие часы")
    if admin_id == 0 and action in BY_SAFEGUARDS:
        return _("🛡 защита рассылки")
    return admin_name(admin_id, names)


def _target(action: str, target: str, names: JournalNames) -> str:
    if target.startswith("broadcast:") and target[10:].isdigit():
        broadcast = names.broadcasts.get(int(target[10:]))
        if broadcast is None:
            return _("рассылка #{id}").format(id=target[10:])
        return _("рассылка #{id} {text}").format(id=broadcast.id,
                                                 text=quoted(first_line(broadcast, 40)))
    person = target[5:] if target.startswith("user:") else target
    if (action in PERSON_ACTIONS or person != target) and person.lstrip("-").isdigit():
        name, username = names.people.get(int(person), (None, None))
        return person_label(int(person), name, username)
    if action in STREAM_ACTIONS:
        return names.streams.get(target, target)
    if target.startswith("series:"):
        return _("повторяющаяся #{id}").format(id=target[7:])
    return target  # an event's code (its names are in the details), or anything else as written


def _stream(code: object, names: JournalNames) -> str:
    return names.streams.get(str(code), str(code)) if code else "—"


def _booking_status(value: object) -> str:
    label = booking_status(value)
    return str(label.one) if label else "?"


def _details(action: str, details: dict[str, Any], names: JournalNames) -> str:
    if action == "user.change_stream":
        return _("бронь #{id}: {before} → {after}").format(
            id=details.get("booking_id"), before=_stream(details.get("from"), names),
            after=_stream(details.get("to"), names))
    if action == "booking.status":
        return _("бронь #{id}: {before} → {after}").format(
            id=details.get("booking_id"), before=_booking_status(details.get("from")),
            after=_booking_status(details.get("to")))
    if action in ("stream.rename", "event_label.set"):
        before = details.get("from")
        after = quoted(str(details.get("to")))
        return f"{quoted(str(before))} → {after}" if before else after
    if action == "user.resubscribe" and details.get("reason"):
        return _("причина: {reason}").format(reason=details["reason"])
    if action == "broadcast.capped":
        return _("пропущено {count} (не больше {cap})").format(
            count=details.get("skipped"), cap=details.get("cap"))
    if action == "broadcast.fix":
        changed = {"text": _("текст"), "buttons": _("кнопки"), "both": _("текст и кнопки")}
        return _("версия {version}: {what}, копий: {count}").format(
            version=details.get("version"), what=changed.get(details.get("change", ""), "?"),
            count=details.get("copies"))
    if action == "broadcast.fixed":
        return _("исправлено: {edited}, старше 48 часов: {too_old}, не удалось: {failed}").format(
            edited=details.get("edited"), too_old=details.get("too_old"),
            failed=details.get("failed"))
    if action in ("broadcast.canary_stop", "broadcast.breaker_trip"):
        return _("не дошло {bad} из {seen}: заблокировали {blocked}, ошибки {failed}").format(
            bad=int(details.get("blocked", 0)) + int(details.get("failed", 0)),
            seen=details.get("seen"), blocked=details.get("blocked"),
            failed=details.get("failed"))
    if action in ("broadcast.canary_pass", "broadcast.canary_go"):
        return _("проверка: {canary}, доставлено {sent}, заблокировали {blocked}, ошибки "
                 "{failed}, клики {clicks}").format(**{k: details.get(k) for k in (
                     "canary", "sent", "blocked", "failed", "clicks")})
    if action == "broadcast.canary_start":
        return _("проверка: {canary} из {recipients}").format(
            canary=details.get("canary"), recipients=details.get("recipients"))
    if "recipients" in details:
        return _("получателей: {count}").format(count=details["recipients"])
    if action.startswith("series."):  # its times and rule are in the details, for reading
        return _("рассылка #{id}").format(id=details["broadcast"]) \
            if details.get("broadcast") else ""
    return ", ".join(f"{k}: {v}" for k, v in details.items() if not isinstance(v, (dict, list)))


def journal(rows: list[asyncpg.Record], admin_id: int, page: int, pages: int,
            tz: ZoneInfo, names: JournalNames) -> str:
    head = _("📜 <b>Журнал действий</b>")
    if admin_id:
        head += f" · {escape(admin_name(admin_id, names))}"
    if pages > 1:
        head += _(" · стр. {page}/{pages}").format(page=page + 1, pages=pages)
    lines = [head, ""]
    for r in rows:
        what = ACTIONS.get(r["action"], r["action"])
        target = f" · {_target(r['action'], r['target'], names)}" if r["target"] else ""
        detail = _details(r["action"], r["details"] or {}, names)
        lines.append(f"{when(r['created_at'], tz)} · {escape(_who(r['action'], r['admin_id'], names))}"
                     f" · <b>{escape(str(what))}</b>{escape(target)}"
                     + (f"\n    {escape(detail)}" if detail else ""))
    if not rows:
        lines.append(_("Записей нет."))
    return "\n".join(lines)
