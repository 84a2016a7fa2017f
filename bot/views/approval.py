"""Texts of four-eyes approval: the request an approver gets under the preview, the answers
to the approver and to the author, the wait of a scheduled one."""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from bot.i18n import _, ngettext
from bot.text.format import number, when


def request(broadcast_id: int, author: str, audience: str, size: int, moment: datetime | None,
            tz: ZoneInfo) -> str:
    at = _("сразу после одобрения") if moment is None else _("{moment} ({tz})").format(
        moment=when(moment, tz, with_year=True), tz=escape(str(tz)))
    return "\n".join([
        _("🖐 <b>Рассылка #{id} ждёт одобрения</b>").format(id=broadcast_id),
        _("Автор: {author}").format(author=escape(author)),
        ngettext("Аудитория: {audience} · {count} получатель",
                 "Аудитория: {audience} · {count} получателей", size).format(
            audience=escape(audience), count=number(size)),
        _("Когда: {at}").format(at=at),
        "",
        _("Сообщение — выше, так его получат. Без одобрения ничего не уйдёт."),
    ])


def submitted(broadcast_id: int, approvers: int) -> str:
    return ngettext(
        "🖐 Рассылка #{id} ждёт одобрения: она большая, её должен одобрить ещё один редактор "
        "или владелец. Запрос отправлен {count} человеку; о решении я напишу.",
        "🖐 Рассылка #{id} ждёт одобрения: она большая, её должен одобрить ещё один редактор "
        "или владелец. Запрос отправлен {count} людям; о решении я напишу.",
        approvers).format(id=broadcast_id, count=approvers)


def nobody_to_approve(broadcast_id: int) -> str:
    return _("🖐 Рассылка #{id} ждёт одобрения, но одобрить её некому: в команде нет другого "
             "редактора или владельца. Добавьте его в «👮 Команда».").format(id=broadcast_id)


def approved_here(broadcast_id: int) -> str:
    return _("✅ Вы одобрили рассылку #{id}.").format(id=broadcast_id)


def approved_to_author(broadcast_id: int, who: str, moment: datetime | None,
                       tz: ZoneInfo) -> str:
    if moment is None:
        return _("✅ {who} одобрил(а) рассылку #{id}: она отправляется.").format(
            who=escape(who), id=broadcast_id)
    return _("✅ {who} одобрил(а) рассылку #{id}: она уйдёт по расписанию, {moment}.").format(
        who=escape(who), id=broadcast_id, moment=when(moment, tz))


def ask_reason(broadcast_id: int) -> str:
    return _("<b>Почему отклонить рассылку #{id}?</b>\nНапишите причину — её увидит "
             "автор.").format(id=broadcast_id)


def rejected_here(broadcast_id: int) -> str:
    return _("❌ Рассылка #{id} отклонена, автору сказано почему.").format(id=broadcast_id)


def rejected_to_author(broadcast_id: int, who: str, reason: str) -> str:
    return _("❌ {who} отклонил(а) рассылку #{id}. Причина: {reason}\nНичего не отправлено.").format(
        who=escape(who), id=broadcast_id, reason=escape(reason))


def decided_already(status: str, who: str | None) -> str:
    """A button of a request someone else answered first (or that was cancelled)."""
    if status == "cancelled":
        return _("Эту рассылку уже отклонили или отменили.")
    if who:
        return _("Эту рассылку уже одобрил(а) {who}.").format(who=who)
    return _("Эта рассылка уже не ждёт одобрения.")


def own_broadcast() -> str:
    return _("Свою рассылку одобряет кто-то другой.")


def waits(broadcast_id: int, moment: datetime, tz: ZoneInfo) -> str:
    """To the author: the time came, no one approved it yet."""
    return _("⏳ Рассылка #{id} должна была уйти {moment}, но её ещё не одобрили: она ждёт "
             "и уйдёт сразу после одобрения.").format(id=broadcast_id, moment=when(moment, tz))


def awaiting_mark() -> str:
    """On the scheduled list."""
    return _("⏳ ждёт одобрения")


def bad_reason() -> str:
    return _("Напишите причину текстом (до 500 символов).")
