"""The audit log as admins read it: what was done, by whom, to what."""

from __future__ import annotations

from html import escape
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from bot.i18n import _, __
from bot.text.format import quoted, when
from bot.views.labels import booking_status

ACTIONS = {
    "broadcast.send": __("рассылка отправлена"), "broadcast.schedule": __("рассылка запланирована"),
    "broadcast.pause": __("рассылка на паузе"), "broadcast.resume": __("рассылка продолжена"),
    "broadcast.cancel": __("рассылка отменена"), "broadcast.recall": __("рассылка отозвана"),
    "broadcast.reschedule": __("рассылка перенесена"), "broadcast.edit": __("рассылка изменена"),
    "broadcast.resend": __("рассылка повторена"),
    "user.change_stream": __("смена потока"), "booking.status": __("статус брони"),
    "stream.add": __("новый поток"), "stream.rename": __("поток переименован"),
    "stream.archive": __("поток в архиве"), "event_label.set": __("название события"),
}


def _booking_status(value: object) -> str:
    label = booking_status(value)
    return str(label.one) if label else "?"


def _details(action: str, details: dict[str, Any]) -> str:
    if action == "user.change_stream":
        return _("бронь #{id}: {before} → {after}").format(
            id=details.get("booking_id"), before=details.get("from"), after=details.get("to"))
    if action == "booking.status":
        return _("бронь #{id}: {before} → {after}").format(
            id=details.get("booking_id"), before=_booking_status(details.get("from")),
            after=_booking_status(details.get("to")))
    if action in ("stream.rename", "event_label.set"):
        before = details.get("from")
        after = quoted(str(details.get("to")))
        return f"{quoted(str(before))} → {after}" if before else after
    if "recipients" in details:
        return _("получателей: {count}").format(count=details["recipients"])
    return ", ".join(f"{k}: {v}" for k, v in details.items() if not isinstance(v, (dict, list)))


def journal(rows: list[asyncpg.Record], admin_id: int, page: int, pages: int,
            tz: ZoneInfo) -> str:
    head = _("📜 <b>Журнал действий</b>")
    if admin_id:
        head += _(" · админ {id}").format(id=admin_id)
    if pages > 1:
        head += _(" · стр. {page}/{pages}").format(page=page + 1, pages=pages)
    lines = [head, ""]
    for r in rows:
        what = ACTIONS.get(r["action"], r["action"])
        target = f" · {r['target']}" if r["target"] else ""
        detail = _details(r["action"], r["details"] or {})
        lines.append(f"{when(r['created_at'], tz)} · {r['admin_id']} · <b>{escape(what)}"
                     f"</b>{escape(target)}" + (f"\n    {escape(detail)}" if detail else ""))
    if not rows:
        lines.append(_("Записей нет."))
    return "\n".join(lines)
