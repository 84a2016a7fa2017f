"""Texts of a broadcast watched as it goes: its canary's figures and wait, why the canary or
the breaker paused it, quiet hours ahead of a send, and the settings on 🩺 Состояние."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import QuietHours, Safeguards
from bot.db.broadcasts import Broadcast
from bot.db.safeguards import CanaryFigures
from bot.enums import BroadcastStatus
from bot.i18n import _, ngettext
from bot.text.composer import SendPlan
from bot.text.format import decimal, number, when


def _share(part: float) -> str:
    return f"{decimal(100 * part)} %"


def _limit(percent: float) -> str:
    """BREAKER_FAIL_PERCENT as set: 5, or 2,5."""
    return decimal(percent, 0 if percent == int(percent) else 1)


def canary_figures(f: CanaryFigures) -> str:
    return _("доставлено {sent} · заблокировали {blocked} · ошибки {failed} · клики {clicks}"
             ).format(sent=number(f.sent), blocked=number(f.blocked),
                      failed=number(f.failed), clicks=number(f.clicks))


def canary_lines(b: Broadcast, f: CanaryFigures, tz: ZoneInfo | None) -> list[str]:
    """While the canary goes and waits: its figures, and when the rest goes."""
    rest = number(max(b.total - f.size, 0))
    if b.canary_phase == "sending":
        return [_("🐤 Сначала проверка: случайные получатели, {size} из {total} — {figures}. "
                  "Остальным ({rest}) — после неё.").format(
            size=number(f.size), total=number(b.total), figures=canary_figures(f), rest=rest)]
    if b.canary_phase != "waiting" or b.status != BroadcastStatus.SENDING:
        return [_("🐤 Проверка ({size} из {total}): {figures}").format(
            size=number(f.size), total=number(b.total), figures=canary_figures(f))]
    moment = (_("в {moment}").format(moment=when(b.canary_until, tz))
              if tz is not None and b.canary_until else _("после паузы"))
    return [_("🐤 Проверка ({size} из {total}): {figures}").format(
                size=number(f.size), total=number(b.total), figures=canary_figures(f)),
            _("⏳ Остальным ({rest}) отправлю {moment}, если заблокировавших и ошибок не "
              "слишком много. «▶️ Продолжить» — отправить сейчас, «✖️ Отменить» — не "
              "отправлять остальным.").format(rest=rest, moment=moment)]


def _usual(note: dict[str, Any]) -> str:
    if note.get("usual") is None:
        return _("прошлых рассылок этой аудитории нет, сравнить не с чем")
    return _("обычно у этой аудитории {share}").format(share=_share(float(note["usual"])))


def stop_reason(b: Broadcast) -> str | None:
    """Why the canary or the breaker paused the broadcast, with the numbers (None: they
    did not)."""
    note = b.stop_note
    if b.status != BroadcastStatus.PAUSED or not note:
        return None
    blocked, failed, seen = int(note["blocked"]), int(note["failed"]), int(note["seen"])
    figures = dict(bad=number(blocked + failed), seen=number(seen),
                   share=_share((blocked + failed) / seen if seen else 0.0),
                   blocked=number(blocked), failed=number(failed), usual=_usual(note),
                   limit=_limit(float(note["limit"])))
    if note.get("by") == "canary":
        return _("🛑 Проверка остановила рассылку: не дошло {bad} из {seen} ({share}; "
                 "заблокировали {blocked}, ошибки {failed}), {usual}, порог {limit} %. "
                 "Остальным не отправлено: «▶️ Продолжить» — отправить им, «✖️ Отменить» — "
                 "нет.").format(**figures)
    return _("🛑 Предохранитель поставил рассылку на паузу: из последних результатов не дошло "
             "{bad} из {seen} ({share}; заблокировали {blocked}, ошибки {failed}), {usual}, "
             "порог {limit} %. «▶️ Продолжить» — отправлять дальше.").format(**figures)


def card_line(b: Broadcast) -> str | None:
    """The history card's line on the canary or the breaker (None: neither had a say)."""
    states = {"sending": _("идёт"), "waiting": _("ждёт, остальным ещё не отправлено"),
              "stopped": _("остановила рассылку"), "passed": _("пройдена, остальным отправлено")}
    if b.status == BroadcastStatus.CANCELLED and b.canary_phase in ("sending", "waiting"):
        states[b.canary_phase] = _("прервана: рассылка отменена, остальным не отправлено")
    if b.canary_phase in states:
        return _("🐤 Сначала проверка: первыми получили {size}; проверка {state}").format(
            size=number(b.canary_size), state=states[b.canary_phase])
    note = b.stop_note
    if b.status == BroadcastStatus.PAUSED and note and note.get("by") == "breaker":
        return _("🛑 Предохранитель поставил на паузу: не дошло {bad} из {seen}").format(
            bad=number(int(note["blocked"]) + int(note["failed"])), seen=number(int(note["seen"])))
    return None


def quiet_reached(quiet: QuietHours | None, now: datetime | None, seconds: float,
                  tz: ZoneInfo | None) -> str | None:
    """Quiet hours begin before a send of `seconds` from `now` is over: the rest waits."""
    span = quiet.reached(now, seconds, tz) if quiet and now and tz else None
    return quiet_ahead(span, tz) if span and tz else None


def quiet_ahead(span: tuple[datetime, datetime], tz: ZoneInfo) -> str:
    return _("🌙 в {start} начнутся тихие часы: остальное уйдёт после {end}").format(
        start=when(span[0], tz), end=when(span[1], tz))


def _pause(minutes: float) -> str:
    if not minutes:
        return _("без паузы")
    if minutes != int(minutes):
        return _("затем пауза {minutes} мин.").format(minutes=decimal(minutes))
    return ngettext("затем пауза {minutes} минута", "затем пауза {minutes} минут",
                    int(minutes)).format(minutes=int(minutes))


def before_send(plan: SendPlan, tz: ZoneInfo) -> list[str]:
    """What the send confirmation says of the canary and of quiet hours ahead."""
    lines = []
    if plan.canary:
        lines.append(_("🐤 Сначала проверка: случайные получатели ({count}), {wait}; остальным "
                       "— если заблокировавших и ошибок не слишком много").format(
            count=number(plan.canary), wait=_pause(plan.wait_minutes)))
    if plan.quiet:
        lines.append(quiet_ahead(plan.quiet, tz))
    return lines


def rules(guards: Safeguards) -> list[str]:
    """The canary and the breaker as 🩺 Состояние shows them."""
    wait = _pause(guards.canary_wait_minutes)
    return [
        ngettext("Проверка: рассылка от {count} получателя сначала уходит 2 % из них (от 50 "
                 "до 500), {wait} (CANARY_MIN_AUDIENCE, CANARY_WAIT_MINUTES)",
                 "Проверка: рассылка от {count} получателей сначала уходит 2 % из них (от 50 "
                 "до 500), {wait} (CANARY_MIN_AUDIENCE, CANARY_WAIT_MINUTES)",
                 guards.canary_min_audience).format(count=number(guards.canary_min_audience),
                                                    wait=wait)
        if guards.canary_min_audience else _("Проверка: выключена (CANARY_MIN_AUDIENCE=off)"),
        _("Предохранитель: пауза, когда заблокировавших и ошибок среди последних результатов "
          "больше {limit} % и заметно больше обычного для аудитории (BREAKER_FAIL_PERCENT)"
          ).format(limit=_limit(guards.fail_percent))
        if guards.fail_percent else _("Предохранитель: выключен (BREAKER_FAIL_PERCENT=off)"),
    ]
