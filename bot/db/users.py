"""One person: finding them in the user directory, and everything the platform's tables hold
about them (read by user_id through the tables' indexes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

CANDIDATES = 200  # matches looked at per kind of match; enough to page through, cheap to rank
TYPOS_BELOW = 20  # near spellings are looked for when fewer substrings than this match

# Ranks: 0 the id, 1 the exact @username or e-mail, 2 a substring, 3 a near spelling (typo).
# A name that equals the query goes first among substrings. All matching is on search_key:
# lower case, Cyrillic written in Latin letters, so "Мария", "maria" and "Мрия" meet.
_SEARCH = r"""
    WITH q AS (SELECT search_key($1) AS k,
                      replace(replace(replace(search_key($1), '\', '\\'), '%', '\%'), '_', '\_')
                          AS pattern),
    exact AS MATERIALIZED (
        SELECT user_id, 0 AS rank FROM user_directory WHERE user_id = $2
        UNION ALL SELECT user_id, 1 FROM user_directory WHERE lower(username) = $1
        UNION ALL SELECT user_id, 1 FROM user_directory WHERE lower(email) = $1),
    substrings AS MATERIALIZED (  -- not for an id, @username or e-mail that was found as such
        SELECT user_id FROM user_directory, q
        WHERE NOT ($7 AND EXISTS (SELECT 1 FROM exact))
          AND search_text LIKE '%' || q.pattern || '%' LIMIT $5),
    found AS (
        SELECT * FROM exact
        UNION ALL SELECT user_id, 2 FROM substrings
        UNION ALL (SELECT user_id, 3 FROM user_directory, q  -- near spellings, when few match
                   WHERE length(q.k) >= 3 AND (SELECT count(*) FROM substrings) < $6
                     AND NOT ($7 AND EXISTS (SELECT 1 FROM exact))
                     AND q.k <% search_text LIMIT $5)),
    best AS (SELECT user_id, min(rank) AS rank FROM found GROUP BY user_id)
    SELECT d.user_id, d.username, d.first_name, d.email, best.rank, count(*) OVER () AS total
    FROM best JOIN user_directory d USING (user_id), q
    ORDER BY best.rank, (' ' || d.names || ' ') LIKE ('% ' || q.pattern || ' %') DESC,
             word_similarity(q.k, d.search_text) DESC, d.last_seen DESC, d.user_id
    LIMIT $3 OFFSET $4"""


@dataclass(frozen=True)
class Found:
    user_id: int
    username: str | None
    first_name: str | None
    email: str | None
    exact: bool  # the id, @username or e-mail itself


async def search(pool: asyncpg.Pool, query: str, limit: int, offset: int = 0
                 ) -> tuple[list[Found], int]:
    """People matching `query` (already checked for length), best first, and how many matched
    (at most a few hundred are ranked)."""
    text = query.strip().lower()
    bare = text[1:] if text.startswith("@") else text
    user_id = int(bare) if bare.isdigit() and len(bare) <= 18 else None
    pointed = user_id is not None or text.startswith("@") or "@" in text[1:]
    rows = await pool.fetch(_SEARCH, bare, user_id, limit, offset, CANDIDATES, TYPOS_BELOW,
                            pointed)
    total = rows[0]["total"] if rows else 0
    return [Found(r["user_id"], r["username"], r["first_name"], r["email"], r["rank"] <= 1)
            for r in rows], total


@dataclass(frozen=True)
class Booking:
    id: int
    stream: str | None
    confirmed: int | None
    created_at: datetime | None
    referral_code: str | None
    discount: int | None


@dataclass(frozen=True)
class Registration:
    lesson_type: str | None
    registered_at: datetime | None
    lesson_date: object
    email: str | None


@dataclass(frozen=True)
class Received:
    broadcast_id: int
    text: str
    status: str | None
    at: datetime | None
    error: str | None


@dataclass(frozen=True)
class UserCard:
    user_id: int
    first_name: str | None
    username: str | None
    email: str | None
    first_seen: datetime | None
    last_seen: datetime | None
    names: list[str]       # every first name seen, newest first
    usernames: list[str]   # every @username seen, newest first
    bookings: list[Booking]
    registrations: list[Registration]
    events: int
    unreachable: tuple[str, datetime] | None
    deliveries: list[Received]

    @property
    def current_booking(self) -> Booking | None:
        """The booking a stream change applies to: the newest one not cancelled."""
        return next((b for b in self.bookings if b.confirmed in (1, 2)), None)

    @property
    def stream(self) -> str | None:
        """The stream of the newest paid booking that names one."""
        return next((b.stream for b in self.bookings if b.confirmed == 2 and b.stream), None)

    @property
    def paid_without_stream(self) -> Booking | None:
        """The newest paid booking, when it names no stream."""
        paid = next((b for b in self.bookings if b.confirmed == 2), None)
        return paid if paid is not None and not paid.stream else None


_SEEN = """
    SELECT first_name, username, at FROM (
        SELECT first_name, username, created_at AS at FROM bookings WHERE user_id = $1
        UNION ALL SELECT first_name, username, registered_at FROM free_lesson_registrations
                  WHERE user_id = $1
        UNION ALL (SELECT first_name, username, created_at FROM events WHERE user_id = $1
                   ORDER BY created_at DESC LIMIT 500)) seen
    ORDER BY at DESC NULLS LAST"""


async def card(pool: asyncpg.Pool, user_id: int, deliveries: int = 5) -> UserCard | None:
    """Everything about one user, or None if no table has them."""
    async with pool.acquire() as conn:
        seen = await conn.fetch(_SEEN, user_id)
        directory = await conn.fetchrow("SELECT * FROM user_directory WHERE user_id = $1", user_id)
        if not seen and directory is None:
            return None
        bookings = await conn.fetch(
            "SELECT id, course_stream, confirmed, created_at, referral_code, discount_percent"
            " FROM bookings WHERE user_id = $1 ORDER BY created_at DESC NULLS LAST, id DESC",
            user_id)
        registrations = await conn.fetch(
            "SELECT lesson_type, registered_at, lesson_date, email FROM free_lesson_registrations"
            " WHERE user_id = $1 ORDER BY registered_at DESC NULLS LAST, id DESC", user_id)
        events = await conn.fetchval("SELECT count(*) FROM events WHERE user_id = $1", user_id)
        unreachable = await conn.fetchrow(
            "SELECT reason, since FROM unreachable_users WHERE user_id = $1", user_id)
        delivered = await conn.fetch(
            """SELECT h.id, h.message_text, r.delivery_status, coalesce(r.sent_at, r.created_at)
                      AS at, r.error
               FROM message_recipients r JOIN message_history h ON h.id = r.message_id
               WHERE r.user_id = $1 ORDER BY r.message_id DESC LIMIT $2""", user_id, deliveries)
    names = list(dict.fromkeys(r["first_name"] for r in seen if r["first_name"]))
    usernames = list(dict.fromkeys(r["username"] for r in seen if r["username"]))
    return UserCard(
        user_id,
        directory["first_name"] if directory else (names[0] if names else None),
        directory["username"] if directory else (usernames[0] if usernames else None),
        directory["email"] if directory else next((r["email"] for r in registrations
                                                   if r["email"]), None),
        directory["first_seen"] if directory else None,
        directory["last_seen"] if directory else None,
        names, usernames,
        [Booking(*r) for r in bookings], [Registration(*r) for r in registrations], events,
        (unreachable["reason"], unreachable["since"]) if unreachable else None,
        [Received(*r) for r in delivered])


async def events_page(pool: asyncpg.Pool, user_id: int, limit: int, offset: int
                      ) -> list[asyncpg.Record]:
    """A page of events with details.lesson_type as text (JSON text unless a string). Read
    in SQL: details may be any JSON, nested deeper than Python's decoder goes."""
    return await pool.fetch(
        "SELECT event_type, created_at, CASE WHEN jsonb_typeof(details) = 'object'"
        " THEN left(details->>'lesson_type', 200) END AS lesson_type"
        " FROM events WHERE user_id = $1"
        " ORDER BY created_at DESC NULLS LAST, id DESC LIMIT $2 OFFSET $3",
        user_id, limit, offset)


async def change_stream(conn: asyncpg.Connection, booking_id: int, user_id: int,
                        to_stream: str) -> bool:
    """Move this user's booking to an active stream, if the booking is not cancelled;
    returns whether it moved."""
    moved = await conn.fetchval(
        """UPDATE bookings SET course_stream = $3
           WHERE id = $1 AND user_id = $2 AND confirmed IN (1, 2)
             AND EXISTS (SELECT 1 FROM course_streams WHERE code = $3 AND archived_at IS NULL)
           RETURNING id""", booking_id, user_id, to_stream)
    return moved is not None


async def set_booking_status(conn: asyncpg.Connection, booking_id: int, user_id: int,
                             from_status: int | None, to_status: int) -> bool:
    """Confirm or cancel the booking if its status is still what the admin saw."""
    changed = await conn.fetchval(
        """UPDATE bookings SET confirmed = $4
           WHERE id = $1 AND user_id = $2 AND confirmed IS NOT DISTINCT FROM $3 RETURNING id""",
        booking_id, user_id, from_status, to_status)
    return changed is not None
