"""What broadcasts caused, at scale: the outcome block of a broadcast's card (clicks, and what
recipients and the holdout did within the card's window) and the comparison of the last 20
broadcasts, p50 / p95 over --rounds runs of the bot's own queries.

    .venv/bin/python -m bench.outcomes                                  # 100,000 recipients
    .venv/bin/python -m bench.outcomes --recipients 1000000 --events 10000000

The data: one broadcast to --recipients people (the newest, its window over), 19 before it to
--others people each, every one with a --holdout % control group, a few % clicking; the
platform's tables get --events events over 180 days, and bookings and free-lesson
registrations a fiftieth of that each, plus bookings a broadcast caused (1 % of those who got
it, within three days). All of it is written by SQL (generate_series) with the secondary
indexes built afterwards, so the full size takes minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import asyncpg

from bench.common import database, figures
from bot.db import outcome_summaries, outcomes
from bot.db.demo import _drop_secondary_indexes
from bot.db.pool import create_pool
from bot.handlers.history import OUTCOME_DAYS

BROADCASTS = 20
BUTTONS = ('[[{"text": "Записаться", "url": "https://example.org/book"}],'
           ' [{"text": "Урок", "url": "https://example.org/lesson"}]]')
# the platform's event types and their shares, as the demo data has them
EVENT_TYPES = (("menu_opened", 30), ("course_info_viewed", 20), ("lesson_link_clicked", 4),
               ("faq_opened", 10), ("bot_start", 8), ("reviews_viewed", 8),
               ("payment_link_clicked", 6), ("free_lesson_registered", 5),
               ("referral_link_opened", 4), ("stream_schedule_viewed", 3))
USER_BASE = 1_000_000_000


def _event_type_sql() -> str:
    """A CASE over a uniform r in [0, 1) that picks an event type by its share."""
    total = sum(weight for _, weight in EVENT_TYPES)
    arms, upto = [], 0
    for name, weight in EVENT_TYPES[:-1]:
        upto += weight
        arms.append(f"WHEN r < {upto / total} THEN '{name}'")
    return f"CASE {' '.join(arms)} ELSE '{EVENT_TYPES[-1][0]}' END"


async def generate(conn: asyncpg.Connection, recipients: int, others: int, events: int,
                   holdout: int) -> dict[str, int]:
    """Write the bench's broadcasts and platform rows; returns the row count per table."""
    users = recipients + recipients // 5  # people who got nothing are active too
    await conn.execute("SELECT setseed(0.16)")
    async with conn.transaction():
        indexes = await _drop_secondary_indexes(conn)
        # the newest broadcast started 10 days ago; the others every 3 days before it; sending
        # one took ~8 hours at the free pace
        for k in range(BROADCASTS - 1, -1, -1):
            size = recipients if k == 0 else others
            started = f"now() - interval '{10 + 3 * k} days'"
            broadcast_id = await conn.fetchval(
                f"""INSERT INTO message_history (message_text, content_html, status, buttons,
                        audience, started_at, sent_at, finished_at, created_at,
                        holdout_percent, links_base, total_recipients)
                    VALUES ('Bench broadcast', 'Bench broadcast', 'done', $1::text::jsonb,
                            '{{"kind": "all"}}'::jsonb, {started}, {started},
                            {started} + interval '8 hours', {started}, $2,
                            'https://bot.example.org', $3)
                    RETURNING id""", BUTTONS, holdout, size)
            # the newest goes to the first `recipients` users, the others to a random slice
            first = 0 if k == 0 else (k * 7919) % max(1, users - size)
            await conn.execute(
                f"""INSERT INTO message_recipients (message_id, user_id, username, delivery_status,
                        sent_at, created_at)
                    SELECT $1, {USER_BASE} + $2 + g, 'u' || g, s.status,
                           CASE WHEN s.status = 'sent'
                                THEN {started} + g * interval '8 hours' / $3 END,
                           {started}
                    FROM (SELECT g, random() AS r FROM generate_series(1, $3) g) x,
                         LATERAL (SELECT CASE WHEN x.r < $4 / 100.0 THEN 'holdout'
                                              WHEN x.r < $4 / 100.0 + 0.05 THEN 'blocked'
                                              WHEN x.r < $4 / 100.0 + 0.07 THEN 'failed'
                                              ELSE 'sent' END AS status) s""",
                broadcast_id, first, size, holdout)
            await conn.execute(
                """UPDATE message_history h SET holdout_count = c.held,
                       successful_deliveries = c.sent, sent_count = c.sent,
                       total_recipients = c.total
                   FROM (SELECT count(*) FILTER (WHERE delivery_status = 'holdout') AS held,
                                count(*) FILTER (WHERE delivery_status = 'sent') AS sent,
                                count(*) FILTER (WHERE delivery_status <> 'holdout') AS total
                         FROM message_recipients WHERE message_id = $1) c
                   WHERE h.id = $1""", broadcast_id)
            # clicks: 5 % of those who got it press the first button, 2 % the second, some twice
            await conn.execute(
                """INSERT INTO broadcast_clicks (broadcast_id, recipient_id, user_id, button,
                                                 clicked_at)
                   SELECT r.message_id, r.id, r.user_id, b.button,
                          r.sent_at + random() * interval '2 days'
                   FROM (SELECT id, message_id, user_id, sent_at, random() AS first,
                                random() AS second, random() AS twice
                         FROM message_recipients
                         WHERE message_id = $1 AND delivery_status = 'sent') r,
                        LATERAL (VALUES (0, r.first < 0.05), (1, r.second < 0.02)) b(button, pressed),
                        LATERAL generate_series(1, CASE WHEN r.twice < 0.2 THEN 2 ELSE 1 END) n
                   WHERE b.pressed""", broadcast_id)
            # what the broadcast caused: 1 % of those who got it booked within three days
            await conn.execute(
                """INSERT INTO bookings (user_id, username, first_name, course_id, course_stream,
                                         confirmed, created_at)
                   SELECT user_id, username, 'Маша', 1, '5th_stream',
                          CASE WHEN random() < 0.5 THEN 2 ELSE 1 END,
                          sent_at + random() * interval '3 days'
                   FROM message_recipients
                   WHERE message_id = $1 AND delivery_status = 'sent' AND random() < 0.01""",
                broadcast_id)
        # the platform's own activity: 180 days, anyone
        await conn.execute(
            f"""INSERT INTO events (user_id, username, first_name, event_type, created_at)
                SELECT {USER_BASE} + 1 + (random() * ($1 - 1))::bigint, NULL, NULL,
                       {_event_type_sql()}, now() - random() * interval '180 days'
                FROM (SELECT random() AS r FROM generate_series(1, $2)) x""", users, events)
        await conn.execute(
            f"""INSERT INTO bookings (user_id, username, first_name, course_id, course_stream,
                                      confirmed, created_at)
                SELECT {USER_BASE} + 1 + (random() * ($1 - 1))::bigint, NULL, 'Маша', 1,
                       '5th_stream', (ARRAY[-1, 1, 2, 2])[1 + (random() * 3)::int],
                       now() - random() * interval '180 days'
                FROM generate_series(1, $2)""", users, events // 50)
        await conn.execute(
            f"""INSERT INTO free_lesson_registrations (user_id, username, first_name,
                                                       registered_at, lesson_type)
                SELECT {USER_BASE} + 1 + (random() * ($1 - 1))::bigint, NULL, 'Маша',
                       now() - random() * interval '180 days', 'vibe_coding_intro'
                FROM generate_series(1, $2)""", users, events // 50)
        for definition in indexes:
            await conn.execute(definition)
    tables = ("message_history", "message_recipients", "broadcast_clicks", "events", "bookings",
              "free_lesson_registrations")
    await conn.execute("VACUUM ANALYZE " + ", ".join(tables))
    return {t: await conn.fetchval(f"SELECT count(*) FROM {t}") for t in tables}


async def timed(rounds: int, run) -> list[float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        await run()
        samples.append(time.perf_counter() - started)
    return samples


def report(name: str, samples: list[float], target_ms: float | None = None) -> None:
    p50, p95 = figures(samples)
    verdict = "" if target_ms is None else (
        f"   target p95 < {target_ms:.0f} ms: " + ("met" if p95 * 1000 < target_ms else "MISSED"))
    print(f"{name:<52}{len(samples):>4}{p50 * 1000:>10.1f}{p95 * 1000:>10.1f}{verdict}")


async def counted_whole(pool: asyncpg.Pool, broadcast_id: int, days: int) -> outcomes.Outcomes:
    """The card's figures as they were counted before the summaries: over every recipient."""
    treated, control = await outcomes._counted_whole(pool, broadcast_id, days, None)
    clicks, clickers = (await outcomes._clicks(pool, [broadcast_id])).get(broadcast_id, ({}, 0))
    return outcomes.Outcomes(treated, control, clicks, clickers)


async def new_platform_rows(pool: asyncpg.Pool, users: int) -> None:
    """About a minute of the platform's activity: events, a registration, a booking, and a
    booking paid."""
    await pool.execute(
        f"""INSERT INTO events (user_id, event_type, created_at)
            SELECT {USER_BASE} + 1 + (random() * ($1 - 1))::bigint,
                   CASE WHEN random() < 0.1 THEN 'lesson_link_clicked' ELSE 'menu_opened' END,
                   now() - random() * interval '12 days'
            FROM generate_series(1, 200)""", users)
    await pool.execute(
        f"""INSERT INTO free_lesson_registrations (user_id, registered_at)
            SELECT {USER_BASE} + 1 + (random() * ($1 - 1))::bigint, now()
            FROM generate_series(1, 3)""", users)
    await pool.execute(
        f"""INSERT INTO bookings (user_id, course_stream, confirmed, created_at)
            VALUES ({USER_BASE} + 1 + (random() * ($1 - 1))::bigint, '5th_stream', 1, now())""",
        users)
    await pool.execute("UPDATE bookings SET confirmed = 2 WHERE id = (SELECT min(id) FROM bookings"
                       " WHERE confirmed = 1)")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=100_000,
                        help="recipients of the newest broadcast")
    parser.add_argument("--others", type=int, help="recipients of each of the 19 before it"
                                                   " (default: a tenth of --recipients)")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--holdout", type=int, default=10, help="%% kept back")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--old-rounds", type=int, default=3,
                        help="runs of the count over every recipient (before the summaries)")
    args = parser.parse_args()
    others = args.others if args.others is not None else args.recipients // 10
    users = args.recipients + args.recipients // 5
    print(f"sizes: newest broadcast {args.recipients:,} recipients, {BROADCASTS - 1} before it"
          f" {others:,} each, {args.holdout} % holdout; {args.events:,} events,"
          f" {args.events // 50:,} bookings and {args.events // 50:,} registrations besides")
    async with database() as dsn:
        pool = await create_pool(dsn, max_size=2)
        try:
            async with pool.acquire() as conn:
                started = time.perf_counter()
                counts = await generate(conn, args.recipients, others, args.events, args.holdout)
                print(f"generated {counts} in {time.perf_counter() - started:.0f} s")
            newest = await pool.fetchval("SELECT max(id) FROM message_history")
            days = OUTCOME_DAYS

            # before: counted over every recipient on each card (and for each broadcast compared)
            before = await counted_whole(pool, newest, days)
            old_card = await timed(args.old_rounds, lambda: counted_whole(pool, newest, days))
            recent = [r["id"] for r in await pool.fetch(
                "SELECT id FROM message_history ORDER BY started_at DESC LIMIT 20")]

            async def old_comparison() -> list[outcomes.Outcomes]:
                return [await counted_whole(pool, b, days) for b in recent]
            old_compare = await timed(1, old_comparison)
            wholes = await old_comparison()

            # after: the summaries, read whole once (the job does this when sending ends)
            started = time.perf_counter()
            await outcome_summaries.catch_up(pool, bookings_max_age=0, max_summaries=0)
            first_read = time.perf_counter() - started
            card = await timed(args.rounds, lambda: outcomes.outcomes(pool, newest, days))
            compare = await timed(args.rounds, lambda: outcomes.compare_recent(pool, 20, days))

            # the platform keeps writing: each screen first reads the rows written since
            fresh_card: list[float] = []
            fresh_compare: list[float] = []
            job: list[float] = []
            for _ in range(min(args.rounds, 10)):
                await new_platform_rows(pool, users)
                started = time.perf_counter()
                await outcomes.outcomes(pool, newest, days)
                fresh_card.append(time.perf_counter() - started)
                await new_platform_rows(pool, users)
                started = time.perf_counter()
                await outcomes.compare_recent(pool, 20, days)
                fresh_compare.append(time.perf_counter() - started)
            # the job, a booking paid meanwhile: the 20 broadcasts' bookings counted again
            for _ in range(min(args.rounds, 3)):
                await new_platform_rows(pool, users)
                started = time.perf_counter()
                await outcome_summaries.catch_up(pool, bookings_max_age=0)
                job.append(time.perf_counter() - started)

            same = (await outcomes.outcomes(pool, newest, days)
                    == await counted_whole(pool, newest, days))
            kept = await outcomes.compare_recent(pool, 20, days)
            same_compare = [o for _, o in kept] == await old_comparison()
        finally:
            await pool.close()
    print(f"\nms{'':<50}{'runs':>4}{'p50':>10}{'p95':>10}")
    report("before: card, counted over every recipient", old_card)
    report("before: last 20 compared, the same way", old_compare)
    report("card: outcome block (summary, nothing new)", card, 200)
    report("card: after a minute of new platform rows", fresh_card, 200)
    report("comparison of the last 20 (nothing new)", compare, 500)
    report("comparison after a minute of new platform rows", fresh_compare, 500)
    report("the job: new rows, bookings of the 20 recounted", job)
    print(f"\nreading the 20 broadcasts whole (once, by the job when sending ends):"
          f" {first_read:.1f} s")
    print(f"newest: {before.recipients.people:,} got it, {before.holdout.people:,} kept back;"
          f" booked {before.recipients.booked:,} / {before.holdout.booked:,},"
          f" clicked {before.clickers:,}")
    print("same numbers as counting over every recipient: card "
          + ("yes" if same else "NO") + ", comparison " + ("yes" if same_compare else "NO")
          + f" ({len(wholes)} broadcasts)")


if __name__ == "__main__":
    asyncio.run(main())
