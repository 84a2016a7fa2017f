"""Roles: every callback of every screen an owner can reach, pressed again by an editor, a
viewer and a stranger, compared with the table below of what each may do; every command of
the menu likewise; refused presses change nothing in the database. Adding, changing and
removing team members by id, @username and a forwarded message; ADMIN_IDS owners stay."""

from __future__ import annotations

import json
from collections import Counter, deque
from datetime import UTC, datetime, time, timedelta

import asyncpg
import pytest

from bot.db import summaries
from bot.db.audiences import Audience
from bot.db.broadcasts import Content
from bot.db.series import Rule
from bot.enums import Role
from bot.keyboards.people_lists import ListCallback, RegistrantsCallback
from bot.keyboards.users import MoveCallback, StatusCallback
from bot.sandbox.harness import ADMIN_ID, STRANGER_ID, BotHarness, ChatClient
from support import STREAM, add_members, launch_text, service, wait_status

pytestmark = pytest.mark.unpaced_chats

EDITOR_ID, VIEWER_ID = 601, 602
REFUSED = "Недостаточно прав"
EXPORT = "export"  # personal data: editors and owners; viewers only if the owners allow

# who may press what: a callback's prefix, with its first field where a feature mixes
# looking and changing (the most a lower role may do is what is listed for it)
TABLE: dict[str, Role | str] = {
    "menu:main": Role.VIEWER, "menu:stats": Role.VIEWER, "menu:users": Role.VIEWER,
    "menu:history": Role.VIEWER, "menu:status": Role.VIEWER,
    "menu:broadcast": Role.EDITOR, "menu:scheduled": Role.EDITOR,
    "menu:streams": Role.EDITOR, "menu:audit": Role.EDITOR, "menu:team": Role.OWNER,
    "x": Role.VIEWER,                                   # ✖️ Отмена
    "us": Role.VIEWER, "uc": Role.VIEWER,               # search pages, the user card
    "st": Role.VIEWER, "ch": Role.VIEWER, "dg": Role.VIEWER,  # statistics, charts, digest
    "ul": Role.VIEWER, "ul+csv": EXPORT,                # lists of people, their CSV
    "ur": Role.VIEWER, "ur+csv": EXPORT,                # free-lesson registrants, their CSV
    "ubk": Role.VIEWER,                                 # bookings by stream and status
    "h:list": Role.VIEWER, "h:filter": Role.VIEWER, "h:open": Role.VIEWER,
    "h:who": Role.VIEWER, "h:csv": EXPORT,
    "h:edit": Role.EDITOR, "fx": Role.EDITOR,           # fixing a sent broadcast
    "sr": Role.EDITOR, "rl": Role.EDITOR,               # a recurring series, its rule
    "h:recall": Role.EDITOR, "h:recall_ok": Role.EDITOR, "h:resend": Role.EDITOR,
    "h:unknown": Role.EDITOR, "h:unknown_ok": Role.EDITOR,
    "oc": Role.VIEWER,                                  # outcomes (aggregates, no people)
    "el:list": Role.VIEWER, "el:edit": Role.EDITOR, "el:cancel": Role.EDITOR,
    "um": Role.EDITOR, "ub": Role.EDITOR, "uw": Role.EDITOR,  # stream, booking, write
    "ur+resubscribe": Role.EDITOR,
    "sm": Role.EDITOR, "sc": Role.EDITOR, "cp": Role.EDITOR, "bc": Role.EDITOR,
    "au": Role.EDITOR, "ap": Role.EDITOR,
    "tm": Role.OWNER,
}
MIXED = {"menu", "h", "el"}  # prefixes whose first field decides

# pressed while walking they would change something: collected, not pressed by the owner
FINAL = {"h:recall_ok", "h:resend", "h:unknown_ok", "sm:archive_ok", "sc:send", "sc:cancel_ok",
         "cp:send", "cp:send_ok", "cp:paid", "cp:paid_ok", "cp:quiet_now", "cp:quiet_later",
         "tm:remove_ok", "tm:role", "tm:pick", "tm:export", "tm:alone", "dg:toggle", "dg:set",
         "ur+resubscribe", "bc", "cp:cancel", "rl:ok", "fx:go", "sr:stop_ok"}
PER_KIND = 4  # presses of one kind while walking (pages of a list are alike)


def kind(data: str) -> str:
    prefix, _, rest = data.partition(":")
    if prefix == "ul":
        return "ul+csv" if ListCallback.unpack(data).csv else "ul"
    if prefix == "ur":
        try:
            return "ur+csv" if RegistrantsCallback.unpack(data).csv else "ur"
        except (ValueError, TypeError):
            return "ur+resubscribe"  # the same prefix, the user card's «Вернуть рассылки»
    if prefix in MIXED or prefix in ("sm", "sc", "cp", "tm", "dg", "bc", "fx", "sr", "rl"):
        return f"{prefix}:{rest.split(':')[0]}"
    return prefix


def needed(data: str) -> Role | str:
    found = kind(data)
    return TABLE.get(found) or TABLE[found.split(":")[0]]


def final(data: str) -> bool:
    found = kind(data)
    if found in ("um", "ub"):
        cls = MoveCallback if found == "um" else StatusCallback
        return bool(cls.unpack(data).sure)
    return found in FINAL or found.split(":")[0] in FINAL


def may(role: Role | None, need: Role | str, viewers_export: bool = False) -> bool:
    if role is None:
        return False
    if need == EXPORT:
        return role.reaches(Role.EDITOR) or viewers_export
    assert isinstance(need, Role)
    return role.reaches(need)


async def seed(harness: BotHarness, pool: asyncpg.Pool) -> None:
    """Something behind every screen: members of a stream, a pending booking, a sent
    broadcast (recall, CSV), a scheduled one, a viewer and an editor on the team."""
    await add_members(pool, 3)
    await pool.execute(
        "INSERT INTO bookings (user_id, username, first_name, course_id, course_stream, confirmed)"
        " VALUES (20001, 'pending_p', 'Пётр', 1, $1, 1)", STREAM)
    await pool.execute(
        "INSERT INTO free_lesson_registrations (user_id, username, first_name, email, lesson_type)"
        " VALUES (30001, 'lesson_l', 'Лена', 'l@example.com', 'python')")
    await pool.execute("INSERT INTO team (user_id, role, added_by) VALUES ($1, 'editor', $3),"
                       " ($2, 'viewer', $3)", EDITOR_ID, VIEWER_ID, ADMIN_ID)
    harness.dispatcher["team"].forget()  # written behind the bot's back: read it again
    await summaries.refresh(pool, "Europe/Moscow")
    sent = await launch_text(harness, "Урок сегодня")
    await wait_status(pool, sent.id, "done")
    await service(harness).schedule(Content("text", "Урок завтра"), Audience("stream",
                                    stream=STREAM), ADMIN_ID, datetime.now(UTC) + timedelta(days=1))
    await harness.dispatcher["series"].create(Content("text", "Урок по вторникам"),
                                              Audience("stream", stream=STREAM),
                                              Rule("weekly", time(10, 0), (1,)), ADMIN_ID)


async def snapshot(pool: asyncpg.Pool) -> dict[str, object]:
    """What a refused press must leave as it was."""
    row = await pool.fetchval("""SELECT json_build_object(
        'broadcasts', (SELECT json_agg(json_build_array(id, status, recall_status, scheduled_at,
                                                        content_html) ORDER BY id)
                       FROM message_history),
        'recipients', (SELECT json_agg(json_build_array(id, delivery_status) ORDER BY id)
                       FROM message_recipients),
        'bookings', (SELECT json_agg(json_build_array(id, confirmed, course_stream) ORDER BY id)
                     FROM bookings),
        'streams', (SELECT json_agg(json_build_array(code, title, archived_at) ORDER BY code)
                    FROM course_streams),
        'series', (SELECT json_agg(json_build_array(id, status, paused, skip_next, next_at,
                                                    content_html) ORDER BY id)
                   FROM broadcast_series),
        'team', (SELECT json_agg(json_build_array(user_id, role) ORDER BY user_id) FROM team),
        'settings', (SELECT json_agg(json_build_array(key, value) ORDER BY key)
                     FROM team_settings),
        'labels', (SELECT count(*) FROM event_labels),
        'unsubscribed', (SELECT count(*) FROM unsubscribed_users))::text""")
    return json.loads(row)


def button_data(client: ChatClient, last: int = 2) -> list[str]:
    return [b["callback_data"] for m in client.messages()[-last:] for b in m.buttons()
            if "callback_data" in b]


async def walk(owner: ChatClient) -> list[str]:
    """Every callback the owner's screens offer, breadth first from the commands."""
    found: dict[str, None] = {}
    queue: deque[str] = deque()
    pressed: Counter[str] = Counter()

    def collect() -> None:
        for data in button_data(owner):
            if data not in found:
                found[data] = None
                queue.append(data)

    for command in ("/menu", "/stats", "/history", "/find Маша", "/streams", "/scheduled",
                    "/audit", "/team"):
        await owner.send(command)
        collect()
    while queue:
        data = queue.popleft()
        if final(data) or pressed[kind(data)] >= PER_KIND:
            continue
        pressed[kind(data)] += 1
        await owner.press_forged(data)
        collect()
    return list(found)


async def replay(client: ChatClient, role: Role | None, everything: list[str]
                 ) -> list[tuple[str, bool]]:
    """Press each callback; (data, refused) for each. Refused: answered «Недостаточно прав»
    (a stranger: not answered at all)."""
    results = []
    for data in everything:
        await client.press_forged(data)
        answer = client.callback_answer()
        if role is None:
            results.append((data, not answer["answered"]))
        else:
            results.append((data, answer.get("text") == REFUSED))
    return results


async def test_every_callback_as_each_role_matches_the_table(
        harness: BotHarness, pool: asyncpg.Pool) -> None:
    await seed(harness, pool)
    owner = harness.chat(ADMIN_ID)
    everything = await walk(owner)
    kinds = {kind(d) for d in everything} | {kind(d).split(":")[0] for d in everything}
    # the walk reached every kind of screen the table speaks of (but approvals, failed or
    # unknown deliveries, a second page of search results, and a card of someone
    # unsubscribed, which this data has not)
    assert set(TABLE) - kinds == {"ap", "ur+resubscribe", "h:resend", "h:unknown",
                                  "h:unknown_ok", "h:who", "us"}, sorted(set(TABLE) - kinds)
    assert {"h:csv", "h:recall", "sm:archive_ok", "tm:remove_ok", "el:edit", "ul+csv"} <= kinds
    before = await snapshot(pool)
    for user_id, role in ((VIEWER_ID, Role.VIEWER), (STRANGER_ID, None)):
        client = harness.chat(user_id)
        await client.send("/start")
        for data, refused in await replay(client, role, everything):
            assert refused == (not may(role, needed(data))), (role, data)
        assert await snapshot(pool) == before, role  # nothing changed
    editor = harness.chat(EDITOR_ID)
    await editor.send("/start")
    for data, refused in await replay(editor, Role.EDITOR, everything):
        assert refused == (not may(Role.EDITOR, needed(data))), data
    after = await snapshot(pool)
    assert (after["team"], after["settings"]) == (before["team"], before["settings"])


async def test_a_viewer_sees_no_button_they_may_not_press(
        harness: BotHarness, pool: asyncpg.Pool) -> None:
    await seed(harness, pool)
    viewer = harness.chat(VIEWER_ID)
    everything = await walk(viewer)  # the viewer's own screens
    assert everything
    assert {kind(d) for d in everything} >= {"h:open", "uc", "st", "menu:history"}
    shown = {data for data in everything if not may(Role.VIEWER, needed(data))}
    assert not shown
    await viewer.send("/menu")
    assert viewer.buttons() == ["📊 Статистика", "👥 Пользователи", "🗂 История",
                                "🩺 Состояние"]


async def test_commands_follow_the_role(harness: BotHarness, pool: asyncpg.Pool) -> None:
    await seed(harness, pool)
    await harness.stop()  # the menus are set at start: with the team as it is now
    harness = await harness.start()
    commands = harness.emulator.bot(harness.token).commands
    names = {user_id: [c["command"] for c in commands[f"chat:{user_id}"]]
             for user_id in (ADMIN_ID, EDITOR_ID, VIEWER_ID)}
    assert names[VIEWER_ID] == ["menu", "stats", "find", "history", "cancel"]
    assert names[EDITOR_ID] == ["menu", "stats", "find", "broadcast", "scheduled", "history",
                                "streams", "audit", "cancel"]
    assert names[ADMIN_ID] == names[EDITOR_ID][:-1] + ["team", "cancel"]
    everyone = names[ADMIN_ID]
    for user_id, role in ((VIEWER_ID, Role.VIEWER), (EDITOR_ID, Role.EDITOR)):
        client = harness.chat(user_id)
        for command in everyone:
            await client.send(f"/{command}")
            refused = client.last().text == REFUSED
            assert refused == (command not in names[user_id]), (role, command)


async def test_viewers_export_only_when_the_owner_allows(
        harness: BotHarness, pool: asyncpg.Pool) -> None:
    await seed(harness, pool)
    broadcast_id = await pool.fetchval("SELECT min(id) FROM message_history")
    viewer, owner = harness.chat(VIEWER_ID), harness.chat(ADMIN_ID)
    await viewer.send("/history")
    await viewer.click(data=f"h:open:{broadcast_id}:0::")
    assert "📄 CSV" not in viewer.buttons()
    await viewer.press_forged(f"h:csv:{broadcast_id}:0::")
    assert viewer.callback_answer()["text"] == REFUSED
    await owner.send("/team")
    await owner.click("📄 CSV наблюдателям: выкл")
    assert "Наблюдатели выгружают личные данные (CSV): да" in owner.last().text
    await viewer.press_forged(f"h:open:{broadcast_id}:0::")
    await viewer.click("📄 CSV")
    assert viewer.last().file.file_name == f"broadcast-{broadcast_id}.csv"  # type: ignore[union-attr]
    entry = await pool.fetchrow("SELECT admin_id, details FROM admin_audit_log"
                                " WHERE action = 'team.setting'")
    assert entry["admin_id"] == ADMIN_ID and entry["details"] == {"from": None, "to": True}


async def test_owner_adds_changes_and_removes_members(
        harness: BotHarness, pool: asyncpg.Pool) -> None:
    await seed(harness, pool)  # user10000 and the others are platform users
    owner = harness.chat(ADMIN_ID)
    newcomer = harness.chat(701, "Олег", "oleg_o")
    await newcomer.send("/menu")
    assert not newcomer.messages()  # a stranger: no menu
    # by @username: found among the platform's users
    await owner.send("/team")
    await owner.click("➕ Добавить")
    assert "Пришлите числовой id, @username" in owner.last().text
    assert "✖️ Отмена" in owner.buttons()
    await owner.send("@user10000")
    assert owner.last().text == "Какую роль дать?\nМаша (@user10000) · 10000"
    await owner.click("✏️ Редактор")
    assert owner.last().text.startswith("✅ Маша (@user10000) · 10000 в команде: Редактор.")
    # by a forwarded message
    await owner.click("➕ Добавить")
    await harness.emulator.send_text(harness.token, ADMIN_ID, "привет", forward_origin={
        "type": "user", "sender_user": {"id": 701, "is_bot": False, "first_name": "Олег"}})
    await harness.settle()
    await owner.click("👁 Наблюдатель")
    assert "в команде: Наблюдатель" in owner.last().text
    await newcomer.send("/menu")
    assert newcomer.buttons() == ["📊 Статистика", "👥 Пользователи", "🗂 История",
                                  "🩺 Состояние"]
    assert [c["command"] for c in harness.emulator.bot(harness.token).commands["chat:701"]] \
        == ["menu", "stats", "find", "history", "cancel"]
    # a hidden forward, an unknown @username, an ADMIN_IDS owner: each says why
    await owner.click("➕ Добавить")
    await harness.emulator.send_text(harness.token, ADMIN_ID, "привет", forward_origin={
        "type": "hidden_user", "sender_user_name": "Тайный"})
    await harness.settle()
    assert owner.last().text.startswith("Тайный скрывает свой аккаунт в пересланных")
    await owner.send("@nobody_here")
    assert owner.last().text.startswith("@nobody_here мне не встречался")
    await owner.send(str(ADMIN_ID))
    assert "владелец из ADMIN_IDS" in owner.last().text
    await owner.press_forged(f"tm:remove_ok:{ADMIN_ID}:")
    assert "владелец из ADMIN_IDS" in owner.callback_answer()["text"]
    await owner.press_forged(f"tm:role:{ADMIN_ID}:viewer")
    assert "владелец из ADMIN_IDS" in owner.callback_answer()["text"]
    # by id: already on the team
    await owner.send("701")
    assert owner.last().text.startswith("👮 Команда") and any(
        "Олег (@oleg_o) · 701 уже в команде: Наблюдатель." in m.text for m in owner.messages()[-2:])
    # change a role, then remove (asks first): a stranger at once
    await owner.click("Олег (@oleg_o) · 701 · Наблюдатель")
    await owner.click("✏️ Редактор")
    assert "Роль: Редактор" in owner.last().text
    await owner.click("🗑 Убрать из команды")
    assert owner.last().text.startswith("Убрать из команды?")
    await owner.click("Да, убрать")
    assert owner.last().text.startswith("🗑 Олег (@oleg_o) · 701 больше не в команде.")
    menu_before = len(newcomer.messages())
    await newcomer.press_forged("menu:stats")
    assert not newcomer.callback_answer()["answered"] and len(newcomer.messages()) == menu_before
    assert "chat:701" not in harness.emulator.bot(harness.token).commands
    assert await pool.fetchval("SELECT count(*) FROM team WHERE user_id = 701") == 0
    assert [tuple(r) for r in await pool.fetch(
        "SELECT action, target, details->>'role' FROM admin_audit_log WHERE action LIKE 'team.%'"
        " ORDER BY id")] == [("team.add", "user:10000", "editor"), ("team.add", "user:701",
                                                                     "viewer"),
                             ("team.role", "user:701", None), ("team.remove", "user:701",
                                                                "editor")]
