"""The sandbox in a real browser (Playwright driving Debian's Chromium, headless): a person opens
the page, starts the bot, opens the statistics, sends a broadcast to a stream, then looks into a
student's chat and sees it arrive; the page stays one screen high (desktop and phone), the
composer sends Telegram's formatting as entities and videos as videos, and the bot's own t.me
links open inside the page."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from urllib.parse import urljoin

import asyncpg
import pytest

from bot.sandbox.harness import make_settings
from bot.sandbox.run import ADMIN_ID, TOKEN, Sandbox, start_sandbox
from bot.text.tg_html import utf16_len

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright_api = pytest.importorskip("playwright.async_api")
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason="Debian's chromium is not installed (scripts/test installs it)")
TEXT = "🔥 **Завтра урок** в 19:00, {first_name}!"  # Telegram's markdown: bold
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
async def sandbox(database_url: str) -> AsyncIterator[Sandbox]:
    settings = make_settings(database_url, "http://127.0.0.1:9", admin_ids="100",
                             quiet_hours="off")  # broadcasts go whenever the test runs
    box = await start_sandbox(settings, port=0, demo_users=300, keep_database=True)
    yield box
    await box.stop()


@pytest.fixture
async def page(sandbox: Sandbox):  # type: ignore[no-untyped-def]
    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                          args=["--no-sandbox"])
        tab = await browser.new_page(viewport=DESKTOP)
        await tab.goto(sandbox.page_url)
        yield tab
        await browser.close()


async def say(page, text: str) -> None:  # type: ignore[no-untyped-def]
    await page.fill("#text", text)
    await page.press("#text", "Enter")


async def tap(page, label: str) -> None:  # type: ignore[no-untyped-def]
    """Press the inline button with this label on the newest message that has it."""
    await page.locator(".keyboard button", has_text=label).last.click()


async def test_a_broadcast_from_the_browser_reaches_a_student(
        sandbox: Sandbox, page, pool: asyncpg.Pool) -> None:  # type: ignore[no-untyped-def]
    messages = page.locator("#messages")
    await say(page, "/start")
    await messages.get_by_text("панель администратора").wait_for()

    await tap(page, "📊 Статистика")
    overview = messages.get_by_text("Обзор · 7 дней")
    await overview.wait_for()
    await tap(page, "⬅️ Меню")
    await overview.wait_for(state="detached")  # the panel became the menu again
    await say(page, "/stats")  # a second panel below the menu: the recent bookings
    await overview.wait_for()
    await tap(page, "Последние")
    await messages.get_by_text("Последние брони").wait_for()
    await tap(page, "📣 Рассылка")  # back on the menu above
    members = await pool.fetchval("SELECT count(DISTINCT user_id) FROM bookings"
                                  " WHERE course_stream = '4th_stream' AND confirmed = 2")
    await tap(page, f"4-й поток · {members}")
    await messages.get_by_text("Пришлите сообщение для рассылки").wait_for()
    await say(page, TEXT)
    await messages.get_by_text("Проверьте рассылку").wait_for()
    await tap(page, "🚀 Отправить сейчас")
    await messages.get_by_text("завершена").wait_for(timeout=30_000)
    if path := os.environ.get("SANDBOX_SCREENSHOT"):  # docs/sandbox.png and a phone's view
        await page.wait_for_timeout(1000)
        await page.evaluate("document.getElementById('toast').hidden = true")
        await page.screenshot(path=path)
        await page.set_viewport_size(PHONE)
        await page.wait_for_timeout(500)
        await page.screenshot(path=path.removesuffix(".png") + "-phone.png")
        await page.set_viewport_size(DESKTOP)

    student = await pool.fetchrow(
        "SELECT user_id, first_name FROM bookings WHERE course_stream = '4th_stream'"
        " AND confirmed = 2 AND first_name IS NOT NULL ORDER BY user_id LIMIT 1")
    await page.fill("#people-search", str(student["user_id"]))
    await page.locator("#people .chat-link").first.click()
    await page.locator("#chat-title", has_text=str(student["user_id"])).wait_for()
    received = messages.locator(".message.bot", has_text=f"в 19:00, {student['first_name']}!")
    await received.locator("b", has_text="Завтра урок").wait_for()  # the bold came along
    assert await page.locator("#composer").is_hidden()  # a student's chat is to look at


async def test_the_fault_switch_makes_a_student_block_the_bot(
        sandbox: Sandbox, page, pool: asyncpg.Pool) -> None:  # type: ignore[no-untyped-def]
    user_id = await pool.fetchval("SELECT min(user_id) FROM bookings WHERE confirmed = 2")
    await page.fill("#people-search", str(user_id))
    await page.locator("#people .chat-link").first.click()
    await page.click("#fault-block")
    await page.locator("#chat-title", has_text="заблокировал бота").wait_for()
    await page.locator("#figures dd").nth(4).filter(has_text="1").wait_for()
    assert await pool.fetchval("SELECT reason FROM unreachable_users WHERE user_id = $1",
                               user_id) == "blocked the bot"


async def test_a_photo_uploaded_in_the_page_becomes_the_broadcast_preview(
        sandbox: Sandbox, page, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from bot.services.charts import events_png, render
    png = tmp_path / "lesson.png"
    png.write_bytes(await render(events_png, [date(2026, 11, 1), date(2026, 11, 2)], [3, 5]))
    messages = page.locator("#messages")
    await say(page, "/broadcast")
    await tap(page, "Все пользователи")
    await messages.get_by_text("Пришлите сообщение для рассылки").wait_for()
    await page.fill("#text", "Расписание на неделю, {first_name}")
    await page.set_input_files("#file", str(png))
    await messages.locator(".message.bot img").first.wait_for()  # the preview is the photo
    await messages.get_by_text("Расписание на неделю, Админ").wait_for()
    await messages.get_by_text("Проверьте рассылку").wait_for()


async def language(page, code: str) -> None:  # type: ignore[no-untyped-def]
    async with page.expect_response("**/sandbox/api/language"):
        await page.check(f"input[name=language][value={code}]")


async def test_the_admin_switches_telegram_to_english(page) -> None:  # type: ignore[no-untyped-def]
    messages = page.locator("#messages")
    await language(page, "en")
    await say(page, "/menu")
    await messages.get_by_text("Main menu").wait_for()
    await tap(page, "📊 Statistics")
    await messages.get_by_text("Overview · 7 days").wait_for()
    await language(page, "ru")
    await say(page, "/menu")
    await messages.get_by_text("Главное меню").wait_for()
    assert await page.is_checked("input[name=language][value=ru]")
    refused = await page.request.post(urljoin(page.url, "/sandbox/api/language"),
                                      data={"language": "fr"})
    assert refused.status == 400


# ---- one screen high; the list scrolls by itself ------------------------------------------

async def geometry(page) -> dict:  # type: ignore[no-untyped-def]
    return await page.evaluate("""() => {
        const box = document.getElementById("messages");
        const rect = (id) => document.getElementById(id).getBoundingClientRect();
        return {document: document.documentElement.scrollHeight, window: window.innerHeight,
                pageScroll: window.scrollY, scrollTop: box.scrollTop,
                scrollHeight: box.scrollHeight, clientHeight: box.clientHeight,
                composerBottom: rect("composer").bottom, panelTop: rect("panel").top,
                panelBottom: rect("panel").bottom, chatsBottom: rect("chats").bottom};
    }""")


def at_bottom(g: dict) -> bool:
    return g["scrollHeight"] - g["scrollTop"] - g["clientHeight"] <= 2


async def test_the_page_is_one_screen_and_the_chat_scrolls_inside_it(
        sandbox: Sandbox, page) -> None:  # type: ignore[no-untyped-def]
    messages = page.locator("#messages")
    await say(page, "/start")
    await tap(page, "📊 Статистика")
    await messages.get_by_text("Обзор · 7 дней").wait_for()
    await tap(page, "Последние")
    await messages.get_by_text("Последние брони").wait_for()
    for n in range(3):
        await say(page, "/menu")
        await page.locator(".message.bot", has_text="Главное меню").nth(n).wait_for()
    await page.wait_for_function("""() => { const b = document.getElementById("messages");
        return b.scrollHeight - b.scrollTop - b.clientHeight <= 2; }""")
    g = await geometry(page)
    assert g["document"] == g["window"] == DESKTOP["height"]  # the page itself never grows
    assert g["scrollHeight"] > 2 * g["clientHeight"]  # the chat is longer than its box...
    assert at_bottom(g)  # ...and shows its newest message
    assert g["composerBottom"] == g["window"]  # the composer stays at the bottom
    assert g["panelTop"] == 0 and g["panelBottom"] == g["chatsBottom"] == g["window"]

    # the reader scrolls up to read: a new message does not pull the list down, a button does
    await messages.evaluate("box => { box.scrollTop = 0; }")
    await page.locator("#jump").wait_for()
    await sandbox.emulator.send_text(TOKEN, ADMIN_ID, "/menu")
    await page.locator(".message.bot", has_text="Главное меню").nth(3).wait_for()
    await page.locator("#jump-count", has_text="2").wait_for()  # the command and the answer
    assert (await geometry(page))["scrollTop"] == 0
    await page.click("#jump")
    assert at_bottom(await geometry(page))
    assert await page.locator("#jump").is_hidden()
    await say(page, "/stats")  # back at the bottom, the list follows again
    await messages.get_by_text("Обзор · 7 дней").last.wait_for()
    await page.wait_for_timeout(300)
    assert at_bottom(await geometry(page))
    assert (await geometry(page))["pageScroll"] == 0


async def test_on_a_phone_the_panels_open_behind_buttons(
        sandbox: Sandbox, page, pool: asyncpg.Pool) -> None:  # type: ignore[no-untyped-def]
    await page.set_viewport_size(PHONE)
    messages = page.locator("#messages")
    for _ in range(3):
        await say(page, "/stats")
    await messages.get_by_text("Обзор · 7 дней").nth(2).wait_for()
    await page.wait_for_timeout(300)
    g = await geometry(page)
    assert g["document"] == g["window"] == PHONE["height"]
    assert at_bottom(g) and g["scrollHeight"] > g["clientHeight"]
    assert g["composerBottom"] == PHONE["height"]
    assert await page.locator("#people-search").is_hidden()  # panels wait behind ☰ and 📊
    assert await page.locator("#figures").is_hidden()

    await page.click("#toggle-panel")
    await page.locator("#figures").wait_for()
    await page.click("#scrim", position={"x": 20, "y": 400})  # a tap beside it closes it
    await page.locator("#figures").wait_for(state="hidden")

    user_id = await pool.fetchval("SELECT min(user_id) FROM bookings WHERE confirmed = 2")
    await page.click("#toggle-chats")
    await page.fill("#people-search", str(user_id))
    await page.locator("#people .chat-link").first.click()
    await page.locator("#chat-title", has_text=str(user_id)).wait_for()
    await page.locator("#people-search").wait_for(state="hidden")  # the chat gets the screen
    g = await geometry(page)
    assert g["document"] == PHONE["height"]


# ---- formatting, video, links ---------------------------------------------------------------

async def select_in_composer(page, word: str) -> None:  # type: ignore[no-untyped-def]
    """Select `word` in the composer, as a mouse drag over it would."""
    await page.evaluate("""(word) => {
        const editor = document.getElementById("text");
        const walker = document.createTreeWalker(editor, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const at = node.data.indexOf(word);
            if (at < 0) continue;
            const range = document.createRange();
            range.setStart(node, at);
            range.setEnd(node, at + word.length);
            document.getSelection().removeAllRanges();
            document.getSelection().addRange(range);
            return;
        }
        throw new Error("not in the composer: " + word);
    }""", word)


def admin_messages(sandbox: Sandbox, *, from_bot: bool) -> list:  # type: ignore[type-arg]
    chat = sandbox.emulator.bot(TOKEN).chats.get(ADMIN_ID)
    return [m for m in (chat.messages.values() if chat else []) if m.from_bot == from_bot]


async def test_bold_from_the_toolbar_and_markdown_reach_the_bot_as_entities(
        sandbox: Sandbox, page) -> None:  # type: ignore[no-untyped-def]
    messages = page.locator("#messages")
    await say(page, "/broadcast")
    await tap(page, "Все пользователи")
    await messages.get_by_text("Пришлите сообщение для рассылки").wait_for()
    await page.fill("#text", "🔥 Урок завтра в 19:00, __не опаздывайте__ и `/start`")
    await select_in_composer(page, "завтра")
    await page.click("#toolbar [data-format=bold]")
    assert await page.locator("#text b", has_text="завтра").count() == 1  # shown as it will be
    assert await page.get_attribute("#toolbar [data-format=bold]", "aria-pressed") == "true"
    await select_in_composer(page, "Урок")
    await page.click("#toolbar [data-format=spoiler]")
    await page.press("#text", "Enter")

    text = "🔥 Урок завтра в 19:00, не опаздывайте и /start"
    expected = sorted([
        {"type": "spoiler", "offset": utf16_len("🔥 "), "length": 4},  # 🔥 is two UTF-16 units
        {"type": "bold", "offset": utf16_len("🔥 Урок "), "length": 6},
        {"type": "italic", "offset": utf16_len("🔥 Урок завтра в 19:00, "), "length": 14},
        {"type": "code", "offset": utf16_len(text) - 6, "length": 6},
    ], key=lambda e: e["offset"])
    sent = (await wait_for_message(page, sandbox, text, from_bot=False))
    assert sorted(sent.entities, key=lambda e: e["offset"]) == expected  # what the page sent
    # the bot got them: its preview of the broadcast carries the same formatting
    preview = await wait_for_message(page, sandbox, text, from_bot=True)
    assert sorted(preview.entities, key=lambda e: e["offset"]) == expected
    bubble = page.locator(".message.bot", has_text="не опаздывайте")
    await bubble.locator("b", has_text="завтра").wait_for()
    await bubble.locator("i", has_text="не опаздывайте").wait_for()
    await bubble.locator("code", has_text="/start").wait_for()
    await messages.get_by_text("Проверьте рассылку").wait_for()
    assert await page.inner_text("#text") == ""  # the composer is empty again


async def wait_for_message(page, sandbox: Sandbox, text: str, *,  # type: ignore[no-untyped-def]
                           from_bot: bool):
    for _ in range(100):
        found = [m for m in admin_messages(sandbox, from_bot=from_bot) if m.text == text]
        if found:
            return found[-1]
        await page.wait_for_timeout(100)
    raise AssertionError(f"no message {text!r} (from_bot={from_bot})")


async def test_a_link_from_the_toolbar_is_a_text_link(
        sandbox: Sandbox, page) -> None:  # type: ignore[no-untyped-def]
    await page.fill("#text", "Расписание здесь")
    await select_in_composer(page, "здесь")
    await page.click("#toolbar [data-format=text_link]")
    await page.fill("#link-url", "example.com/schedule")
    await page.press("#link-url", "Enter")
    await page.press("#text", "Enter")
    sent = await wait_for_message(page, sandbox, "Расписание здесь", from_bot=False)
    assert sent.entities == [{"type": "text_link", "offset": 11, "length": 5,
                              "url": "https://example.com/schedule"}]
    refused = await page.request.post(urljoin(page.url, "/sandbox/api/send"), data={
        "text": "коротко", "entities": [{"type": "bold", "offset": 3, "length": 10}]})
    assert refused.status == 400  # past the end of the text


async def test_a_video_uploaded_in_the_page_reaches_the_bot_as_a_video(
        sandbox: Sandbox, page) -> None:  # type: ignore[no-untyped-def]
    messages = page.locator("#messages")
    await say(page, "/broadcast")
    await tap(page, "Все пользователи")
    await messages.get_by_text("Пришлите сообщение для рассылки").wait_for()
    await page.fill("#text", "Запись урока, **{first_name}**")
    await page.set_input_files("#file", files=[{
        "name": "lesson.mp4", "mimeType": "video/mp4", "buffer": b"\x00\x00\x00\x18ftypmp42" * 64}])
    await messages.locator(".message.me video").wait_for()
    await messages.locator(".message.bot video").wait_for()  # the preview is the video
    await messages.locator(".message.bot b", has_text="Админ").wait_for()
    await messages.get_by_text("Проверьте рассылку").wait_for()
    sent = [m for m in admin_messages(sandbox, from_bot=False) if m.kind == "video"]
    assert [(m.text, m.entities, m.file.mime_type) for m in sent] == [
        ("Запись урока, {first_name}", [{"type": "bold", "offset": 14, "length": 12}],
         "video/mp4")]
    preview = [m for m in admin_messages(sandbox, from_bot=True) if m.kind == "video"]
    assert [m.text for m in preview] == ["Запись урока, Админ"]


async def test_a_name_on_recent_opens_the_card_inside_the_page(
        sandbox: Sandbox, page) -> None:  # type: ignore[no-untyped-def]
    messages = page.locator("#messages")
    popups: list = []  # type: ignore[type-arg]
    page.context.on("page", lambda opened: popups.append(opened))
    await say(page, "/start")
    await tap(page, "📊 Статистика")
    await messages.get_by_text("Обзор · 7 дней").wait_for()
    await tap(page, "Последние")
    await messages.get_by_text("Последние брони").wait_for()
    name = messages.locator(".message.bot .text a").first
    href = await name.get_attribute("href")
    assert href and href.startswith("https://t.me/hsl_admin_bot?start=u")
    user_id = href.rsplit("u", 1)[1]
    url = page.url
    await name.click()
    # as in Telegram: the chat with the bot sends /start u<id>, and the bot answers with the card
    await messages.locator(".message.me", has_text=f"/start u{user_id}").wait_for()
    await messages.locator(".message.bot code", has_text=user_id).wait_for()
    assert page.url == url and not popups  # nothing left the sandbox
    await page.locator(f"#people .chat-link[data-chat='{user_id}']").wait_for(state="attached")

    # the name on the card (a tg://user link) looks into that student's chat
    card = messages.locator(".message.bot", has_text=user_id)
    await card.locator("a[href^='tg://user']").last.click()
    await page.locator("#chat-title", has_text=user_id).wait_for()
    assert await page.locator("#composer").is_hidden()
    assert page.url == url and not popups


async def test_a_students_link_button_counts_the_click(
        sandbox: Sandbox, page, pool: asyncpg.Pool) -> None:  # type: ignore[no-untyped-def]
    from bot.db.audiences import Audience
    from bot.db.broadcasts import Content
    from support import service, wait_status
    student = await pool.fetchval("SELECT min(user_id) FROM bookings WHERE first_name IS NOT NULL")
    launched = await service(sandbox.harness).launch(
        Content("text", "Запись открыта", None, ((("Записаться", "https://example.org/book"),),)),
        Audience("users", user_ids=(student,)), 100)
    await wait_status(pool, launched.broadcast.id, "done")
    await page.fill("#people-search", str(student))
    await page.locator("#people .chat-link").first.click()
    link = page.locator("#messages .message.bot a.url", has_text="Записаться")
    await link.wait_for()
    assert (await link.get_attribute("href") or "").startswith(sandbox.harness.url + "/r/")
    async with page.context.expect_page() as opened:  # the button opens a tab, as Telegram would
        await link.click()
    await (await opened.value).close()
    clicks = 0
    for _ in range(50):
        clicks = await pool.fetchval("SELECT count(*) FROM broadcast_clicks WHERE broadcast_id = $1"
                                     " AND user_id = $2", launched.broadcast.id, student)
        if clicks:
            break
        await page.wait_for_timeout(100)
    assert clicks == 1
