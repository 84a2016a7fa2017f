"""Texts of the statistics screens: short lines that fit a phone screen."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

import asyncpg

from bot.db.event_labels import EventLabel
from bot.db.stats import LessonFunnel, Overview, Progress, Referral, StreamBookings, Window
from bot.db.streams import StreamSummary
from bot.i18n import _, ngettext
from bot.enums import BookingStatus
from bot.text.format import clip, number, when
from bot.views.event_labels import event_name
from bot.views.labels import BOOKING_STATUS, booking_status



def _change(now: int | float, before: int | float | None) -> str:
    if before is None:
        return ""
    if before == 0:
        return _(" (раньше 0)") if now else ""
    delta = (now - before) / before * 100
    arrow = "▲" if delta > 0 else "▼" if delta < 0 else "="
    return f" ({arrow}{abs(delta):.0f}%)"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _span(window: Window) -> str:
    last = window.end - timedelta(days=1)
    if window.start is None:
        return _("по {day}").format(day=f"{last:%d.%m}")
    if window.start == last:
        return f"{last:%d.%m}"
    return f"{window.start:%d.%m}–{last:%d.%m}"


def _head(title: str, label: str, window: Window) -> str:
    return f"<b>{title} · {escape(label)}</b> ({_span(window)})"


PHONE_COLUMNS = 34  # monospace characters a phone shows in a message without scrolling


def _table(header: tuple[str, ...], rows: list[tuple[object, ...]]) -> str:
    """Columns in <pre> as wide as their widest cell (numbers right-aligned); the first one,
    the name, gives way (cut with …) so that a line fits on a phone."""
    cells = [[str(v) for v in row] for row in [header, *rows]]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
    room = PHONE_COLUMNS - sum(widths[1:]) - (len(widths) - 1)
    widths[0] = max(min(widths[0], room), len(header[0]))
    lines = []
    for line in cells:
        name = line[0] if len(line[0]) <= widths[0] else line[0][: widths[0] - 1] + "…"
        lines.append(" ".join([name.ljust(widths[0])] + [
            cell.rjust(width) for cell, width in zip(line[1:], widths[1:])]))
    return f"<pre>{escape(chr(10).join(lines))}</pre>"


def overview(o: Overview, label: str, window: Window, streams: list[StreamSummary],
             silence_hours: float, tz: ZoneInfo, now: datetime) -> str:
    cur, prev = o.current, o.previous
    total_bookings = sum(cur.bookings.values())
    lines = [_head(_("📊 Обзор"), label, window), ""]
    lines.append(_("👥 Пользователи: <b>{users}</b>, новых <b>{new}</b>").format(
        users=number(o.users), new=number(cur.new_users))
                 + _change(cur.new_users, prev.new_users if prev else None))
    statuses = " · ".join(f"{label.many} {number(cur.bookings.get(status, 0))}"
                          for status, label in BOOKING_STATUS.items())
    lines.append(_("🎫 Брони: <b>{total}</b> — {statuses}").format(
        total=number(total_bookings), statuses=statuses)
                 + _change(cur.bookings.get(BookingStatus.CONFIRMED, 0),
                           prev.bookings.get(BookingStatus.CONFIRMED, 0) if prev else None))
    paid = " · ".join(f"{escape(s.title)} {number(s.members)}" for s in streams) or "—"
    lines.append(_("💳 Оплатили (людей, за всё время): {paid}").format(paid=paid))
    lines.append(_("🎓 Бесплатный урок: {registrations} → {attendances}, конверсия "
                   "<b>{conversion}</b>").format(
        registrations=ngettext("{count} запись", "{count} записей", cur.registrations).format(
            count=number(cur.registrations)),
        attendances=ngettext("{count} переход на урок", "{count} переходов на урок",
                             cur.attendances).format(count=number(cur.attendances)),
        conversion=_percent(cur.conversion))
                 + (_(" (было {conversion})").format(conversion=_percent(prev.conversion))
                    if prev else ""))
    lines += _feed_warning(o, silence_hours, tz, now)
    lines += _undated_note(o, window)
    if o.progress.counting:
        lines += ["", counting_note(o.progress)]
    return "\n".join(lines)


def counting_note(p: Progress) -> str:
    """The summaries are still reading the platform's rows (the first build takes a while)."""
    return _("⏳ Статистика ещё считается: прочитано {percent}% записей платформы ({read} из "
             "{total}). Числа выше пока неполные, обновите экран через минуту.").format(
        percent=f"{int(p.share * 100)}", read=number(p.read), total=number(p.total))


def _undated_note(o: Overview, window: Window) -> list[str]:
    u = o.undated
    if not u.rows:
        return []
    text = _("ℹ️ Записей без даты (или с датой в будущем): {rows}").format(rows=number(u.rows))
    if u.users:
        text += _(", пользователей без единой даты: {users}").format(users=number(u.users))
    where = (_("Они входят в итоги за всё время, но не в графики.") if window.start is None
             else _("Они входят в итоги за всё время, но не в периоды и графики."))
    return ["", f"{text}. {where}"]


def chart_note(undated: int) -> str:
    """A line under a chart's caption: what the chart leaves out."""
    if not undated:
        return ""
    return "\n" + _("Без даты (или с датой в будущем), не на графике: {count}.").format(
        count=number(undated))


def _feed_warning(o: Overview, silence_hours: float, tz: ZoneInfo, now: datetime) -> list[str]:
    newest = max((t for t in o.last_rows.values() if t is not None), default=None)
    if newest is not None and (now - newest).total_seconds() < silence_hours * 3600:
        return []
    if newest is None:
        return ["", _("⚠️ В таблицах платформы нет ни одной записи: бот курса не пишет в базу?")]
    hours = (now - newest).total_seconds() / 3600
    return ["", _("⚠️ Новых данных нет {hours:.0f} ч (последняя запись {newest}). Нули выше "
                  "могут значить, что бот курса перестал писать в базу.").format(
        hours=hours, newest=when(newest, tz))]


def streams(rows: list[StreamBookings]) -> str:
    if not rows:
        return _("<b>📚 Потоки: брони</b>\n\nАктивных потоков нет.")
    table = _table((_("Поток"), _("Всего"), _("Опл."), _("Ждут"), _("Отм.")),
                   [(s.title, s.total, s.confirmed, s.pending, s.cancelled) for s in rows])
    lines = [_("<b>📚 Потоки: брони за всё время</b>"), table]
    for s in rows:
        if s.with_discount:
            lines.append(_("{title}: со скидкой оплатили {count}, средняя скидка {discount:.0f}%")
                         .format(title=escape(s.title), count=number(s.with_discount),
                                 discount=s.average_discount))
    lines += ["", _("<i>Здесь считаются брони: «Опл.» — оплаченные брони. У человека их может "
                    "быть несколько, поэтому «Оплатили (людей)» в обзоре бывает меньше.</i>")]
    return "\n".join(lines)


def funnel(rows: list[LessonFunnel], label: str, window: Window) -> str:
    head = _head(_("🎓 Бесплатный урок"), label, window)
    if not rows:
        return f"{head}\n\n" + _("За этот период записей и переходов нет.")
    table = _table((_("Урок"), _("Зап."), _("Приш."), _("Конв.")),
                   [(f.lesson_type or _("без типа"), f.registrations, f.attendances,
                     _percent(f.conversion)) for f in rows])
    return "\n".join([head, table,
                      _("<i>Пришли: переходы по ссылке на урок (lesson_link_clicked).</i>")])


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[int]) -> str:
    top = max(values, default=0)
    if top == 0:
        return SPARKS[0] * len(values)
    return "".join(SPARKS[min(len(SPARKS) - 1, v * len(SPARKS) // (top + 1))] for v in values)


def events(top: list[tuple[str, int]], days: list[tuple[date, int]], label: str,
           window: Window, names: Mapping[str, EventLabel]) -> str:
    head = _head(_("🖱 События"), label, window)
    if not top:
        return f"{head}\n\n" + _("Событий за этот период нет.")
    named = [(event_name(code, names), n) for code, n in top]
    width = max(len(row[0]) for row in named)
    table = "\n".join(f"{name[:24]:<{min(width, 24)}} {n:>8}" for name, n in named)
    lines = [head, f"<pre>{escape(table)}</pre>"]
    if len(days) > 1:
        recent = days[-60:]  # a phone line holds about this many
        values = [row[1] for row in recent]
        lines.append(_("По дням ({first}–{last}), от {low} до {high}:").format(
            first=f"{recent[0][0]:%d.%m}", last=f"{recent[-1][0]:%d.%m}",
            low=number(min(values)), high=number(max(values))))
        lines.append(f"<code>{sparkline(values)}</code>")
    return "\n".join(lines)


def referrals(rows: list[Referral], label: str, window: Window) -> str:
    head = _head(_("🤝 Рефералы"), label, window)
    if not rows:
        return f"{head}\n\n" + _("Броней с реферальным кодом за этот период нет.")
    return "\n".join([head, _table(
        (_("Код"), _("Брони"), _("Опл."), _("Скидка")),
        [(r.code, r.bookings, r.confirmed,
          f"{r.average_discount:.0f}%" if r.average_discount is not None else "—") for r in rows])])


def _mark(confirmed: object) -> str:
    label = booking_status(confirmed)
    return label.mark if label else "•"


def _who(row: asyncpg.Record, links: dict[int, str]) -> str:
    name = escape(clip(row["first_name"] or _("без имени"), 32))
    if row["user_id"] in links:  # opens the user card in this chat
        name = f'<a href="{escape(links[row["user_id"]])}">{name}</a>'
    return f"{name} (@{escape(clip(row['username'], 32))})" if row["username"] else name


def recent(bookings: list[asyncpg.Record], events: list[asyncpg.Record], titles: dict[str, str],
           tz: ZoneInfo, links: dict[int, str], names: Mapping[str, EventLabel]) -> str:
    lines = [_("<b>🕘 Последние брони</b>")]
    lines += [f"{when(b['created_at'], tz)} {_mark(b['confirmed'])} {_who(b, links)} · "
              f"{escape(clip(titles.get(b['course_stream'] or '', b['course_stream'] or '—'), 32))}"
              for b in bookings] or [_("Броней пока нет.")]
    lines += ["", _("<b>🕘 Последние события</b>")]
    lines += [f"{when(e['created_at'], tz)} {_who(e, links)} · "
              f"{escape(clip(event_name(e['event_type'], names), 32))}"
              for e in events] or [_("Событий пока нет.")]
    lines += ["", _("<i>✅ оплачено · ⏳ ждёт оплаты · ✖️ отменено</i>")]
    return "\n".join(lines)


def drawing_chart() -> str:
    return _("Рисую график…")


def bookings_caption(period: str, *, paid: int, pending: int, cancelled: int) -> str:
    return _("Брони по дням · {period}: оплачено {paid}, ждут {pending}, отменено "
             "{cancelled}").format(period=period, paid=number(paid), pending=number(pending),
                                   cancelled=number(cancelled))


def events_caption(period: str, total: int) -> str:
    return _("События по дням · {period}: всего {total}").format(period=period,
                                                               total=number(total))


def growth_caption(period: str, total: int, new: int) -> str:
    return _("Рост аудитории · {period}: всего {total}, новых {new}").format(
        period=period, total=number(total), new=number(new))
