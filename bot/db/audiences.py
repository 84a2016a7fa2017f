"""Who a broadcast goes to. Definitions as DESIGN.md gives them: a user is any user_id in
bookings, events or free_lesson_registrations; a stream member has a confirmed booking in it."""

from __future__ import annotations

import asyncio
from datetime import date
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import asyncpg

from bot.config import FrequencyCap
from bot.db import streams
from bot.db.reachability import NEVER_STARTED
from bot.db.streams import StreamSummary

CONFIRMED, PENDING = 2, 1
KINDS = ("all", "stream", "leads", "free_lesson", "pending", "users")

# Every user: the user directory, plus people in rows it has not read yet (ids above its marks),
# so the list is exact without scanning ten million events. With the marks written into the
# SQL as numbers the planner sees how few rows lie above them; read in the query, it has to
# guess (a third of the table) and may hash a million ids to show ten.
_MARK = "(SELECT coalesce(max(last_id), 0) FROM summary_marks WHERE source = '{table}')"
_SOURCES = ("bookings", "free_lesson_registrations", "events")


def _newcomers(marks: dict[str, int] | None = None) -> str:
    tails = " UNION ".join(
        f"SELECT user_id FROM {table} WHERE user_id IS NOT NULL AND id > "
        + (str(int(marks.get(table, 0))) if marks is not None else _MARK.format(table=table))
        for table in _SOURCES)
    return f"""
    SELECT user_id FROM ({tails}) tail
    WHERE NOT EXISTS (SELECT 1 FROM user_directory d WHERE d.user_id = tail.user_id)"""


def _all_ids(marks: dict[str, int] | None = None) -> str:
    return f"SELECT user_id FROM user_directory UNION ALL {_newcomers(marks)}"


_NEWCOMERS, _ALL_IDS = _newcomers(), _all_ids()


async def read_marks(pool: asyncpg.Pool | asyncpg.Connection) -> dict[str, int]:
    """How far the user directory has read each platform table."""
    rows = await pool.fetch("SELECT source, coalesce(max(last_id), 0) AS last_id"
                            " FROM summary_marks GROUP BY source")
    return {r["source"]: r["last_id"] for r in rows}


# How many: the directory's size is kept in daily_users by the same statements that write it
_COUNT_EVERYONE = f"""
    WITH newcomers AS MATERIALIZED ({_NEWCOMERS}),
    paid AS MATERIALIZED (SELECT DISTINCT user_id FROM bookings
                          WHERE confirmed = {CONFIRMED} AND user_id IS NOT NULL)
    SELECT ((SELECT coalesce(sum(new_users), 0) FROM daily_users)
               + (SELECT count(*) FROM newcomers))::bigint AS everyone,
           (SELECT count(*) FROM paid) AS paid,
           count(*) FILTER (WHERE r.user_id IS NOT NULL) AS unreachable,
           count(*) FILTER (WHERE r.never_started) AS never_started,
           count(*) FILTER (WHERE r.paid) AS unreachable_paid,
           count(*) FILTER (WHERE r.paid AND r.never_started) AS never_started_paid
    FROM (SELECT u.user_id, u.reason ILIKE '{NEVER_STARTED}' AS never_started,
                 u.user_id IN (SELECT user_id FROM paid) AS paid
          FROM unreachable_users u
          WHERE EXISTS (SELECT 1 FROM user_directory d WHERE d.user_id = u.user_id)
             OR u.user_id IN (SELECT user_id FROM newcomers)) r"""


@dataclass(frozen=True)
class Audience:
    kind: str
    stream: str | None = None
    lesson_type: str | None = None
    user_ids: tuple[int, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown audience kind {self.kind!r}")
        if self.kind == "stream" and not self.stream:
            raise ValueError("a stream audience needs a stream")

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        if self.stream:
            data["stream"] = self.stream
        if self.lesson_type:
            data["lesson_type"] = self.lesson_type
        if self.user_ids:
            data["user_ids"] = list(self.user_ids)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Audience:
        return cls(data["kind"], data.get("stream"), data.get("lesson_type"),
                   tuple(data.get("user_ids", ())))

    @property
    def recipient_type(self) -> str:
        """The platform's message_history.recipient_type."""
        return "individual" if self.kind == "users" and len(self.user_ids) == 1 else "group"

    @property
    def personal(self) -> bool:
        """A message to one person (the user card's «write»): not a broadcast for the
        frequency cap, quiet hours or unsubscribes."""
        return self.recipient_type == "individual"

    @property
    def recipient_group(self) -> str:
        """The platform's message_history.recipient_group: the stream code, or the kind."""
        return self.stream if self.kind == "stream" and self.stream else self.kind

    def ids_sql(self, first: int, marks: dict[str, int] | None = None
                ) -> tuple[str, list[Any]]:
        """SQL selecting the audience's user ids, its parameters numbered from $first; `marks`
        (read_marks) for everyone and leads, else the SQL reads them itself."""
        p = f"${first}"
        if self.kind == "all":
            return _all_ids(marks), []
        if self.kind == "stream":
            return (f"SELECT DISTINCT user_id FROM bookings WHERE course_stream = {p}"
                    f" AND confirmed = {CONFIRMED} AND user_id IS NOT NULL", [self.stream])
        if self.kind == "leads":  # read in user id order: a page stops after its rows
            return (f"SELECT user_id FROM ({_all_ids(marks)}) everyone WHERE NOT EXISTS ("
                    f"SELECT 1 FROM bookings b WHERE b.user_id = everyone.user_id"
                    f" AND b.confirmed = {CONFIRMED})", [])
        if self.kind == "free_lesson":
            return (f"SELECT DISTINCT user_id FROM free_lesson_registrations WHERE user_id IS NOT"
                    f" NULL AND ({p}::text IS NULL OR lesson_type = {p})", [self.lesson_type])
        if self.kind == "pending":
            return (f"SELECT DISTINCT user_id FROM bookings WHERE confirmed = {PENDING}"
                    " AND user_id IS NOT NULL", [])
        return f"SELECT DISTINCT unnest({p}::bigint[]) AS user_id", [list(self.user_ids)]


def members_sql(audience: Audience, first: int, marks: dict[str, int] | None = None
                ) -> tuple[str, list[Any]]:
    """SQL selecting (user_id, username, first_name) for each member of the audience: names as
    the user directory has them (the latest seen), or, for people it has not read yet, from
    their latest row that has one (through the user_id indexes)."""
    ids, args = audience.ids_sql(first, marks)
    sql = f"""
        WITH ids AS ({ids}),
        named AS (
            SELECT ids.user_id, d.username, d.first_name, d.user_id IS NOT NULL AS known
            FROM ids LEFT JOIN user_directory d USING (user_id))
        SELECT user_id, username, first_name FROM named WHERE known
        UNION ALL
        SELECT n.user_id, seen.username, seen.first_name
        FROM named n LEFT JOIN LATERAL (
            SELECT username, first_name FROM (
                SELECT username, first_name, created_at AS at FROM bookings
                WHERE user_id = n.user_id
                UNION ALL SELECT username, first_name, registered_at
                FROM free_lesson_registrations WHERE user_id = n.user_id
                UNION ALL (SELECT username, first_name, created_at FROM events
                           WHERE user_id = n.user_id ORDER BY created_at DESC LIMIT 50)) rows
            ORDER BY (first_name IS NULL AND username IS NULL), at DESC NULLS LAST
            LIMIT 1) seen ON true
        WHERE NOT n.known"""
    return sql, args


class AudienceSize(NamedTuple):
    total: int
    unreachable: int     # known not to be reachable by the broadcast bot: skipped
    never_started: int   # of those, never started it (the rest blocked it or left Telegram)
    unsubscribed: int = 0  # reachable, but unsubscribed from broadcasts: skipped

    @property
    def reachable(self) -> int:
        return self.total - self.unreachable - self.unsubscribed


async def count(pool: asyncpg.Pool | asyncpg.Connection, audience: Audience) -> AudienceSize:
    """Members, of whom known to be unreachable (and of those, who never started the bot),
    and of the rest those who unsubscribed (a message to one person goes out all the same)."""
    gone = 0 if audience.personal else await _unsubscribed(pool, audience)
    if audience.kind in ("all", "leads"):  # leads: everyone but those with a paid booking
        row = await pool.fetchrow(_COUNT_EVERYONE)
        if audience.kind == "all":
            return AudienceSize(row["everyone"], row["unreachable"], row["never_started"], gone)
        return AudienceSize(row["everyone"] - row["paid"],
                            row["unreachable"] - row["unreachable_paid"],
                            row["never_started"] - row["never_started_paid"], gone)
    ids, args = audience.ids_sql(1)
    row = await pool.fetchrow(
        f"SELECT count(*) AS total, count(u.user_id) AS unreachable,"
        f" count(*) FILTER (WHERE u.reason ILIKE '{NEVER_STARTED}') AS never_started"
        f" FROM ({ids}) a LEFT JOIN unreachable_users u USING (user_id)", *args)
    return AudienceSize(row["total"], row["unreachable"], row["never_started"], gone)


async def _unsubscribed(pool: asyncpg.Pool | asyncpg.Connection, audience: Audience) -> int:
    """Members who unsubscribed from broadcasts and are not known to be unreachable (those
    are counted as unreachable). Starts from the few who unsubscribed."""
    marks = await read_marks(pool) if audience.kind in ("all", "leads") else None
    ids, args = audience.ids_sql(1, marks)
    return await pool.fetchval(
        f"""SELECT count(*) FROM unsubscribed_users s
            WHERE s.user_id IN ({ids})
              AND NOT EXISTS (SELECT 1 FROM unreachable_users u WHERE u.user_id = s.user_id)""",
        *args)


# The composer's audience picker: every size it shows, exact, in three statements run at once
# on three connections (each ~30 ms at 200,000 users where the four counts one after another
# took ~170 ms). Everyone and the paid come from one snapshot, so leads are everyone - paid
# exactly as count() gives them; unreachable people are not shown there, so not counted.
_PICKER_PEOPLE = f"""
    SELECT ((SELECT coalesce(sum(new_users), 0) FROM daily_users)
               + (SELECT count(*) FROM ({_NEWCOMERS}) newcomers))::bigint AS everyone,
           (SELECT count(DISTINCT user_id) FROM bookings
            WHERE confirmed = {CONFIRMED} AND user_id IS NOT NULL) AS paid,
           (SELECT count(DISTINCT user_id) FROM bookings
            WHERE confirmed = {PENDING} AND user_id IS NOT NULL) AS pending"""
_PICKER_REGISTRANTS = """
    SELECT count(*) FROM (SELECT DISTINCT user_id FROM free_lesson_registrations
                          WHERE user_id IS NOT NULL) registrants"""


@dataclass(frozen=True)
class PickerCounts:
    streams: list[StreamSummary]  # active streams with their paid members
    everyone: int
    leads: int
    free_lesson: int
    pending: int


async def picker_counts(pool: asyncpg.Pool) -> PickerCounts:
    """What the audience picker shows: the same numbers count() gives for each audience."""
    people, registrants, active = await asyncio.gather(
        pool.fetchrow(_PICKER_PEOPLE), pool.fetchval(_PICKER_REGISTRANTS),
        streams.list_active_streams(pool))
    return PickerCounts(active, people["everyone"], people["everyone"] - people["paid"],
                        registrants, people["pending"])


async def lesson_types(pool: asyncpg.Pool) -> list[tuple[str, int]]:
    """Free-lesson types with how many people registered for each."""
    rows = await pool.fetch("SELECT lesson_type, count(DISTINCT user_id) AS n"
                            " FROM free_lesson_registrations WHERE lesson_type IS NOT NULL"
                            " AND user_id IS NOT NULL GROUP BY 1 ORDER BY n DESC, 1")
    return [(r["lesson_type"], r["n"]) for r in rows]


async def resolve(pool: asyncpg.Pool, ids: list[int], usernames: list[str]
                  ) -> tuple[set[int], dict[str, list[int]]]:
    """Which of these user ids are known users, and whose these @usernames are: everyone seen
    with the name, whoever was seen with it last first. Read from the user directory and the
    rows it has not read yet. Returns ({known id}, {username_lower: [user ids]})."""
    known_ids = await pool.fetch(
        f"SELECT user_id FROM ({_ALL_IDS}) u WHERE user_id = ANY($1::bigint[])", ids)
    tail = " UNION ALL ".join(
        f"SELECT username, user_id, {at} FROM {table} WHERE id > {_MARK.format(table=table)}"
        for table, at in (("bookings", "created_at"), ("free_lesson_registrations",
                                                       "registered_at"), ("events", "created_at")))
    names = await pool.fetch(
        f"""SELECT lower(username) AS name, user_id, max(at) AS at FROM (
               SELECT username, user_id, last_seen AS at FROM user_directory
               UNION ALL {tail}
           ) seen WHERE lower(username) = ANY($1::text[]) AND user_id IS NOT NULL
           GROUP BY lower(username), user_id
           ORDER BY lower(username), max(at) DESC NULLS LAST, user_id""",
        [u.lower() for u in usernames])
    owners: dict[str, list[int]] = {}
    for r in names:
        owners.setdefault(r["name"], []).append(r["user_id"])
    return {r["user_id"] for r in known_ids}, owners


async def page(pool: asyncpg.Pool, audience: Audience, limit: int | None, offset: int = 0
               ) -> list[asyncpg.Record]:
    """Members in user id order, named as the user directory knows them (limit None: all)."""
    marks = await read_marks(pool) if audience.kind in ("all", "leads") else None
    ids, args = audience.ids_sql(3, marks)
    return await pool.fetch(
        f"""SELECT a.user_id, d.username, d.first_name, d.email
            FROM ({ids}) a LEFT JOIN user_directory d USING (user_id)
            ORDER BY a.user_id LIMIT $1 OFFSET $2""", limit, offset, *args)


# ---- the people lists' own rows: free-lesson registrants and bookings, with filters ----

_REGISTRANTS = """
    SELECT DISTINCT ON (r.user_id) r.user_id, r.username, r.first_name, r.email,
           r.lesson_type, r.lesson_date, r.registered_at
    FROM free_lesson_registrations r
    WHERE r.user_id IS NOT NULL AND ($1::text IS NULL OR r.lesson_type = $1)
      AND ($2::date IS NULL OR r.lesson_date >= $2) AND ($3::date IS NULL OR r.lesson_date <= $3)
    ORDER BY r.user_id, r.registered_at DESC NULLS LAST, r.id DESC"""


async def registrants(pool: asyncpg.Pool, lesson: str | None, since: date | None,
                      until: date | None, offset: int, limit: int | None
                      ) -> tuple[list[asyncpg.Record], int]:
    """People registered for a free lesson (of this type, with a lesson date in this range;
    None: any), newest registration first, each once with their latest matching registration
    (lesson type, lesson date, e-mail as it was given) and their name as the user directory
    has it; and how many there are (limit None: all of them)."""
    rows = await pool.fetch(
        f"""SELECT m.user_id, coalesce(d.username, m.username) AS username,
                   coalesce(d.first_name, m.first_name) AS first_name, m.email,
                   m.lesson_type, m.lesson_date, m.registered_at
            FROM ({_REGISTRANTS}) m LEFT JOIN user_directory d USING (user_id)
            ORDER BY m.registered_at DESC NULLS LAST, m.user_id LIMIT $4 OFFSET $5""",
        lesson, since, until, limit, offset)
    total = await pool.fetchval(f"SELECT count(*) FROM ({_REGISTRANTS}) m", lesson, since, until)
    return rows, total


async def bookings(pool: asyncpg.Pool, stream: str | None, status: int | None, offset: int,
                   limit: int) -> tuple[list[asyncpg.Record], int]:
    """Bookings (in this stream, in this status; None: any), newest first, with the person's
    name as the user directory has it; and how many there are."""
    where = ("($1::text IS NULL OR b.course_stream = $1)"
             " AND ($2::int IS NULL OR b.confirmed = $2)")
    rows = await pool.fetch(
        f"""SELECT b.id, b.user_id, coalesce(d.username, b.username) AS username,
                   coalesce(d.first_name, b.first_name) AS first_name, b.course_stream,
                   b.confirmed, b.created_at
            FROM bookings b LEFT JOIN user_directory d USING (user_id)
            WHERE {where} ORDER BY b.created_at DESC NULLS LAST, b.id DESC
            LIMIT $3 OFFSET $4""", stream, status, limit, offset)
    total = await pool.fetchval(f"SELECT count(*) FROM bookings b WHERE {where}", stream, status)
    return rows, total


# ---- the frequency cap ---------------------------------------------------------------------

def capped_sql(first: int) -> str:
    """SQL selecting (user_id, got) for everyone who got at least ${first} broadcasts within
    the last ${first + 1} hours. Messages to one person (recipient_type 'individual', the user
    card's «write») are not broadcasts and don't count; test sends leave no rows at all."""
    k, hours = f"${first}", f"${first + 1}"
    return f"""
        SELECT r.user_id, count(DISTINCT r.message_id) AS got
        FROM message_recipients r JOIN message_history h ON h.id = r.message_id
        WHERE r.delivery_status = 'sent'
          AND coalesce(r.sent_at, r.created_at) > now() - make_interval(hours => {hours}::int)
          AND h.recipient_type IS DISTINCT FROM 'individual'
        GROUP BY r.user_id HAVING count(DISTINCT r.message_id) >= {k}::int"""


def _capped_members(audience: Audience, marks: dict[str, int] | None) -> tuple[str, list[Any]]:
    """SQL of the audience's members the cap would skip: (user_id, got), with its arguments
    from $1 (the cap's count and hours come first). The unreachable and the unsubscribed are
    skipped anyway."""
    ids, args = audience.ids_sql(3, marks)
    return (f"""SELECT c.user_id, c.got FROM ({capped_sql(1)}) c
                WHERE c.user_id IN ({ids})
                  AND NOT EXISTS (SELECT 1 FROM unreachable_users u WHERE u.user_id = c.user_id)
                  AND NOT EXISTS (SELECT 1 FROM unsubscribed_users s
                                  WHERE s.user_id = c.user_id)""",
            args)


async def capped_count(pool: asyncpg.Pool | asyncpg.Connection, audience: Audience,
                       cap: FrequencyCap | None) -> int:
    """How many of the audience the frequency cap skips now (0 without a cap, or for a
    message to one person)."""
    if cap is None or audience.personal:
        return 0
    marks = await read_marks(pool) if audience.kind in ("all", "leads") else None
    sql, args = _capped_members(audience, marks)
    return await pool.fetchval(f"SELECT count(*) FROM ({sql}) capped",
                               cap.count, cap.hours, *args)


async def capped_page(pool: asyncpg.Pool, audience: Audience, cap: FrequencyCap | None,
                      limit: int | None, offset: int = 0) -> list[asyncpg.Record]:
    """Those the frequency cap skips, in user id order, named as the user directory knows
    them, with how many broadcasts each got within the cap's hours (limit None: all)."""
    if cap is None or audience.personal:
        return []
    marks = await read_marks(pool) if audience.kind in ("all", "leads") else None
    sql, args = _capped_members(audience, marks)
    return await pool.fetch(
        f"""SELECT c.user_id, d.username, d.first_name, d.email, c.got
            FROM ({sql}) c LEFT JOIN user_directory d USING (user_id)
            ORDER BY c.user_id LIMIT ${3 + len(args)} OFFSET ${4 + len(args)}""",
        cap.count, cap.hours, *args, limit, offset)
