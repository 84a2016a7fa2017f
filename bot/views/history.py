"""Texts of the broadcast history: the list, a broadcast's card, who did not get it."""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

import asyncpg

from bot.db.broadcasts import UNDELIVERED, Broadcast
from bot.db.series import Series
from bot.enums import DeliveryStatus, RecallStatus
from bot.keyboards.history import HistoryKind
from bot.i18n import _, ngettext
from bot.views.broadcast import AUDIENCE_TITLES, duration, first_line, reason
from bot.text.format import number, quoted, when
from bot.views.compose import offer_noted
from bot.views.edit_sent import edited_times, editing_now
from bot.views.labels import broadcast_status
from bot.views.series import in_series
from bot.views import safeguards


def history_list(items: list[tuple[Broadcast, str]], total: int, filter_title: str,
                 page: int, pages: int, tz: ZoneInfo) -> str:
    head = _("<b>🗂 История рассылок</b> · {audience}").format(audience=escape(filter_title))
    if not items:
        return f"{head}\n\n" + _("Рассылок пока не было.")
    lines = [head, _("<i>Всего {total}, стр. {page} из {pages}</i>").format(
        total=number(total), page=page + 1, pages=pages), ""]
    for b, audience in items:
        if b.recall_status == RecallStatus.DONE:  # its copies were deleted: say so
            figures = _("{count} отозвано").format(count=number(b.deleted))
        else:
            figures = f"{number(b.sent)}/{number(b.total)}"
        status = _status(b)
        lines.append(f"<b>#{b.id}</b> {when(b.started_at, tz)} · {escape(audience)} · "
                     f"{figures} · {status}")
        lines.append("   " + quoted(escape(first_line(b, 50))))
    return "\n".join(lines)


def _status(b: Broadcast) -> str:
    """A broadcast's status in words; a recall, asked for or done, says so instead."""
    if b.recall_status == RecallStatus.DONE:
        return _("🗑 отозвана")
    if b.recall_status in (RecallStatus.REQUESTED, RecallStatus.RUNNING):
        return _("🗑 отзывается")
    return broadcast_status(b.status, b.status)


def question(text: str) -> str:
    """A question asked on the card, under its text."""
    return f"<b>{escape(text)}</b>"


def history_card(b: Broadcast, audience: str, counts: dict[str, int],
                 reasons: list[tuple[str, int]], tz: ZoneInfo, series: Series | None = None,
                 *, fixed: int = 0, fixing: bool = False) -> str:
    """`series`: the recurring series this broadcast is an occurrence of; `fixed`: how many
    times admins fixed it in the recipients' chats; `fixing`: a fix is being carried out now."""
    first = b.first_run or counts  # after a resend, the table keeps the first run's figures
    rows = [(_("Всего"), b.total), (_("Доставлено"), first.get(DeliveryStatus.SENT, 0)),
            (_("Ошибки"), first.get(DeliveryStatus.FAILED, 0)),
            (_("Заблокировали"), first.get(DeliveryStatus.BLOCKED, 0)),
            (_("Неизвестно"), first.get(DeliveryStatus.UNKNOWN, 0)),
            (_("Отозвано"), counts.get(DeliveryStatus.DELETED, 0)),
            (_("Ожидают"), sum(counts.get(status, 0) for status in UNDELIVERED))]
    table = "\n".join(f"{label:<14}{number(value):>9}" for label, value in rows)
    started = _("Начата {moment}").format(moment=when(b.started_at, tz))
    seconds = (b.first_run or {}).get("seconds")
    if seconds is None and b.finished_at and b.started_at:
        seconds = (b.finished_at - b.started_at).total_seconds()
    if seconds is not None:
        started += _(", заняла {duration}").format(duration=duration(float(seconds)))
    lines = [_("<b>Рассылка #{id}</b> · {audience} · {status}").format(
                 id=b.id, audience=escape(audience), status=_status(b)),
             *([in_series(series)] if series else []),
             started,
             quoted(escape(first_line(b, 200))),
             f"<pre>{escape(table)}</pre>"]
    if b.holdout:
        lines.append(ngettext(
            "🎯 Контрольная группа: {count} человек ({percent} %), рассылку не получил — "
            "с ним сравниваются итоги",
            "🎯 Контрольная группа: {count} человек ({percent} %), рассылку не получили — "
            "с ними сравниваются итоги", b.holdout).format(
            count=number(b.holdout), percent=b.holdout_percent))
    if b.capped:
        lines.append(_("⏱ Пропущены по лимиту частоты: {count} (им не отправлялась и не "
                       "отправится)").format(count=number(b.capped)))
    elif b.frequency_cap_off:
        lines.append(_("⏱ Лимит частоты был снят автором"))
    if b.unsubscribed:
        lines.append(_("🔕 Пропущены, отписались от рассылок: {count}").format(
            count=number(b.unsubscribed)))
    watched = safeguards.card_line(b)
    lines += [watched] if watched else []
    if fixed:
        lines.append(edited_times(fixed) + (f" · {editing_now()}" if fixing else ""))
    lines += _offer_lines(b, tz)
    lines += _resend_lines(b, counts, tz)
    if reasons:
        lines.append(_("<b>Частые причины</b>"))
        lines += [f"• {escape(reason(text)[:120])} — {number(n)}" for text, n in reasons]
    return "\n".join(lines)


def _offer_lines(b: Broadcast, tz: ZoneInfo) -> list[str]:
    """A line per button whose offer ends: when it goes, or that it has gone (with the line
    set to take its place)."""
    labels = [label for row in b.content.buttons for label, _url in row]
    instead = dict(b.content.instead)
    return [_offer_gone(labels[place], instead.get(place)) if place in b.content.gone
            else offer_noted(labels[place], until, tz, instead.get(place))
            for place, until in b.content.ends]


def _offer_gone(label: str, instead: str | None) -> str:
    text = _("⏳ Кнопка «{label}» снята: срок предложения вышел").format(label=escape(label))
    if instead:
        text += "; " + _("вместо неё в сообщении строка «{line}»").format(line=escape(instead))
    return text


def _resend_lines(b: Broadcast, counts: dict[str, int], tz: ZoneInfo) -> list[str]:
    """One line per resend, then where every recipient stands now."""
    if not b.resends:
        return []
    whom: dict[str, str] = {DeliveryStatus.FAILED: _("неудачным"),
                            DeliveryStatus.UNKNOWN: _("неизвестным")}
    lines = [_("🔁 Повтор {moment}: {whom}, {count}").format(
        moment=when(datetime.fromisoformat(r["at"]), tz), whom=whom.get(r["status"], r["status"]),
        count=number(r["count"])) for r in b.resends]
    lines.append(_("Сейчас: доставлено {sent}, ошибки {failed}, неизвестно {unknown}").format(
        sent=number(counts.get(DeliveryStatus.SENT, 0)),
        failed=number(counts.get(DeliveryStatus.FAILED, 0)),
        unknown=number(counts.get(DeliveryStatus.UNKNOWN, 0))))
    return lines


def who_list(rows: list[asyncpg.Record], total: int, page: int, pages: int) -> str:
    lines = [_("<b>Не получили</b> · {total}, стр. {page} из {pages}").format(
        total=number(total), page=page + 1, pages=max(pages, 1)), ""]
    for r in rows:
        name = escape(r["first_name"] or _("без имени"))
        handle = f"@{escape(r['username'])}, " if r["username"] else ""
        lines.append(f"• {name} ({handle}{r['user_id']}) — {escape(reason(r['error'])[:80])}")
    return "\n".join(lines)


def filter_title(kind: str, stream: str, titles: dict[str, str]) -> str:
    """The audience the list is filtered by, as its heading names it."""
    if stream:
        return titles.get(stream, stream)
    return str(AUDIENCE_TITLES.get(kind) or _("все")) if kind else _("все")


def pick_filter() -> str:
    return _("<b>Показать рассылки для аудитории:</b>")


def filter_options(titles: dict[str, str]) -> list[tuple[str, HistoryKind, str]]:
    """The filter buttons: (text, kind, stream code): everything, each stream, each audience."""
    return [(_("Все"), HistoryKind.ANY, "")] + [
        (t, HistoryKind.STREAM, c) for c, t in titles.items()] + [
        (str(AUDIENCE_TITLES[k]).capitalize(), k, "")
        for k in (HistoryKind.ALL, HistoryKind.LEADS, HistoryKind.FREE_LESSON,
                  HistoryKind.PENDING, HistoryKind.USERS)]


def preparing_file() -> str:
    return _("Готовлю файл…")


def csv_caption(broadcast_id: int) -> str:
    return _("Получатели рассылки #{id}").format(id=broadcast_id)
