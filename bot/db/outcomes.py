"""What broadcasts caused: clicks on their tracked links, and what recipients and the holdout
did afterwards in the platform's own tables."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg


async def follow(pool: asyncpg.Pool, recipient_id: int, button: int) -> str | None:
    """Record a click on a recipient's link button and return where it leads (None: no such
    recipient or button). One statement: the recipient by its key, the click written."""
    row = await pool.fetchrow(
        """WITH r AS (
               SELECT r.id, r.message_id, r.user_id,
                      (SELECT b ->> 'url' FROM jsonb_array_elements(h.buttons) WITH ORDINALITY
                                                AS rows(rw, i),
                              jsonb_array_elements(rw) WITH ORDINALITY AS cells(b, j)
                       ORDER BY i, j OFFSET $2 LIMIT 1) AS url
               FROM message_recipients r JOIN message_history h ON h.id = r.message_id
               WHERE r.id = $1),
           clicked AS (
               INSERT INTO broadcast_clicks (broadcast_id, recipient_id, user_id, button)
               SELECT message_id, id, user_id, $2 FROM r WHERE url IS NOT NULL)
           SELECT url FROM r""",  # the INSERT runs whether or not it is read
        recipient_id, button)
    return row["url"] if row is not None else None


@dataclass(frozen=True)
class Group:
    """What one group did within the window: people counted once whatever they did."""

    people: int = 0
    booked: int = 0       # made a booking (any status)
    paid: int = 0         # made a booking that is paid
    registered: int = 0   # registered for a free lesson
    lesson: int = 0       # clicked through to a lesson (lesson_link_clicked)
    event: int = 0        # did the event type the admin picked


@dataclass(frozen=True)
class Outcomes:
    recipients: Group   # those who got it: the window opens at their delivery
    holdout: Group      # those kept back: the window opens when sending started
    clicks: dict[int, tuple[int, int]]  # button -> (clicks, people)
    clickers: int       # people who clicked any button


def _did(table: str, moment: str, extra: str = "") -> str:
    return (f"EXISTS (SELECT 1 FROM {table} x WHERE x.user_id = g.user_id {extra}"
            f" AND x.{moment} >= g.since AND x.{moment} < g.since + $2 * interval '1 day')")


_GROUPS = f"""
    WITH g AS (
        SELECT r.user_id, r.delivery_status = 'holdout' AS held,
               CASE WHEN r.delivery_status = 'holdout' THEN h.started_at ELSE r.sent_at END
                   AS since
        FROM message_recipients r JOIN message_history h ON h.id = r.message_id
        WHERE r.message_id = $1 AND r.delivery_status IN ('sent', 'deleted', 'holdout'))
    SELECT held, count(*) AS people,
           count(*) FILTER (WHERE {_did("bookings", "created_at")}) AS booked,
           count(*) FILTER (WHERE {_did("bookings", "created_at", "AND x.confirmed = 2")}) AS paid,
           count(*) FILTER (WHERE {_did("free_lesson_registrations", "registered_at")})
               AS registered,
           count(*) FILTER (WHERE {_did("events", "created_at",
                                        "AND x.event_type = 'lesson_link_clicked'")}) AS lesson,
           count(*) FILTER (WHERE $3::text IS NOT NULL
                            AND {_did("events", "created_at", "AND x.event_type = $3")}) AS event
    FROM g WHERE since IS NOT NULL GROUP BY held"""


async def outcomes(pool: asyncpg.Pool, broadcast_id: int, days: int = 7,
                   event_type: str | None = None) -> Outcomes:
    """Clicks, and what recipients and the holdout did within `days` (from the platform's
    tables, by user id and time)."""
    groups = {r["held"]: Group(*(r[k] for k in ("people", "booked", "paid", "registered",
                                                 "lesson", "event")))
              for r in await pool.fetch(_GROUPS, broadcast_id, days, event_type)}
    rows = await pool.fetch(
        """SELECT button, count(*) AS clicks, count(DISTINCT user_id) AS people
           FROM broadcast_clicks WHERE broadcast_id = $1 GROUP BY button ORDER BY button""",
        broadcast_id)
    clickers = await pool.fetchval("SELECT count(DISTINCT user_id) FROM broadcast_clicks"
                                   " WHERE broadcast_id = $1", broadcast_id)
    return Outcomes(groups.get(False, Group()), groups.get(True, Group()),
                    {r["button"]: (r["clicks"], r["people"]) for r in rows}, clickers)
