"""The audit log as admins read it: what was done, by whom, to what."""

from __future__ import annotations

from html import escape
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from bot.views.format import when

ACTIONS = {
    "broadcast.send": "рассылка отправлена", "broadcast.schedule": "рассылка запланирована",
    "broadcast.pause": "рассылка на паузе", "broadcast.resume": "рассылка продолжена",
    "broadcast.cancel": "рассылка отменена", "broadcast.recall": "рассылка отозвана",
    "broadcast.reschedule": "рассылка перенесена", "broadcast.edit": "рассылка изменена",
    "user.change_stream": "смена потока", "booking.status": "статус брони",
    "stream.add": "новый поток", "stream.rename": "поток переименован",
    "stream.archive": "поток в архиве",
}
STATUS = {2: "оплачена", 1: "ждёт оплаты", -1: "отменена"}


def _details(action: str, details: dict[str, Any]) -> str:
    if action == "user.change_stream":
        return f"бронь #{details.get('booking_id')}: {details.get('from')} → {details.get('to')}"
    if action == "booking.status":
        return (f"бронь #{details.get('booking_id')}: {STATUS.get(details.get('from'), '?')} → "
                f"{STATUS.get(details.get('to'), '?')}")
    if action == "stream.rename":
        return f"«{details.get('from')}» → «{details.get('to')}»"
    if "recipients" in details:
        return f"{details['recipients']} получателей"
    return ", ".join(f"{k}: {v}" for k, v in details.items() if not isinstance(v, (dict, list)))


def journal(rows: list[asyncpg.Record], admin_id: int, page: int, pages: int,
            tz: ZoneInfo) -> str:
    head = "📜 <b>Журнал действий</b>" + (f" · админ {admin_id}" if admin_id else "")
    lines = [head + (f" · стр. {page + 1}/{pages}" if pages > 1 else ""), ""]
    for r in rows:
        what = ACTIONS.get(r["action"], r["action"])
        target = f" · {r['target']}" if r["target"] else ""
        detail = _details(r["action"], r["details"] or {})
        lines.append(f"{when(r['created_at'], tz)} · {r['admin_id']} · <b>{escape(what)}"
                     f"</b>{escape(target)}" + (f"\n    {escape(detail)}" if detail else ""))
    if not rows:
        lines.append("Записей нет.")
    return "\n".join(lines)
