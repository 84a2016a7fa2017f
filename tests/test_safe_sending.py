"""Safe sending: the frequency cap, quiet hours and the unsubscribe link, driven as an admin
drives them (the composer's buttons) or from code, with Telegram emulated and the database
checked."""

from __future__ import annotations

import asyncpg
import pytest

from bot.db import summaries
from bot.db.audiences import Audience
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import ADMIN_ID, BotHarness
from support import (STREAM, add_members, compose_to_stream, launch_text, sends_to, service,
                     wait_status)


async def _statuses(pool: asyncpg.Pool, broadcast_id: int) -> dict[int, str]:
    return dict(await pool.fetch("SELECT user_id, delivery_status FROM message_recipients"
                                 " WHERE message_id = $1", broadcast_id))


async def _audit(pool: asyncpg.Pool, action: str) -> list[asyncpg.Record]:
    return await pool.fetch("SELECT admin_id, target, details FROM admin_audit_log"
                            " WHERE action = $1 ORDER BY id", action)


# ---- the frequency cap ----------------------------------------------------------------------

@pytest.mark.unpaced_chats
async def test_the_cap_skips_who_got_enough_lately_and_the_author_may_lift_it(
        harness: BotHarness, pool: asyncpg.Pool, emulator: Emulator) -> None:
    members = await add_members(pool, 6)
    twice, personal, once = members[:2], members[2], members[3]
    # two broadcasts to the first two, one to the fourth; two personal messages to the third
    # (the user card's «write»: not broadcasts) and a test send (leaves no rows at all)
    for text, people in (("Первая", (*twice, once)), ("Вторая", twice)):
        await wait_status(pool, (await launch_text(harness, text, Audience(
            "users", user_ids=tuple(people)))).id, "done")
    for text in ("Лично 1", "Лично 2"):
        await wait_status(pool, (await launch_text(harness, text, Audience(
            "users", user_ids=(personal,)))).id, "done")
    await summaries.refresh(pool, "Europe/Moscow")  # the list names people from the directory

    admin = await compose_to_stream(harness, emulator, "4-й поток · 6")
    summary = admin.last().text
    assert "⏱ Лимит частоты (2 за 24 ч): 2 человека уже получили столько рассылок — их " \
           "пропустим" in summary
    assert "Получат: 4\n" in summary
    assert "⏱ Лимит частоты: соблюдать" in admin.buttons()
    await admin.click("👀 Кого пропустим · 2")
    shown = admin.last().text
    assert "Пропустим по лимиту частоты: 2 человека (уже получили 2 за 24 ч)" in shown
    for user_id in twice:
        assert f"Маша · @user{user_id} · {user_id} — рассылок: 2" in shown
    assert str(personal) not in shown and str(once) not in shown
    await admin.click("📄 CSV")
    document = admin.last()
    assert document.kind == "document" and "2 человека" in document.text
    rows = document.file.content.decode("utf-8-sig").splitlines()  # type: ignore[union-attr]
    assert rows == ["user_id,username,first_name,email,broadcasts",
                    f"{twice[0]},user{twice[0]},Маша,,2", f"{twice[1]},user{twice[1]},Маша,,2"]
    await admin.click("↩️ Назад")
    await admin.click("🚀 Отправить сейчас")
    capped_id = await pool.fetchval("SELECT max(id) FROM message_history")
    done = await wait_status(pool, capped_id, "done")
    assert (done.total, done.sent, done.capped) == (4, 4, 2)
    statuses = await _statuses(pool, capped_id)
    assert {u for u, s in statuses.items() if s == "capped"} == set(twice)
    received = sends_to(emulator, harness.token)
    assert [received[u] for u in members] == [2, 2, 3, 2, 1, 1]
    (entry,) = await _audit(pool, "broadcast.capped")
    assert entry["target"] == f"broadcast:{capped_id}"
    assert entry["details"] == {"cap": "2/24h", "skipped": 2}
    # «repeat failed» never reaches the capped
    await pool.execute("UPDATE message_recipients SET delivery_status = 'failed'"
                       " WHERE message_id = $1 AND user_id = $2", capped_id, members[4])
    assert await service(harness).resend(capped_id, ADMIN_ID, "failed") == 1
    await wait_status(pool, capped_id, "done")
    assert [sends_to(emulator, harness.token)[u] for u in members] == [2, 2, 3, 2, 2, 1]
    assert {u for u, s in (await _statuses(pool, capped_id)).items() if s == "capped"} \
        == set(twice)

    # now the fourth got two as well; the author lifts the cap for this one broadcast
    admin = await compose_to_stream(harness, emulator, "4-й поток · 6")
    assert "3 человека уже получили столько рассылок" in admin.last().text
    await admin.click("⏱ Лимит частоты: соблюдать")
    summary = admin.last().text
    assert "⏱ Лимит частоты снят: получат и те 3, кому уже пришло 2 за 24 ч" in summary
    assert "Получат: 6\n" in summary
    assert "⏱ Лимит частоты: снят" in admin.buttons()
    await admin.click("🚀 Отправить сейчас")
    lifted_id = await pool.fetchval("SELECT max(id) FROM message_history")
    done = await wait_status(pool, lifted_id, "done")
    assert (done.total, done.sent, done.capped, done.frequency_cap_off) == (6, 6, 0, True)
    (entry,) = await _audit(pool, "broadcast.cap_override")
    assert (entry["admin_id"], entry["target"]) == (ADMIN_ID, f"broadcast:{lifted_id}")


async def test_without_a_cap_nobody_is_skipped(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    harness = await make_harness(frequency_cap="off")
    members = await add_members(pool, 3)
    for text in ("Раз", "Два", "Три"):
        done = await wait_status(pool, (await launch_text(harness, text)).id, "done")
        assert (done.sent, done.capped) == (3, 0)
    assert all(sends_to(emulator, harness.token)[u] == 3 for u in members)
    assert await _audit(pool, "broadcast.capped") == []
