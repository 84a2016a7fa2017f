"""What a broadcast caused: tracked link buttons through the bot's own redirect, and a holdout
kept back from sending."""

from __future__ import annotations

import asyncpg
from aiohttp import ClientSession

from bot.db import broadcasts as db
from bot.db.audiences import Audience
from bot.db.broadcasts import Content
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import ADMIN_ID, BotHarness
from support import STREAM, add_members, sends_to, service, wait_status

BUTTONS = ((("Записаться", "https://example.org/book?from=tg"),
            ("Урок", "https://example.org/lesson")),
           (("Канал", "https://t.me/course_channel"),))


def link_buttons(emulator: Emulator, token: str, chat_id: int) -> list[tuple[str, str]]:
    message = emulator.bot_messages(token, chat_id)[-1]
    return [(b["text"], b["url"]) for b in message.buttons()]


async def test_link_buttons_go_through_the_bot_and_count_each_click(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    first, second = await add_members(pool, 2)
    launched = await service(harness).launch(Content("text", "Запись открыта", None, BUTTONS),
                                             Audience("stream", stream=STREAM), ADMIN_ID)
    await wait_status(pool, launched.broadcast.id, "done")
    mine, theirs = (link_buttons(emulator, harness.token, m) for m in (first, second))
    assert [label for label, _ in mine] == ["Записаться", "Урок", "Канал"]
    assert all(url.startswith(harness.url + "/r/") for _, url in mine)
    assert {url for _, url in mine}.isdisjoint(url for _, url in theirs)  # one per recipient

    async with ClientSession() as http:
        async def follow(url: str) -> tuple[int, str | None]:
            async with http.get(url, allow_redirects=False) as response:
                return response.status, response.headers.get("Location")

        assert await follow(mine[0][1]) == (302, "https://example.org/book?from=tg")
        assert await follow(mine[0][1]) == (302, "https://example.org/book?from=tg")
        assert await follow(mine[2][1]) == (302, "https://t.me/course_channel")
        assert await follow(theirs[1][1]) == (302, "https://example.org/lesson")
        token = mine[1][1].rsplit("/", 1)[1]
        forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
        for bad in (forged, "x", "A" * 200, "%00", token + "A"):
            status, _ = await follow(f"{harness.url}/r/{bad}")
            assert status == 404
    clicks = await pool.fetch("SELECT user_id, button FROM broadcast_clicks"
                              " WHERE broadcast_id = $1 ORDER BY id", launched.broadcast.id)
    assert [(r["user_id"], r["button"]) for r in clicks] == [
        (first, 0), (first, 0), (first, 2), (second, 1)]


async def test_a_holdout_is_drawn_at_the_start_and_never_sent(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    members = await add_members(pool, 40)
    launched = await service(harness).launch(Content("text", "Скидка до пятницы"),
                                             Audience("stream", stream=STREAM), ADMIN_ID,
                                             holdout=10)
    done = await wait_status(pool, launched.broadcast.id, "done")
    held = {r["user_id"] for r in await pool.fetch(
        "SELECT user_id FROM message_recipients WHERE message_id = $1"
        " AND delivery_status = 'holdout'", done.id)}
    assert len(held) == 4 and (done.total, done.sent, done.holdout) == (36, 36, 4)
    received = sends_to(emulator, harness.token)
    assert held.isdisjoint(received) and set(members) - held <= set(received)
    # resending to failed or unknown never reaches the holdout
    failed = next(m for m in members if m not in held)
    await pool.execute("UPDATE message_recipients SET delivery_status = 'failed'"
                       " WHERE message_id = $1 AND user_id = $2", done.id, failed)
    assert await service(harness).resend(done.id, ADMIN_ID, "failed") == 1
    await wait_status(pool, done.id, "done")
    assert held.isdisjoint(sends_to(emulator, harness.token))


async def test_without_a_holdout_or_links_nothing_changes(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    harness = await make_harness()
    harness.dispatcher["broadcasts"].links_base = None  # long polling, no public address
    (member,) = await add_members(pool, 1)
    launched = await service(harness).launch(Content("text", "Ссылка", None, BUTTONS),
                                             Audience("stream", stream=STREAM), ADMIN_ID)
    done = await wait_status(pool, launched.broadcast.id, "done")
    assert done.holdout == 0 and done.links_base is None
    assert link_buttons(emulator, harness.token, member) == [
        ("Записаться", "https://example.org/book?from=tg"), ("Урок", "https://example.org/lesson"),
        ("Канал", "https://t.me/course_channel")]
    assert (await db.get(pool, done.id)).total == 1  # type: ignore[union-attr]


async def test_conversions_equal_a_plain_count_over_the_same_rows(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    import random
    from datetime import timedelta

    from bot.db.outcomes import outcomes
    members = await add_members(pool, 60, start=30_000)
    await pool.execute("DELETE FROM bookings WHERE user_id = ANY($1::bigint[])", members)
    launched = await service(harness).launch(Content("text", "Новый поток"),
                                             Audience("users", user_ids=tuple(members)),
                                             ADMIN_ID, holdout=20)
    done = await wait_status(pool, launched.broadcast.id, "done")
    since = {r["user_id"]: (r["delivery_status"] == "holdout",
                            done.started_at if r["delivery_status"] == "holdout" else r["sent_at"])
             for r in await pool.fetch("SELECT user_id, delivery_status, sent_at"
                                       " FROM message_recipients WHERE message_id = $1", done.id)}
    rng = random.Random(5)
    rows: list[tuple[str, int, object, str | int | None]] = []
    for user in members:
        for _ in range(rng.randint(0, 4)):  # activity before, inside and after the window
            at = since[user][1] + timedelta(hours=rng.uniform(-48, 24 * 9))
            kind = rng.choice(["booking", "paid", "registration", "lesson", "menu", "custom"])
            rows.append((kind, user, at, None))
    for kind, user, at, _ in rows:
        if kind in ("booking", "paid"):
            await pool.execute("INSERT INTO bookings (user_id, course_stream, confirmed, created_at)"
                               " VALUES ($1, '5th_stream', $2, $3)", user,
                               2 if kind == "paid" else 1, at)
        elif kind == "registration":
            await pool.execute("INSERT INTO free_lesson_registrations (user_id, registered_at)"
                               " VALUES ($1, $2)", user, at)
        else:
            event = {"lesson": "lesson_link_clicked", "menu": "menu_opened",
                     "custom": "promo_opened"}[kind]
            await pool.execute("INSERT INTO events (user_id, event_type, created_at)"
                               " VALUES ($1, $2, $3)", user, event, at)

    def expected(days: int, held: bool, kinds: set[str]) -> int:
        return len({user for kind, user, at, _ in rows if kind in kinds
                    and since[user][0] == held
                    and since[user][1] <= at < since[user][1] + timedelta(days=days)})

    for days in (1, 3, 7, 14):
        result = await outcomes(pool, done.id, days, "promo_opened")
        for held, group in ((False, result.recipients), (True, result.holdout)):
            assert group.people == sum(1 for h, _ in since.values() if h == held)
            assert group.booked == expected(days, held, {"booking", "paid"})
            assert group.paid == expected(days, held, {"paid"})
            assert group.registered == expected(days, held, {"registration"})
            assert group.lesson == expected(days, held, {"lesson"})
            assert group.event == expected(days, held, {"custom"})
    assert (await outcomes(pool, done.id, 7)).recipients.event == 0  # no event type picked


def test_the_outcome_block_says_what_changed_and_what_cannot_be_told() -> None:
    from bot.db.outcomes import Group, Outcomes
    from bot.views.outcomes import outcome_block
    shown = outcome_block(Outcomes(Group(900, 90, 40, 20, 300), Group(100, 2, 1, 2, 30),
                                   {0: (130, 110), 1: (5, 5)}, 112),
                          ["Записаться", "Урок"], 7, None)
    assert "за 7 дней после доставки" in shown
    assert "Клики: «Записаться» 130 (110 человек), «Урок» 5 (5 человек)" in shown
    assert "Нажали хотя бы раз: 112 из 900 (CTR 12,4\u00a0%)" in shown
    # 10 % of 900 against 2 % of 100: Newcombe's interval 2,7…10,6 points (statsmodels agrees)
    assert "Забронировали: 10,0\u00a0% получивших · 2,0\u00a0% в контрольной группе" in shown
    assert "→ подняла на +2,7…+10,6 п.п." in shown
    assert "Перешли к уроку: 33,3\u00a0% получивших · 30,0\u00a0% в контрольной группе\n" \
           "   → измеримого эффекта пока нет" in shown
    alone = outcome_block(Outcomes(Group(50, 5), Group(), {}, 0), [], 3, "promo_opened")
    assert "Контрольной группы нет" in alone and "promo_opened: 0,0\u00a0% получивших" in alone
    assert "Клики" not in alone


async def test_the_card_shows_clicks_conversions_and_the_lift(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    from bot.keyboards.history import Hist, HistoryCallback
    from support import link_target
    members = await add_members(pool, 50, start=40_000)
    await pool.execute("DELETE FROM bookings WHERE user_id = ANY($1::bigint[])", members)
    launched = await service(harness).launch(
        Content("text", "Открыта запись на 5-й поток", None, BUTTONS[:1]),
        Audience("users", user_ids=tuple(members)), ADMIN_ID, holdout=20)
    done = await wait_status(pool, launched.broadcast.id, "done")
    got = [m for m in members if emulator.bot_messages(harness.token, m)]
    assert len(got) == 40
    for member in got[:10]:  # ten press «Записаться», five of them book
        url = link_buttons(emulator, harness.token, member)[0][1]
        assert await link_target(url) == "https://example.org/book?from=tg"
    await pool.executemany("INSERT INTO bookings (user_id, course_stream, confirmed)"
                           " VALUES ($1, '5th_stream', 2)", [(m,) for m in got[:5]])
    admin = harness.chat(ADMIN_ID)
    await admin.send("/history")
    await admin.click(data=HistoryCallback(action=Hist.OPEN, id=done.id).pack())
    card = admin.last().text
    assert "🎯 Контрольная группа: 10 человек (20 %), рассылку не получили" in card
    assert "Что дала рассылка (за 7 дней после доставки)" in card
    assert "Клики: «Записаться» 10 (10 человек), «Урок» 0 (0 человек)\n" in card
    assert "Нажали хотя бы раз: 10 из 40 (CTR 25,0\u00a0%)" in card
    # 5 of 40 against 0 of 10: Newcombe's interval crosses zero (statsmodels: -16,1…+26,1)
    assert "Забронировали: 12,5\u00a0% получивших · 0,0\u00a0% в контрольной группе\n" \
           "   → измеримого эффекта пока нет (-16,1…+26,1 п.п.)" in card

    # the recipients' CSV says who clicked, and how often
    await admin.click("📄 CSV")
    lines = admin.last().file.content.decode("utf-8-sig").splitlines()  # type: ignore[union-attr]
    assert lines[0].endswith(",telegram_message_id,clicks")
    clicks = {int(line.split(",")[0]): int(line.rsplit(",", 1)[1]) for line in lines[1:]}
    assert clicks == {m: (1 if m in got[:10] else 0) for m in members}

    # another window and an event of the platform, picked on the outcomes screen
    await pool.executemany("INSERT INTO events (user_id, event_type) VALUES ($1, 'promo_opened')",
                           [(m,) for m in got[:8]])
    from bot.db import summaries
    await summaries.refresh(pool, "Europe/Moscow")  # the events offered: the statistics' counts
    await admin.send("/history")
    await admin.click(data=HistoryCallback(action=Hist.OPEN, id=done.id).pack())
    await admin.click("📈 Итоги")
    screen = admin.last()
    assert screen.text.startswith(f"📈 Итоги рассылки #{done.id}")
    assert [b["text"] for b in screen.buttons()][:4] == ["1 день", "3 дня", "• 7 дней", "14 дней"]
    await admin.click("14 дней")
    assert "(за 14 дней после доставки)" in admin.last().text
    await admin.click("promo_opened")
    shown = admin.last()
    expected = await pool.fetchval(  # the same count by plain SQL: recipients with the event
        """SELECT count(DISTINCT r.user_id) FROM message_recipients r JOIN events e
           ON e.user_id = r.user_id AND e.event_type = 'promo_opened'
              AND e.created_at >= r.sent_at AND e.created_at < r.sent_at + interval '14 days'
           WHERE r.message_id = $1 AND r.delivery_status = 'sent'""", done.id)
    assert expected == 8
    assert "promo_opened: 20,0\u00a0% получивших · 0,0\u00a0% в контрольной группе" in shown.text
    assert "✓ promo_opened" in [b["text"] for b in shown.buttons()]
    await admin.click("⬅️ К рассылке")
    assert admin.last().text.startswith(card.split("\n", 1)[0])

    # the last broadcasts side by side, as text, CSV and a chart
    await admin.send("/history")
    await admin.click("📊 Сравнить")
    compared = admin.last().text
    assert compared.startswith("📊 Последние рассылки рядом (за 7 дней после доставки)")
    assert f"#{done.id} " in compared
    assert "CTR 25,0\u00a0% · брони 12,5\u00a0% · эффект -16,1…+26,1 п.п. (не измерим)" in compared
    await admin.click("📄 CSV")
    rows = admin.last().file.content.decode("utf-8-sig").splitlines()  # type: ignore[union-attr]
    assert rows[0].startswith("broadcast_id,audience,sent,recipients_counted,holdout,clickers,ctr")
    mine = next(r.split(",") for r in rows[1:] if r.startswith(f"{done.id},"))
    assert mine[2:8] == ["40", "40", "10", "10", "0.25", "5"]
    await admin.click("📈 График")
    assert admin.last().kind == "photo"


async def _broadcast(pool: asyncpg.Pool, started_days_ago: float, people: list[tuple[int, str]],
                     status: str = "done") -> tuple[int, dict[int, int]]:
    """A broadcast started `started_days_ago` with recipients (user id, status), sent an hour
    apart from the start; returns its id and the recipient row id of each user."""
    broadcast_id = await pool.fetchval(
        """INSERT INTO message_history (message_text, status, started_at, sent_at, holdout_percent)
           VALUES ('Скидка', $2, now() - $1 * interval '1 day', now() - $1 * interval '1 day', 10)
           RETURNING id""", started_days_ago, status)
    rows = {}
    for hour, (user, state) in enumerate(people, start=1):
        rows[user] = await pool.fetchval(
            """INSERT INTO message_recipients (message_id, user_id, delivery_status, sent_at)
               VALUES ($1, $2, $3, CASE WHEN $3 IN ('sent', 'deleted')
                                        THEN now() - $4 * interval '1 day' + $5 * interval '1 hour'
                                   END) RETURNING id""",
            broadcast_id, user, state, started_days_ago, hour)
    await pool.execute(
        """UPDATE message_history SET
               sent_count = (SELECT count(*) FROM message_recipients
                             WHERE message_id = $1 AND delivery_status = 'sent'),
               holdout_count = (SELECT count(*) FROM message_recipients
                                WHERE message_id = $1 AND delivery_status = 'holdout')
           WHERE id = $1""", broadcast_id)
    return broadcast_id, rows


async def test_kept_outcomes_follow_new_rows_paid_bookings_and_resends(
        pool: asyncpg.Pool) -> None:
    from bot.db.outcome_summaries import catch_up
    from bot.db.outcomes import Group, compare_recent, outcomes
    ann, bob, cat, dan, eve = 51, 52, 53, 54, 55
    old, _ = await _broadcast(pool, 30, [(ann, "sent"), (bob, "sent")])
    card, rows = await _broadcast(pool, 10, [(ann, "sent"), (bob, "sent"), (cat, "holdout"),
                                             (dan, "failed"), (eve, "sent")])

    async def happened(table: str, user: int, days_after_start: float, **extra: object) -> None:
        moment = "registered_at" if table == "free_lesson_registrations" else "created_at"
        columns = ", ".join(["user_id", moment, *extra])
        values = ", ".join(["$1", "now() - interval '10 days' + $2 * interval '1 day'",
                            *(f"${i}" for i in range(3, 3 + len(extra)))])
        await pool.execute(f"INSERT INTO {table} ({columns}) VALUES ({values})",
                           user, days_after_start, *extra.values())

    # ann got it an hour after the start, bob two hours, eve three; cat was kept back
    await happened("bookings", ann, 2, confirmed=1)                # booked on day 2, not paid
    await happened("free_lesson_registrations", bob, 9)           # within 14 days, not 7
    await happened("events", cat, 1, event_type="lesson_link_clicked")  # the holdout's click
    await happened("bookings", dan, 1, confirmed=2)                # dan's send failed
    await happened("bookings", eve, -1, confirmed=2)               # before she got it
    await pool.executemany(
        "INSERT INTO broadcast_clicks (broadcast_id, recipient_id, user_id, button)"
        " VALUES ($1, $2, $3, $4)", [(card, rows[ann], ann, 0), (card, rows[ann], ann, 0),
                                     (card, rows[ann], ann, 1), (card, rows[bob], bob, 1)])

    week = await outcomes(pool, card, 7)
    assert week.recipients == Group(people=3, booked=1)
    assert week.holdout == Group(people=1, lesson=1)
    assert (week.clicks, week.clickers) == ({0: (2, 1), 1: (2, 2)}, 2)
    assert (await outcomes(pool, card, 14)).recipients == Group(people=3, booked=1, registered=1)
    assert await pool.fetchval("SELECT count(*) FROM outcome_summaries") == 1

    # rows that come later are read as they come; an earlier time replaces a later one
    await happened("events", eve, 9, event_type="lesson_link_clicked")
    assert (await outcomes(pool, card, 7)).recipients.lesson == 0
    await happened("events", eve, 2, event_type="lesson_link_clicked")
    await happened("events", bob, 3, event_type="menu_opened")
    assert (await outcomes(pool, card, 7)).recipients == Group(people=3, booked=1, lesson=1)
    assert (await outcomes(pool, card, 7, "menu_opened")).recipients.event == 1
    # ann's booking paid: counted again once bookings may have changed
    await pool.execute("UPDATE bookings SET confirmed = 2 WHERE user_id = $1", ann)
    assert (await outcomes(pool, card, 7, bookings_max_age=0)).recipients.paid == 1

    # dan's message sent by a resend: the broadcast is read whole again; his booking a day
    # after the start came before he got it now, one after it counts
    await pool.execute("UPDATE message_recipients SET delivery_status = 'sent', sent_at = now()"
                       " - interval '10 days' + interval '36 hours' WHERE id = $1", rows[dan])
    await pool.execute("UPDATE message_history SET sent_count = 4 WHERE id = $1", card)
    await happened("bookings", dan, 4, confirmed=1)
    assert (await outcomes(pool, card, 7)).recipients == Group(
        people=4, booked=2, paid=1, lesson=1)

    # the comparison: newest first, each as the card counts it; one still sending counted
    # over its recipients, one never started not listed
    sending, _ = await _broadcast(pool, 0.5, [(ann, "sent"), (bob, "pending")], "sending")
    await happened("bookings", ann, 9.6, confirmed=1)  # 1.4 h after ann got it
    await pool.execute("INSERT INTO message_history (message_text, status) VALUES ('План', 'draft')")
    compared = await compare_recent(pool, limit=20, days=7)
    assert [b for b, _ in compared] == [sending, card, old]
    assert compared[0][1].recipients == Group(people=1, booked=1)
    assert compared[1][1] == await outcomes(pool, card, 7)
    assert compared[2][1].recipients == Group(people=2) and compared[2][1].holdout == Group()
    assert [b for b, _ in await compare_recent(pool, limit=2)] == [sending, card]
    # the job: the paid booking (counted above) stays; nothing sending gets a summary
    await pool.execute("UPDATE bookings SET confirmed = -1 WHERE user_id = $1", dan)
    assert await catch_up(pool, bookings_max_age=0) == 2
    assert {r["broadcast_id"] for r in await pool.fetch("SELECT broadcast_id FROM"
                                                        " outcome_summaries")} == {card, old}
    assert (await outcomes(pool, card, 7)).recipients == Group(
        people=4, booked=2, paid=1, lesson=1)


async def test_clicks_arriving_together_are_written_in_one_go(pool: asyncpg.Pool) -> None:
    import asyncio
    import json

    from bot.db.clicks import ClickLog
    broadcast, rows = await _broadcast(pool, 1, [(61, "sent"), (62, "sent")])
    await pool.execute("UPDATE message_history SET buttons = $2::text::jsonb WHERE id = $1",
                       broadcast, json.dumps([[{"text": "A", "url": "https://a.example"},
                                               {"text": "B", "url": "https://b.example"}],
                                              [{"text": "C", "url": "https://c.example"}]]))
    log = ClickLog(pool)
    clicks = [(rows[61], 0), (rows[61], 2), (rows[62], 1), (rows[61], 0), (rows[62], 3),
              (999_999, 0)]
    assert await asyncio.gather(*(log.follow(*click) for click in clicks)) == [
        "https://a.example", "https://c.example", "https://b.example", "https://a.example",
        None, None]
    written = await pool.fetch("SELECT user_id, button FROM broadcast_clicks"
                               " WHERE broadcast_id = $1 ORDER BY id", broadcast)
    assert sorted((r["user_id"], r["button"]) for r in written) == [
        (61, 0), (61, 0), (61, 2), (62, 1)]
