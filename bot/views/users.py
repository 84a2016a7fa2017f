"""Texts of the users section: search results, the user card, its bookings and events."""

from __future__ import annotations

from html import escape
from zoneinfo import ZoneInfo

from bot.db.users import CANDIDATES, Booking, Found, UserCard
from bot.views.broadcast import reason
from bot.views.format import number, when

STATUS = {2: "✅ оплачена", 1: "⏳ ждёт оплаты", -1: "✖️ отменена"}
DELIVERY = {"sent": "доставлено", "pending": "в очереди", "sending": "отправляется",
            "failed": "не доставлено", "blocked": "заблокировал", "unknown": "неизвестно",
            "deleted": "отозвано"}
ASK_SEARCH = ("👥 <b>Пользователи</b>\n\nНапишите имя, @username, id или e-mail — найду. "
              "Или откройте список:")
MAX_QUERY = 64


def check_query(text: str) -> str:
    """The search text, or a ValueError saying what is wrong with it."""
    query = " ".join(text.split())
    if not query:
        raise ValueError("Пустой запрос. Напишите имя, @username, id или e-mail.")
    if len(query) > MAX_QUERY:
        raise ValueError(f"Слишком длинный запрос ({number(len(query))} символов). "
                         f"Для поиска хватит {MAX_QUERY}: имя, @username, id или e-mail.")
    return query


def label(user_id: int, first_name: str | None, username: str | None) -> str:
    """A person in one line: name, @username, id."""
    parts = [first_name or "без имени"]
    if username:
        parts.append(f"@{username}")
    parts.append(str(user_id))
    return " · ".join(parts)


def mention(user_id: int, first_name: str | None) -> str:
    return f'<a href="tg://user?id={user_id}">{escape(first_name or str(user_id))}</a>'


def results(query: str, found: list[Found], total: int, page: int) -> str:
    if not found:
        return (f"🔎 По запросу «{escape(query)}» никого не нашёл.\n\n"
                "Попробуйте часть имени, @username, id или e-mail.")
    head = (f"🔎 «{escape(query)}»: совпадений много, вот лучшие {number(total)} "
            "(уточните запрос, если нужного нет)" if total >= CANDIDATES
            else f"🔎 «{escape(query)}»: найдено {number(total)}")
    return head + (f", страница {page + 1}" if total > len(found) else "") + ". Откройте карточку:"


def _booking_line(b: Booking, titles: dict[str, str], tz: ZoneInfo) -> str:
    stream = titles.get(b.stream or "", b.stream or "без потока")
    extra = []
    if b.referral_code:
        extra.append(f"код {escape(b.referral_code)}")
    if b.discount:
        extra.append(f"скидка {b.discount}%")
    tail = f" ({', '.join(extra)})" if extra else ""
    return (f"#{b.id} {escape(stream)} — {STATUS.get(b.confirmed or 0, 'статус неизвестен')}"
            f", {when(b.created_at, tz)}{tail}")


def card(c: UserCard, titles: dict[str, str], tz: ZoneInfo) -> str:
    lines = [f"👤 <b>{mention(c.user_id, c.first_name)}</b>"
             + (f" · @{escape(c.username)}" if c.username else "") + f" · <code>{c.user_id}</code>"]
    other_names = [n for n in c.names if n != c.first_name]
    other_usernames = [u for u in c.usernames if u != c.username]
    if other_names or other_usernames:
        seen = [escape(n) for n in other_names] + [f"@{escape(u)}" for u in other_usernames]
        lines.append(f"Также: {', '.join(seen)}")
    if c.email:
        lines.append(f"✉️ {escape(c.email)}")
    lines.append(f"С нами с {when(c.first_seen, tz, with_year=True)}, "
                 f"последний раз {when(c.last_seen, tz)}")
    stream = titles.get(c.stream, c.stream) if c.stream else None
    lines += ["", f"📚 Поток: <b>{escape(stream)}</b>" if stream else "📚 Оплаченного потока нет"]
    if c.bookings:
        lines.append("🎫 Брони:")
        lines += [f"  {_booking_line(b, titles, tz)}" for b in c.bookings[:5]]
        if len(c.bookings) > 5:
            lines.append(f"  … и ещё {len(c.bookings) - 5}")
    if c.registrations:
        lessons = ", ".join(f"{escape(r.lesson_type or '—')} ({when(r.registered_at, tz)})"
                            for r in c.registrations[:3])
        lines.append(f"🎓 Бесплатный урок: {lessons}")
    lines.append(f"🖱 Событий: {number(c.events)}")
    if c.unreachable:
        why, since = c.unreachable
        lines.append(f"🚫 Бот не может написать: {escape(reason(why))} (с {when(since, tz)})")
    else:
        lines.append("📬 Бот может написать")
    if c.deliveries:
        lines += ["", "📣 Последние рассылки:"]
        for d in c.deliveries:
            text = " ".join((d.text or "").split())
            text = text[:40] + "…" if len(text) > 40 else text
            status = DELIVERY.get(d.status or "", d.status or "—")
            why = f" ({escape(reason(d.error))})" if d.error and d.status != "sent" else ""
            lines.append(f"  #{d.broadcast_id} «{escape(text)}» — {status}{why}")
    return "\n".join(lines)


def bookings(c: UserCard, titles: dict[str, str], tz: ZoneInfo) -> str:
    lines = [f"🎫 <b>Брони</b> · {mention(c.user_id, c.first_name)}", ""]
    lines += [_booking_line(b, titles, tz) for b in c.bookings] or ["Броней нет."]
    return "\n".join(lines)


def events(c: UserCard, rows: list, page: int, pages: int, tz: ZoneInfo) -> str:
    lines = [f"🖱 <b>События</b> · {mention(c.user_id, c.first_name)} · "
             f"{number(c.events)}" + (f", страница {page + 1}/{pages}" if pages > 1 else ""), ""]
    for r in rows:
        lesson = (r["details"] or {}).get("lesson_type") if isinstance(r["details"], dict) else None
        lines.append(f"{when(r['created_at'], tz)} {escape(r['event_type'] or '—')}"
                     + (f" ({escape(lesson)})" if lesson else ""))
    return "\n".join(lines if rows else lines + ["Событий нет."])
