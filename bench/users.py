"""Finding people and opening their card at scale. Search and card are timed end to end (a
message or a press in the emulator, the bot's real webhook, the queries, the answer back in the
emulator) and as the bot's queries alone; in the same run the old dashboard's search (a LIKE over
bookings and registrations, seeds' "User Search Functionality") runs on the same data.

    .venv/bin/python -m bench.users                                 # 50,000 users, 500,000 events
    .venv/bin/python -m bench.users --users 1000000 --events 10000000
    .venv/bin/python -m bench.users --reuse postgresql://…/db       # a database filled before
    .venv/bin/python -m bench.users --no-end-to-end                 # the queries alone (faster)

Search is timed per kind of query: what admins type about real users of the data (names, names
with a letter left out, @usernames, parts of usernames, e-mails, ids) and the awkward rest
(digits that are no id, one to three letters, the commonest names, parts of e-mails, names
nobody has, names typed in two alphabets at once).
"""

from __future__ import annotations

import asyncio
import random
import time

from bench.common import TZ, catch_up, data_arguments, figures, filled_database
from bot.db import audiences, streams, users
from bot.db.audiences import Audience, members_sql, read_marks
from bot.db.pool import create_pool
from bot.keyboards.users import CardCallback
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import ADMIN_ID, ADMIN_TOKEN, BotHarness, make_settings

OLD_SEARCH = """
    SELECT DISTINCT user_id, username, first_name FROM (
        SELECT user_id, username, first_name FROM bookings
        WHERE LOWER(username) LIKE $1 OR LOWER(first_name) LIKE $1
        UNION
        SELECT user_id, username, first_name FROM free_lesson_registrations
        WHERE LOWER(username) LIKE $1 OR LOWER(first_name) LIKE $1) AS users
    WHERE user_id IS NOT NULL ORDER BY username, first_name LIMIT 50"""


KINDS = ("name", "name, a letter left out", "@username", "part of a username", "e-mail", "id")

# Awkward queries, by kind: each is typed ROUNDS times (the bot's connection keeps the search
# prepared, so the server may plan it once for any text: slow plans show here too).
ADVERSARIAL = {
    "digits, no such id": ["5484", "1234", "777", "2024", "98765", "31"],
    "1-3 characters": ["a", "ан", "ann", "x", "ol", "я", "5", "mar"],
    "common name": ["мария", "Анна", "alex", "Иван", "Екатерина", "Maria"],
    "part of an e-mail": ["gmail", "@mail.ru", "yandex.r", "gmail.com", "_12@", "anna1@"],
    "no such name": ["Зюзельбрандт", "qwxzvbnm", "Ыъыъ", "Fjordheim", "Przewalski", "Чхартишвили"],
    "two alphabets in one": ["Mария", "aннa", "Ekaтерина", "Ivaн", "dмитрий", "Оlga"],
}
ROUNDS = 3


async def queries(dsn: str, count: int) -> list[tuple[str, str]]:
    """What admins type: names (some with a typo, in either alphabet), @usernames, parts of
    usernames, ids and e-mails of real users of the data; as (kind, text)."""
    pool = await create_pool(dsn, max_size=1)
    rows = await pool.fetch("SELECT user_id, username, first_name, email FROM user_directory"
                            " TABLESAMPLE SYSTEM (1) LIMIT $1", count)
    await pool.close()
    rng = random.Random(7)
    typed = []
    for i, r in enumerate(rows):
        kind = i % 6
        name = r["first_name"] or "Анна"
        if kind == 0:
            typed.append((KINDS[0], name))
        elif kind == 1 and len(name) > 4:  # a letter left out
            cut = rng.randrange(1, len(name) - 1)
            typed.append((KINDS[1], name[:cut] + name[cut + 1:]))
        elif kind == 2 and r["username"]:
            typed.append((KINDS[2], "@" + r["username"]))
        elif kind == 3 and r["username"]:
            typed.append((KINDS[3], r["username"][: max(4, len(r["username"]) - 3)]))
        elif kind == 4 and r["email"]:
            typed.append((KINDS[4], r["email"]))
        else:
            typed.append((KINDS[5], str(r["user_id"])))
    return typed


def adversarial() -> list[tuple[str, str]]:
    return [(kind, text) for _ in range(ROUNDS) for kind, texts in ADVERSARIAL.items()
            for text in texts]


async def bot_alone(dsn: str, typed: list[tuple[str, str]], ids: list[int]
                    ) -> tuple[dict[str, list[float]], list[float]]:
    """The first page of each search (8 people and how many match), by kind; cards."""
    pool = await create_pool(dsn, max_size=2)
    search: dict[str, list[float]] = {}
    card = []
    for kind, text in typed:
        started = time.perf_counter()
        await users.search(pool, text, 8)
        search.setdefault(kind, []).append(time.perf_counter() - started)
    for user_id in ids:
        started = time.perf_counter()
        await users.card(pool, user_id)
        card.append(time.perf_counter() - started)
    await pool.close()
    return search, card


async def deep_pages(dsn: str) -> list[float]:
    """The last page one can reach (people 193-200) of each awkward query."""
    pool = await create_pool(dsn, max_size=2)
    times = []
    for _, text in adversarial():
        started = time.perf_counter()
        await users.search(pool, text, 8, users.CANDIDATES - 8)
        times.append(time.perf_counter() - started)
    await pool.close()
    return times


async def picker(dsn: str, rounds: int = 20) -> list[float]:
    """The composer's audience picker: every stream's paid members and the sizes of everyone,
    leads, free-lesson registrants and pending bookings (exact counts), as the screen reads
    them; checked against each audience's own count once."""
    pool = await create_pool(dsn, max_size=4)
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        counts = await audiences.picker_counts(pool)
        times.append(time.perf_counter() - started)
    exact = [(await audiences.count(pool, Audience(kind)))[0]
             for kind in ("all", "leads", "free_lesson", "pending")]
    assert [counts.everyone, counts.leads, counts.free_lesson, counts.pending] == exact
    assert [s.members for s in counts.streams] == [
        s.members for s in await streams.list_active_streams(pool)]
    await pool.close()
    return times


async def snapshots(dsn: str) -> list[tuple[str, int, float]]:
    """Who a broadcast goes to, with the names it personalises with: a stream, and everyone
    (what the status transition to 'sending' copies into message_recipients)."""
    pool = await create_pool(dsn, max_size=1)
    results = []
    for label, audience in (("4th stream", Audience("stream", stream="4th_stream")),
                            ("everyone", Audience("all")), ("leads", Audience("leads"))):
        started = time.perf_counter()
        sql, args = members_sql(audience, 1, await read_marks(pool))
        named = await pool.fetchval(f"SELECT count(m.first_name) FROM ({sql}) m", *args)
        results.append((label, named, time.perf_counter() - started))
    await pool.close()
    return results


async def old_alone(dsn: str, typed: list[tuple[str, str]]) -> list[float]:
    pool = await create_pool(dsn, max_size=2)
    times = []
    for _, text in typed:
        pattern = f"%{text.lstrip('@').lower()}%"
        started = time.perf_counter()
        await pool.fetch(OLD_SEARCH, pattern)
        times.append(time.perf_counter() - started)
    await pool.close()
    return times


async def end_to_end(dsn: str, typed: list[tuple[str, str]], ids: list[int]
                     ) -> tuple[list[float], list[float]]:
    emulator = Emulator()
    emulator.add_bot(ADMIN_TOKEN, "hsl_admin_bot")
    await emulator.start()
    harness = await BotHarness(emulator, make_settings(dsn, emulator.base_url, timezone=TZ,
                                                       stats_refresh_seconds=600)).start()
    search, card = [], []
    try:
        admin = harness.chat(ADMIN_ID)
        for _, text in typed:
            await asyncio.sleep(1.1)  # results are a new message: Telegram allows ~1 per second
            started = time.perf_counter()  # in a chat, and people do not type faster
            await admin.send(f"/find {text}")
            search.append(time.perf_counter() - started)
        await admin.send(f"/find {ids[0]}")  # a card; then other users' cards on it
        message = admin.last().message_id
        for user_id in ids:
            started = time.perf_counter()
            await emulator.press_forged(harness.token, ADMIN_ID,
                                        CardCallback(user_id=user_id).pack())
            await harness.settle()
            card.append(time.perf_counter() - started)
            assert admin.last().message_id == message and str(user_id) in admin.last().text
    finally:
        await harness.stop()
        await emulator.stop()
    return search, card


async def lead_pages(dsn: str, rounds: int = 5) -> list[tuple[str, list[float]]]:
    """The leads list (👥 → 🧲): its first page, a later one, and all of it (the CSV)."""
    pool = await create_pool(dsn, max_size=1)
    results = []
    for label, limit, offset in (("first page", 10, 0), ("page 1,001", 10, 10_000),
                                 ("all (CSV)", None, 0)):
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            await audiences.page(pool, Audience("leads"), limit, offset)
            times.append(time.perf_counter() - started)
        results.append((label, times))
    await pool.close()
    return results


def line(name: str, samples: list[float]) -> str:
    p50, p95 = figures(samples)
    return f"{name:<34}p50 {p50 * 1000:8.1f} ms   p95 {p95 * 1000:8.1f} ms   (n={len(samples)})"


async def main() -> None:
    parser = data_arguments(__doc__)
    parser.add_argument("--searches", type=int, default=120)
    parser.add_argument("--old", type=int, default=12, help="old searches (slow at full size)")
    parser.add_argument("--no-end-to-end", action="store_true",
                        help="time the queries alone (the end-to-end part waits ~1 s a search)")
    args = parser.parse_args()
    async with filled_database(args) as dsn:
        await catch_up(dsn)
        typed = await queries(dsn, args.searches)
        ids = [int(t) for _, t in typed if t.isdigit()] * 3
        e2e_search, e2e_card = ([], []) if args.no_end_to_end else await end_to_end(dsn, typed,
                                                                                     ids)
        search, card = await bot_alone(dsn, typed + adversarial(), ids)
        deep = await deep_pages(dsn)
        old = await old_alone(dsn, typed[: args.old])
        mine_same = sum((await bot_alone(dsn, typed[: args.old], []))[0].values(), [])
        pick = await picker(dsn)
        snaps = await snapshots(dsn)
        leads = await lead_pages(dsn)
    print()
    if e2e_search:
        print(line("search, end to end", e2e_search))
    print(line("search, the bot's query alone", sum(search.values(), [])))
    for kind, times in search.items():
        print(line("  " + kind, times))
    print(line("search, last page (awkward ones)", deep))
    if e2e_card:
        print(line("card, end to end", e2e_card))
    print(line("card, the bot's queries alone", card))
    print(line("audience picker, all its counts", pick))
    for label, named, took in snaps:
        print(f"{'broadcast snapshot, ' + label:<34}{took * 1000:8.0f} ms   ({named:,} named)")
    for label, times in leads:
        print(line("leads list, " + label, times))
    print(line("old search (same first queries)", old))
    print(line("bot search (same first queries)", mine_same))
    print(f"old / bot search, p50: {figures(old)[0] / figures(mine_same)[0]:.0f}x "
          "(the old one finds no typos, no other alphabet, no e-mail, no id)")


if __name__ == "__main__":
    asyncio.run(main())
