"""Texts of four-eyes approval: the request an approver gets under the preview, the answers
to the approver and to the author, the wait of a scheduled one."""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from bot.db.series import Rule
from bot.i18n import _, ngettext
from bot.text.format import number, when
from bot.views.series import rule_text, upcoming


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


def series_request(series_id: int, author: str, audience: str, size: int, rule: Rule,
                   moments: list[datetime], tz: ZoneInfo) -> str:
    return "\n".join([
        _("🖐 <b>Повторяющаяся рассылка #{id} ждёт одобрения</b>").format(id=series_id),
        _("Автор: {author}").format(author=escape(author)),
        ngettext("Аудитория: {audience} · {count} получатель",
                 "Аудитория: {audience} · {count} получателей", size).format(
            audience=escape(audience), count=number(size)),
        _("Повтор: {rule}").format(rule=escape(rule_text(rule))),
        _("Ближайшие: {moments}").format(moments=upcoming(moments, tz)),
        "",
        _("Сообщение — выше, так его получат. Одобрение действует на все отправки этой "
          "повторяющейся рассылки; без него ничего не уйдёт."),
    ])


def series_submitted(series_id: int, approvers: int) -> str:
    return ngettext(
        "🖐 Повторяющаяся рассылка #{id} ждёт одобрения: она большая, её должен одобрить ещё "
        "один редактор или владелец. Запрос отправлен {count} человеку; о решении я напишу.",
        "🖐 Повторяющаяся рассылка #{id} ждёт одобрения: она большая, её должен одобрить ещё "
        "один редактор или владелец. Запрос отправлен {count} людям; о решении я напишу.",
        approvers).format(id=series_id, count=approvers)


def series_nobody_to_approve(series_id: int) -> str:
    return _("🖐 Повторяющаяся рассылка #{id} ждёт одобрения, но одобрить её некому: в команде "
             "нет другого редактора или владельца. Добавьте его в «👮 Команда».").format(
        id=series_id)


def series_approved_here(series_id: int) -> str:
    return _("✅ Вы одобрили повторяющуюся рассылку #{id}.").format(id=series_id)


def series_approved_to_author(series_id: int, who: str, next_at: datetime | None,
                              tz: ZoneInfo) -> str:
    if next_at is None:  # its end date passed while it waited
        return _("✅ {who} одобрил(а) повторяющуюся рассылку #{id}, но её срок уже прошёл: "
                 "отправок не будет.").format(who=escape(who), id=series_id)
    return _("✅ {who} одобрил(а) повторяющуюся рассылку #{id}: она запущена, следующая "
             "отправка — {moment}.").format(who=escape(who), id=series_id,
                                            moment=when(next_at, tz))


def series_rejected_here(series_id: int) -> str:
    return _("❌ Повторяющаяся рассылка #{id} отклонена, автору сказано почему.").format(
        id=series_id)


def series_rejected_to_author(series_id: int, who: str, reason: str) -> str:
    return _("❌ {who} отклонил(а) повторяющуюся рассылку #{id}. Причина: {reason}\nОна "
             "остановлена, ничего не отправлено.").format(
        who=escape(who), id=series_id, reason=escape(reason))


def series_text_locked() -> str:
    """Editing a big series' text while approval is on."""
    return _("Текст большой повторяющейся рассылки нельзя менять, пока включено одобрение: "
             "новый текст никто не проверил. Остановите эту рассылку и создайте новую — "
             "её одобрят.")


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
    if status in ("cancelled", "stopped"):
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
