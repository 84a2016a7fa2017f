"""Texts of the scheduled broadcasts: the list, a broadcast's card, the time prompt."""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from bot.db.broadcasts import Broadcast
from bot.enums import BroadcastStatus
from bot.i18n import _, ngettext
from bot.text.when import examples
from bot.views.broadcast import first_line
from bot.text.format import number, quoted, when
from bot.views.labels import broadcast_status


def scheduled_list(items: list[tuple[Broadcast, str]], tz: ZoneInfo,
                   series: list[str] | None = None) -> str:
    """One-off broadcasts, after the recurring `series` (their lines, drawn up apart)."""
    if not items and not series:
        return _("<b>🕒 Запланированные рассылки</b>\n\nНичего не запланировано.")
    lines = [_("<b>🕒 Запланированные рассылки</b>"), "", *(series or [])]
    for b, audience in items:
        waits = " · " + str(broadcast_status(b.status, "")) \
            if b.status == BroadcastStatus.AWAITING_APPROVAL else ""
        lines.append(f"<b>{when(b.scheduled_at, tz)}</b> · {escape(audience)} · "
                     + quoted(escape(first_line(b, 40))) + waits)
    return "\n".join(lines)


def scheduled_card(b: Broadcast, audience: str, size: int, tz: ZoneInfo) -> str:
    return "\n".join([
        _("<b>🕒 Рассылка #{id}</b>").format(id=b.id),
        _("Когда: <b>{moment}</b> ({tz})").format(moment=when(b.scheduled_at, tz, with_year=True),
                                                  tz=escape(str(tz))),
        ngettext("Аудитория: {audience} · сейчас {count} человек",
                 "Аудитория: {audience} · сейчас {count} человек", size).format(
            audience=escape(audience), count=number(size)),
        "", quoted(escape(first_line(b, 300)))])


def ask_when(tz: ZoneInfo) -> str:
    return _("Когда отправить? Напишите, например: {examples}.\nВремя — {tz}.").format(
        examples=examples(), tz=escape(str(tz)))


def not_scheduled_now(status: str | None) -> str:
    """A button of a broadcast that has left the schedule (`status` None: it was deleted)."""
    word = broadcast_status(status, "") if status is not None else _("удалена")
    return _("Эта рассылка уже не запланирована: {status}.").format(status=word)


def not_scheduled() -> str:
    return _("Эта рассылка уже не запланирована.")


def ask_cancel() -> str:
    return _("<b>Отменить эту рассылку?</b>")


def cancelled() -> str:
    return _("Рассылка отменена.")


def send_now_note(started: bool) -> str:
    return _("Отправляю.") if started else _("Её уже отправили.")


def ask_content() -> str:
    return _("Пришлите новый вариант сообщения для этой рассылки.")


def rescheduled() -> str:
    return _("Перенесено.")


def content_replaced() -> str:
    return _("Текст обновлён.")


def late_note(broadcast_id: int, due: datetime, late_seconds: float) -> str:
    """To a scheduled broadcast's author, when it starts late (the bot was not running)."""
    minutes = round(late_seconds / 60)
    late = _("{minutes} мин").format(minutes=minutes) if minutes < 120 else \
        _("{hours} ч {minutes} мин").format(hours=minutes // 60, minutes=minutes % 60)
    return _("⏰ Рассылка #{id} должна была уйти {due}, но бот в это время не работал. "
             "Отправляю сейчас, с опозданием {late}.").format(
        id=broadcast_id, due=due.strftime("%d.%m %H:%M"), late=late)
