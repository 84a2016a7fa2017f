"""What broadcasts caused: clicks on their tracked links, and what recipients and the holdout
did afterwards in the platform's own tables (read from the summaries of
outcome_summaries.py where they answer)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import asyncpg

from bot.db.outcome_summaries import COUNTED, SINCE, KEPT_DAYS, up_to_date


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


# Counted over every recipient: what a broadcast still sending, or a window longer than the
# summaries keep, is counted with.
_GROUPS = f"""
    WITH g AS (
        SELECT r.user_id, r.delivery_status = 'holdout' AS held, {SINCE} AS since
        FROM message_recipients r JOIN message_history h ON h.id = r.message_id
        WHERE r.message_id = $1 AND {COUNTED})
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

_KEPT_GROUPS = """
    SELECT s.broadcast_id, s.recipients, s.held, f.held AS in_holdout, f.metric, f.n
    FROM outcome_summaries s
    LEFT JOIN LATERAL (
        SELECT held, metric, count(*) AS n FROM outcome_firsts f
        WHERE f.broadcast_id = s.broadcast_id AND f.first_at < f.since + $2 * interval '1 day'
        GROUP BY held, metric) f ON true
    WHERE s.broadcast_id = ANY($1::int[])"""

# a picked event type is not kept: counted from its rows within the broadcast's windows
_PICKED = f"""
    SELECT r.delivery_status = 'holdout' AS held, count(DISTINCT r.id) AS n
    FROM outcome_summaries s
    JOIN events x ON x.event_type = $3 AND x.created_at >= s.first_since
                 AND x.created_at < s.last_since + $2 * interval '1 day'
    JOIN message_recipients r ON r.message_id = s.broadcast_id AND r.user_id = x.user_id
                             AND {COUNTED}
    JOIN message_history h ON h.id = r.message_id
    WHERE s.broadcast_id = $1 AND x.created_at >= {SINCE}
      AND x.created_at < {SINCE} + $2 * interval '1 day'
    GROUP BY 1"""


async def _kept_groups(pool: asyncpg.Pool, broadcast_ids: list[int], days: int
                       ) -> dict[int, tuple[Group, Group]]:
    counts: dict[int, dict[bool, dict[str, int]]] = {}
    for r in await pool.fetch(_KEPT_GROUPS, broadcast_ids, days):
        groups = counts.setdefault(r["broadcast_id"], {False: {"people": r["recipients"]},
                                                       True: {"people": r["held"]}})
        if r["metric"] is not None:
            groups[r["in_holdout"]][r["metric"]] = r["n"]
    return {b: (Group(**g[False]), Group(**g[True])) for b, g in counts.items()}


async def _clicks(pool: asyncpg.Pool, broadcast_ids: list[int]
                  ) -> dict[int, tuple[dict[int, tuple[int, int]], int]]:
    """Per broadcast: button -> (clicks, people), and people who clicked any button."""
    rows = await pool.fetch(
        """SELECT broadcast_id, button, count(*) AS clicks, count(DISTINCT user_id) AS people
           FROM broadcast_clicks WHERE broadcast_id = ANY($1::int[])
           GROUP BY GROUPING SETS ((broadcast_id, button), (broadcast_id))
           ORDER BY broadcast_id, button""", broadcast_ids)
    result: dict[int, tuple[dict[int, tuple[int, int]], int]] = {}
    for r in rows:
        buttons, clickers = result.get(r["broadcast_id"], ({}, 0))
        if r["button"] is None:
            clickers = r["people"]
        else:
            buttons[r["button"]] = (r["clicks"], r["people"])
        result[r["broadcast_id"]] = (buttons, clickers)
    return result


async def _counted_whole(pool: asyncpg.Pool, broadcast_id: int, days: int,
                         event_type: str | None) -> tuple[Group, Group]:
    groups = {r["held"]: Group(*(r[k] for k in ("people", "booked", "paid", "registered",
                                                 "lesson", "event")))
              for r in await pool.fetch(_GROUPS, broadcast_id, days, event_type)}
    return groups.get(False, Group()), groups.get(True, Group())


async def _outcomes_of(pool: asyncpg.Pool, broadcast_ids: list[int], days: int,
                       event_type: str | None, bookings_max_age: float | None
                       ) -> dict[int, Outcomes]:
    kept = await up_to_date(pool, broadcast_ids, bookings_max_age) \
        if days <= KEPT_DAYS else []
    groups = await _kept_groups(pool, kept, days) if kept else {}
    if event_type is not None:
        for broadcast_id in kept:
            picked = {r["held"]: r["n"] for r in await pool.fetch(_PICKED, broadcast_id, days,
                                                                    event_type)}
            treated, control = groups[broadcast_id]
            groups[broadcast_id] = (replace(treated, event=picked.get(False, 0)),
                                    replace(control, event=picked.get(True, 0)))
    for broadcast_id in broadcast_ids:
        if broadcast_id not in groups:  # still sending, or a longer window
            groups[broadcast_id] = await _counted_whole(pool, broadcast_id, days, event_type)
    clicks = await _clicks(pool, broadcast_ids)
    return {b: Outcomes(*groups[b], *clicks.get(b, ({}, 0))) for b in broadcast_ids}


async def outcomes(pool: asyncpg.Pool, broadcast_id: int, days: int = 7,
                   event_type: str | None = None, bookings_max_age: float | None = None
                   ) -> Outcomes:
    """Clicks, and what recipients and the holdout did within `days` (from the platform's
    tables, by user id and time). Read from the broadcast's summary, brought up to date
    first with the rows written since; a booking's status changed in place is counted by the
    job (`catch_up`), or here when `bookings_max_age` is given and it has been longer. A
    broadcast still sending, or a window over KEPT_DAYS, is counted over all its recipients."""
    return (await _outcomes_of(pool, [broadcast_id], days, event_type,
                               bookings_max_age))[broadcast_id]


async def compare_recent(pool: asyncpg.Pool, limit: int = 20, days: int = 7,
                         event_type: str | None = None,
                         bookings_max_age: float | None = None) -> list[tuple[int, Outcomes]]:
    """The last `limit` broadcasts that were started, newest first, each with its outcomes
    (as `outcomes` counts them), for comparing them side by side."""
    ids = [r["id"] for r in await pool.fetch(
        "SELECT id FROM message_history WHERE started_at IS NOT NULL"
        " ORDER BY started_at DESC, id DESC LIMIT $1", limit)]
    found = await _outcomes_of(pool, ids, days, event_type, bookings_max_age)
    return [(b, found[b]) for b in ids]
