"""One person: finding them in the user directory, and everything the platform's tables hold
about them (read by user_id through the tables' indexes)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import asyncpg

CANDIDATES = 200  # people one can page through: the best this many
COUNTED = 1000  # matches counted exactly up to this many; beyond, "more than" (COUNTED + 1)
TYPOS_BELOW = 20  # near spellings are looked for when fewer substrings than this match

# Matching is on search_key: lower case, Cyrillic written in Latin letters, so "Мария",
# "maria" and "Мрия" meet. Tiers, best first:
#   0 the id, 1 the @username or e-mail itself (all of them: exact matches always come first),
#   2 an exact name (every word of the query is a whole word of a name the user was seen with),
#   3 every word of the query somewhere in the search text (names, @username, e-mail),
#   4 a near spelling (a typo) of a one-word query, when fewer than TYPOS_BELOW match so far.
# The count finds each tier's people through GIN indexes (up to COUNTED + 1 of them); a tier of
# at most COUNTED is then ranked whole by similarity to the query (then the latest seen); a
# larger one is read along an index in last_seen order that holds what the filters read (the
# latest seen first), which stops after the page since its people are common.
# Each tier is read only as far as the page needs, and only if the count found someone in it.
_TRIGRAMS = re.compile(r"[a-z0-9]{3}")  # pg_trgm's index finds substrings with such a run

_EXACT = "(lower({d}username) = $bare OR lower({d}email) = $bare)"
_NAMED = "string_to_array({d}names, ' ') @> string_to_array($key, ' ')"
_NEAR = "{d}search_text %> $key"


def _words(key: str, values: dict[str, object]) -> tuple[str, str]:
    """Every word of the query in the search text: as conditions an index answers (a word
    with three letters or digits in a row through the trigram index, others through the index
    of one- and two-character pieces) and as filters; their values go into `values`."""
    indexed, filters, grams = [], [], set()
    for i, word in enumerate(key.split()):
        values[f"word{i}"] = word
        filters.append(f"strpos({{d}}search_text, $word{i}) > 0")
        if _TRIGRAMS.search(word):
            values[f"pattern{i}"] = "%" + word.replace("\\", "\\\\").replace(
                "%", "\\%").replace("_", "\\_") + "%"
            indexed.append(f"{{d}}search_text LIKE $pattern{i}")
        else:
            grams.update([word] if len(word) <= 2 else
                         (word[j:j + 2] for j in range(len(word) - 1)))
            indexed.append(f"strpos({{d}}search_text, $word{i}) > 0")
    if grams:
        values["grams"] = sorted(grams)
        indexed.insert(0, "search_grams({d}search_text) @> $grams")
    return " AND ".join(indexed) or "false", " AND ".join(filters) or "false"


_COUNT = """
    WITH exact AS MATERIALIZED (
        SELECT user_id FROM user_directory WHERE user_id = $id
        UNION SELECT user_id FROM user_directory WHERE {exact}),
    wide AS MATERIALIZED (  -- an @username or e-mail found as such is all there is
        SELECT $wide AND NOT ($pointed AND EXISTS (SELECT 1 FROM exact)) AS yes),
    named AS MATERIALIZED (
        SELECT user_id FROM user_directory WHERE (SELECT yes FROM wide) AND {named} LIMIT $cap),
    substrings AS MATERIALIZED (
        SELECT user_id FROM user_directory WHERE (SELECT yes FROM wide) AND {substring}
        LIMIT $cap),
    near AS MATERIALIZED (
        SELECT user_id FROM user_directory
        WHERE $typos AND (SELECT yes FROM wide) AND (SELECT count(*) FROM substrings) < $few
          AND {near} LIMIT $cap)
    SELECT (SELECT yes FROM wide) AS wide, ARRAY(SELECT user_id FROM named) AS named,
           ARRAY(SELECT user_id FROM substrings) AS substrings,
           ARRAY(SELECT user_id FROM near) AS near,
           (SELECT count(*) FROM (SELECT user_id FROM exact UNION SELECT user_id FROM named
                                  UNION SELECT user_id FROM substrings
                                  UNION SELECT user_id FROM near) found) AS total"""
# The count reads through the GIN and btree indexes only: with the cost of a trigram match per
# row unknown to it, the planner may otherwise read the whole table (or the walk index) to find
# "the first 1,001" of a rare match, ~1 s.
_BITMAPS_ONLY = ("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off;"
                 " SET LOCAL enable_indexonlyscan = off")

_COLUMNS = "d.user_id, d.username, d.first_name, d.email"
_NOT_EXACT = ("d.user_id IS DISTINCT FROM $id AND lower(d.username) IS DISTINCT FROM $bare"
              " AND lower(d.email) IS DISTINCT FROM $bare")
_RANKED = "word_similarity($key, d.search_text) DESC, d.last_seen DESC NULLS LAST, d.user_id"
_LATEST = "d.last_seen DESC NULLS LAST, d.user_id"


def _bind(sql: str, values: dict[str, object]) -> tuple[str, list[object]]:
    """$name placeholders as $1, $2, ... in order of first use, and their values."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match[1] not in names:
            names.append(match[1])
        return f"${names.index(match[1]) + 1}"

    return re.sub(r"\$([a-z_][a-z_0-9]*)", number, sql), [values[name] for name in names]


# Limits are written into the SQL: as parameters, a cached plan assumes a tenth of the table
# and sorts it all instead of reading the walk index up to the page.
def _tier(rank: int, where: str, order: str, n: int) -> str:
    return (f"(SELECT {_COLUMNS}, {rank} AS rank FROM user_directory d WHERE {where}"
            f" ORDER BY {order} LIMIT {int(n)})")


def _walked_tier(rank: int, where: str, n: int) -> str:
    """A tier of common matches: read along idx_user_directory_walk alone (it holds what the
    filters read), the latest seen first, then named through the primary key."""
    return (f"(SELECT {_COLUMNS.replace('d.', 'u.')}, {rank} AS rank FROM ("
            f"SELECT d.user_id, d.last_seen FROM user_directory d WHERE {where}"
            f" ORDER BY {_LATEST} LIMIT {int(n)}) d JOIN user_directory u USING (user_id)"
            f" ORDER BY {_LATEST})")


@dataclass(frozen=True)
class Found:
    user_id: int
    username: str | None
    first_name: str | None
    email: str | None
    exact: bool  # the id, @username or e-mail itself


async def search(pool: asyncpg.Pool, query: str, limit: int, offset: int = 0
                 ) -> tuple[list[Found], int]:
    """People matching `query` (already checked for length), best first, and how many matched:
    exactly up to COUNTED, else COUNTED + 1 ("more than COUNTED")."""
    text = query.strip().lower()
    bare = text[1:] if text.startswith("@") else text
    user_id = int(bare) if bare.isascii() and bare.isdigit() and len(bare) <= 18 else None
    async with pool.acquire() as conn:
        key = " ".join((await conn.fetchval("SELECT search_key($1)", bare) or "").split())
        values: dict[str, object] = {
            "id": user_id, "bare": bare, "key": key, "wide": bool(key),
            "pointed": text.startswith("@") or "@" in text[1:],
            "typos": " " not in key and _TRIGRAMS.search(key) is not None,
            "cap": COUNTED + 1, "few": TYPOS_BELOW}
        n = offset + limit
        indexed, filters = _words(key, values)
        sql, args = _bind(_COUNT.format(exact=_EXACT.format(d=""), named=_NAMED.format(d=""),
                                        substring=indexed.format(d=""), near=_NEAR.format(d="")),
                          values)
        async with conn.transaction():
            await conn.execute(_BITMAPS_ONLY)
            counted = await conn.fetchrow(sql, *args)
        total = min(counted["total"], COUNTED + 1)
        if total == 0 or offset >= total:
            return [], total
        tiers = [_tier(0, "d.user_id = $id", _LATEST, n),
                 _tier(1, f"{_EXACT.format(d='d.')} AND d.user_id IS DISTINCT FROM $id",
                       _LATEST, n)]
        not_before = _NOT_EXACT
        for rank, name, walked in (
                (2, "named", f"({_NAMED.format(d='d.')}) IS TRUE"),
                (3, "substrings", filters.format(d="d.")),
                (4, "near", f"({_NEAR.format(d='d.')}) IS TRUE")):
            found = counted[name]
            if counted["wide"] and found:
                if len(found) > COUNTED:  # common: the latest seen first
                    tiers.append(_walked_tier(rank, f"({walked}) AND {not_before}", n))
                else:  # the ones the count found, ranked
                    values[name] = found
                    tiers.append(_tier(rank, f"d.user_id = ANY(${name}) AND {not_before}",
                                       _RANKED, n))
            not_before += f" AND NOT ({walked})"
        # UNION ALL reads its branches in turn and the outer LIMIT stops it: tiers come out in
        # order, and a later tier is not read at all when earlier ones fill the page
        sql, args = _bind("SELECT * FROM (" + " UNION ALL ".join(tiers)
                          + f") ranked LIMIT {int(limit)} OFFSET {int(offset)}", values)
        rows = await conn.fetch(sql, *args)
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
