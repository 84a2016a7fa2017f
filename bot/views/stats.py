"""Texts of the statistics screens: short lines that fit a phone screen."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from bot.db.stats import LessonFunnel, Overview, Referral, StreamBookings, Window
from bot.db.streams import StreamSummary
from bot.views.format import number, when

STATUS = ((2, "оплачено"), (1, "ждут"), (-1, "отменено"))


def _change(now: int | float, before: int | float | None) -> str:
    if before is None:
        return ""
    if before == 0:
        return " (раньше 0)" if now else ""
    delta = (now - before) / before * 100
    arrow = "▲" if delta > 0 else "▼" if delta < 0 else "="
    return f" ({arrow}{abs(delta):.0f}%)"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _span(window: Window) -> str:
    last = window.end - timedelta(days=1)
    if window.start is None:
        return f"по {last:%d.%m}"
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
    lines = [_head("📊 Обзор", label, window), ""]
    lines.append(f"👥 Пользователи: <b>{number(o.users)}</b>, новых <b>{number(cur.new_users)}</b>"
                 + _change(cur.new_users, prev.new_users if prev else None))
    statuses = " · ".join(f"{word} {number(cur.bookings.get(v, 0))}" for v, word in STATUS)
    lines.append(f"🎫 Брони: <b>{number(total_bookings)}</b> — {statuses}"
                 + _change(cur.bookings.get(2, 0), prev.bookings.get(2, 0) if prev else None))
    paid = " · ".join(f"{escape(s.title)} {number(s.members)}" for s in streams) or "—"
    lines.append(f"💳 Оплатили (всего): {paid}")
    lines.append(f"🎓 Бесплатный урок: {number(cur.registrations)} записей → "
                 f"{number(cur.attendances)} переходов на урок, конверсия "
                 f"<b>{_percent(cur.conversion)}</b>"
                 + (f" (было {_percent(prev.conversion)})" if prev else ""))
    lines += _feed_warning(o, silence_hours, tz, now)
    return "\n".join(lines)


def _feed_warning(o: Overview, silence_hours: float, tz: ZoneInfo, now: datetime) -> list[str]:
    newest = max((t for t in o.last_rows.values() if t is not None), default=None)
    if newest is not None and (now - newest).total_seconds() < silence_hours * 3600:
        return []
    if newest is None:
        return ["", "⚠️ В таблицах платформы нет ни одной записи: бот курса не пишет в базу?"]
    hours = (now - newest).total_seconds() / 3600
    return ["", f"⚠️ Новых данных нет {hours:.0f} ч (последняя запись {when(newest, tz)}). "
            "Нули выше могут значить, что бот курса перестал писать в базу."]




def streams(rows: list[StreamBookings]) -> str:
    if not rows:
        return "<b>📚 Потоки: брони</b>\n\nАктивных потоков нет."
    table = _table(("Поток", "Всего", "Опл.", "Ждут", "Отм."),
                   [(s.title, s.total, s.confirmed, s.pending, s.cancelled) for s in rows])
    lines = ["<b>📚 Потоки: брони за всё время</b>", table]
    for s in rows:
        if s.with_discount:
            lines.append(f"{escape(s.title)}: со скидкой оплатили {number(s.with_discount)}, "
                         f"средняя скидка {s.average_discount:.0f}%")
    return "\n".join(lines)


def funnel(rows: list[LessonFunnel], label: str, window: Window) -> str:
    head = _head("🎓 Бесплатный урок", label, window)
    if not rows:
        return f"{head}\n\nЗа этот период записей и переходов нет."
    table = _table(("Урок", "Зап.", "Приш.", "Конв."),
                   [(f.lesson_type or "без типа", f.registrations, f.attendances,
                     _percent(f.conversion)) for f in rows])
    return "\n".join([head, table,
                      "<i>Пришли: переходы по ссылке на урок (lesson_link_clicked).</i>"])


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[int]) -> str:
    top = max(values, default=0)
    if top == 0:
        return SPARKS[0] * len(values)
    return "".join(SPARKS[min(len(SPARKS) - 1, v * len(SPARKS) // (top + 1))] for v in values)


def events(top: list[tuple[str, int]], days: list[tuple[date, int]], label: str,
           window: Window) -> str:
    head = _head("🖱 События", label, window)
    if not top:
        return f"{head}\n\nСобытий за этот период нет."
    width = max(len(name) for name, _ in top)
    table = "\n".join(f"{name[:24]:<{min(width, 24)}} {n:>8}" for name, n in top)
    lines = [head, f"<pre>{escape(table)}</pre>"]
    if len(days) > 1:
        recent = days[-60:]  # a phone line holds about this many
        values = [n for _, n in recent]
        lines.append(f"По дням ({recent[0][0]:%d.%m}–{recent[-1][0]:%d.%m}), "
                     f"от {number(min(values))} до {number(max(values))}:")
        lines.append(f"<code>{sparkline(values)}</code>")
    return "\n".join(lines)


def referrals(rows: list[Referral], label: str, window: Window) -> str:
    head = _head("🤝 Рефералы", label, window)
    if not rows:
        return f"{head}\n\nБроней с реферальным кодом за этот период нет."
    return "\n".join([head, _table(
        ("Код", "Брони", "Опл.", "Скидка"),
        [(r.code, r.bookings, r.confirmed,
          f"{r.average_discount:.0f}%" if r.average_discount is not None else "—") for r in rows])])


_STATUS_SHORT = {2: "✅", 1: "⏳", -1: "✖️"}


def _who(row, links: dict[int, str]) -> str:  # type: ignore[no-untyped-def]
    name = escape(row["first_name"] or "без имени")
    if row["user_id"] in links:  # opens the user card in this chat
        name = f'<a href="{escape(links[row["user_id"]])}">{name}</a>'
    return f"{name} (@{escape(row['username'])})" if row["username"] else name


def recent(bookings: list, events: list, titles: dict[str, str], tz: ZoneInfo,  # type: ignore[type-arg]
           links: dict[int, str]) -> str:
    lines = ["<b>🕘 Последние брони</b>"]
    lines += [f"{when(b['created_at'], tz)} {_STATUS_SHORT.get(b['confirmed'], '•')} {_who(b, links)} · "
              f"{escape(titles.get(b['course_stream'] or '', b['course_stream'] or '—'))}"
              for b in bookings] or ["Броней пока нет."]
    lines += ["", "<b>🕘 Последние события</b>"]
    lines += [f"{when(e['created_at'], tz)} {_who(e, links)} · {escape(e['event_type'] or '—')}"
              for e in events] or ["Событий пока нет."]
    lines += ["", "<i>✅ оплачено · ⏳ ждёт оплаты · ✖️ отменено</i>"]
    return "\n".join(lines)
