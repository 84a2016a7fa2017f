"""Texts of the users section: search results, the user card, its bookings and events."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from zoneinfo import ZoneInfo

import asyncpg

from bot.db.event_labels import EventLabel
from bot.db.users import CANDIDATES, COUNTED, Booking, Found, UserCard
from bot.enums import DeliveryStatus
from bot.i18n import _, __, ngettext
from bot.views.broadcast import plain, reason
from bot.text.format import clip, number, quoted, when
from bot.views.event_labels import event_name
from bot.views.labels import booking_status, delivery_status


MAX_QUERY = 64
SEEN_NAMES = 10  # other names and @usernames on the card
BOOKINGS_SHOWN = 30  # bookings on the bookings page (a message holds 4,096 characters)


def ask_search() -> str:
    return _("👥 <b>Пользователи</b>\n\nНапишите имя, @username, id или e-mail — найду. "
             "Или откройте список:")


def check_query(text: str) -> str:
    """The search text, or a ValueError saying what is wrong with it."""
    query = " ".join(text.split())
    if not query:
        raise ValueError(_("Пустой запрос. Напишите имя, @username, id или e-mail."))
    if len(query) > MAX_QUERY:
        raise ValueError(ngettext("Слишком длинный запрос ({length} символ). Для поиска "
                                  "хватит {limit}: имя, @username, id или e-mail.",
                                  "Слишком длинный запрос ({length} символов). Для поиска "
                                  "хватит {limit}: имя, @username, id или e-mail.",
                                  len(query)).format(length=number(len(query)), limit=MAX_QUERY))
    return query


def label(user_id: int, first_name: str | None, username: str | None) -> str:
    """A person in one line: name, @username, id."""
    parts = [clip(first_name or _("без имени"), 32)]
    if username:
        parts.append(f"@{clip(username, 32)}")
    parts.append(str(user_id))
    return " · ".join(parts)


def mention(user_id: int, first_name: str | None) -> str:
    return f'<a href="tg://user?id={user_id}">{escape(clip(first_name or str(user_id)))}</a>'


def results(query: str, found: list[Found], total: int, page: int, pages: int = 1) -> str:
    if not found:
        return _("🔎 По запросу «{query}» никого не нашёл.\n\n"
                 "Попробуйте часть имени, @username, id или e-mail.").format(query=escape(query))
    count = (_("больше {count}").format(count=number(COUNTED)) if total > COUNTED
             else number(total))
    head = (_("🔎 «{query}»: найдено {count}, листать можно лучшие {best} "
              "(уточните запрос, если нужного нет)") if total > CANDIDATES
            else _("🔎 «{query}»: найдено {count}")).format(
        query=escape(query), count=count, best=number(CANDIDATES))
    if total > len(found):
        head += _(", страница {page} из {pages}").format(page=page + 1, pages=pages)
    return head + _(". Откройте карточку:")


def _booking_line(b: Booking, titles: dict[str, str], tz: ZoneInfo) -> str:
    stream = titles.get(b.stream or "", b.stream or _("без потока"))
    extra = []
    if b.referral_code:
        extra.append(_("код {code}").format(code=escape(clip(b.referral_code, 32))))
    if b.discount:
        extra.append(_("скидка {percent}%").format(percent=b.discount))
    tail = f" ({', '.join(extra)})" if extra else ""
    known = booking_status(b.confirmed)
    status = f"{known.mark} {known.one}" if known else _("статус неизвестен")
    return f"#{b.id} {escape(clip(stream, 40))} — {status}, {when(b.created_at, tz)}{tail}"


def _stream_line(c: UserCard, titles: dict[str, str]) -> str:
    """The current stream: that of the newest paid booking naming one; said so when a newer
    paid booking names none."""
    unnamed = c.paid_without_stream
    if c.stream is None:
        if unnamed is None:
            return _("📚 Оплаченного потока нет")
        return _("📚 Оплачено, но поток в брони не указан (#{id})").format(id=unnamed.id)
    line = _("📚 Поток: <b>{stream}</b>").format(
        stream=escape(clip(titles.get(c.stream, c.stream))))
    if unnamed is not None:
        line += "\n" + _("<i>Последняя оплаченная бронь #{id} — без потока.</i>").format(
            id=unnamed.id)
    return line


def card(c: UserCard, titles: dict[str, str], tz: ZoneInfo) -> str:
    lines = [f"👤 <b>{mention(c.user_id, c.first_name)}</b>"
             + (f" · @{escape(clip(c.username))}" if c.username else "")
             + f" · <code>{c.user_id}</code>"]
    other_names = [n for n in c.names if n != c.first_name]
    other_usernames = [u for u in c.usernames if u != c.username]
    if other_names or other_usernames:
        seen = [escape(clip(n, 32)) for n in other_names] + [f"@{escape(clip(u, 32))}"
                                                            for u in other_usernames]
        if len(seen) > SEEN_NAMES:
            seen = seen[:SEEN_NAMES] + [_("ещё {count}").format(count=len(seen) - SEEN_NAMES)]
        lines.append(_("Также: {names}").format(names=", ".join(seen)))
    if c.email:
        lines.append(f"✉️ {escape(clip(c.email))}")
    if c.first_seen is None:  # only undated rows (or not read into the directory yet)
        lines.append(_("С нами: даты в записях нет"))
    else:
        lines.append(_("С нами с {first}, последний раз {last}").format(
            first=when(c.first_seen, tz, with_year=True), last=when(c.last_seen, tz)))
    lines += ["", _stream_line(c, titles)]
    if c.bookings:
        lines.append(_("🎫 Брони:"))
        lines += [f"  {_booking_line(b, titles, tz)}" for b in c.bookings[:5]]
        if len(c.bookings) > 5:
            lines.append("  " + _("… и ещё {count}").format(count=len(c.bookings) - 5))
    if c.registrations:
        lessons = ", ".join(f"{escape(clip(r.lesson_type or '—', 32))} "
                            f"({when(r.registered_at, tz)})"
                            for r in c.registrations[:3])
        lines.append(_("🎓 Бесплатный урок: {lessons}").format(lessons=lessons))
    lines.append(_("🖱 Событий: {count}").format(count=number(c.events)))
    if c.unreachable:
        why, since = c.unreachable
        lines.append(_("🚫 Бот не может написать: {reason} (с {since})").format(
            reason=escape(reason(why)), since=when(since, tz)))
    else:
        lines.append(_("📬 Бот может написать"))
    if c.deliveries:
        lines += ["", _("📣 Последние рассылки:")]
        for d in c.deliveries:
            text = " ".join(plain(d.text or "").split())  # stored as HTML: shown as read
            text = text[:40] + "…" if len(text) > 40 else text
            status = delivery_status(d.status) or d.status or "—"
            why = f" ({escape(reason(d.error))})" if d.error and d.status != DeliveryStatus.SENT else ""
            lines.append(f"  #{d.broadcast_id} {quoted(escape(text))} — {status}{why}")
    return "\n".join(lines)


def bookings(c: UserCard, titles: dict[str, str], tz: ZoneInfo) -> str:
    lines = [_("🎫 <b>Брони</b> · {person}").format(person=mention(c.user_id, c.first_name)), ""]
    lines += [_booking_line(b, titles, tz) for b in c.bookings[:BOOKINGS_SHOWN]] or [
        _("Броней нет.")]
    if len(c.bookings) > BOOKINGS_SHOWN:
        lines.append(_("… и ещё {count}").format(count=len(c.bookings) - BOOKINGS_SHOWN))
    return "\n".join(lines)


def events(c: UserCard, rows: list[asyncpg.Record], page: int, pages: int, tz: ZoneInfo,
           names: Mapping[str, EventLabel]) -> str:
    head = _("🖱 <b>События</b> · {person} · {count}").format(
        person=mention(c.user_id, c.first_name), count=number(c.events))
    if pages > 1:
        head += _(", страница {page}/{pages}").format(page=page + 1, pages=pages)
    lines = [head, ""]
    for r in rows:
        lesson = clip(" ".join((r["lesson_type"] or "").split()))  # any JSON, as text
        name = event_name(r["event_type"], names)
        lines.append(f"{when(r['created_at'], tz)} {escape(clip(name))}"
                     + (f" ({escape(lesson)})" if lesson else ""))
    return "\n".join(lines if rows else lines + [_("Событий нет.")])


def unreachable_warning(c: UserCard, tz: ZoneInfo) -> str:
    """Before a personal message to someone the broadcast bot could not reach."""
    assert c.unreachable is not None
    why, since = c.unreachable
    return _("⚠️ {person}: бот курса не может написать — {reason} (с {since}).\n"
             "Сообщение, скорее всего, не дойдёт. Попробовать всё равно? Если не выйдет, "
             "бот снова это запомнит.").format(
        person=escape(label(c.user_id, c.first_name, c.username)), reason=escape(reason(why)),
        since=when(since, tz))


def search_expired() -> str:
    return _("Поиск устарел: напишите запрос снова.")


def no_such_user(user_id: int) -> str:
    return _("Пользователя {id} нет ни в одной таблице платформы.").format(id=user_id)


def user_gone(user_id: int) -> str:
    return _("Пользователя {id} больше нет.").format(id=user_id)


def user_gone_short() -> str:
    return _("Пользователя больше нет.")


# ---- the card's actions: a booking's stream and status --------------------------------

STATUS_QUESTION = {2: __("Подтвердить оплату брони #{id} ({stream})?"),
                   -1: __("Отменить бронь #{id} ({stream})?"),
                   1: __("Вернуть бронь #{id} ({stream}) в «ждёт оплаты»?")}
STATUS_DONE = {2: __("Оплата брони #{id} подтверждена."), -1: __("Бронь #{id} отменена."),
               1: __("Бронь #{id} снова ждёт оплаты.")}


def nothing_to_move() -> str:
    return _("Нет действующей брони: переводить нечего. Поток меняется у "
             "оплаченной или ожидающей оплаты брони.")


def already_in_stream(booking_id: int) -> str:
    return _("Бронь #{id} уже в этом потоке.").format(id=booking_id)


def stream_not_active() -> str:
    return _("Этого потока нет среди действующих.")


def _move_head(card: UserCard, booking_id: int, stream: str) -> str:
    return _("🔀 {person} · бронь #{id}\nСейчас: <b>{stream}</b>").format(
        person=mention(card.user_id, card.first_name), id=booking_id, stream=escape(stream))


def ask_move(card: UserCard, booking_id: int, stream: str) -> str:
    """Which stream to move the booking to (`stream`: the one it is in)."""
    return f"{_move_head(card, booking_id, stream)}\n\n" + _("В какой поток перевести?")


def confirm_move(card: UserCard, booking_id: int, stream: str, to: str) -> str:
    return f"{_move_head(card, booking_id, stream)}\n" + _(
        "Будет: <b>{stream}</b>\n\nСменить поток?").format(stream=escape(to))


def yes_move() -> str:
    return _("Да, перевести")


def moved(stream: str) -> str:
    return _("Готово: {stream}.").format(stream=stream)


def move_failed() -> str:
    return _("Не вышло: бронь изменилась, пока вы решали. Посмотрите карточку.")


def booking_changed() -> str:
    return _("Бронь уже изменилась. Посмотрите карточку.")


def ask_status(to: int, booking_id: int, stream: str, card: UserCard) -> str:
    question = str(STATUS_QUESTION[to]).format(id=booking_id, stream=escape(stream))
    return f"{question}\n👤 {mention(card.user_id, card.first_name)}"


def yes() -> str:
    return _("Да")


def status_done(to: int, booking_id: int) -> str:
    return str(STATUS_DONE[to]).format(id=booking_id)


def status_failed() -> str:
    return _("Не вышло: бронь изменилась, пока вы решали.")
