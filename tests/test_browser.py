"""The sandbox in a real browser (Playwright driving Debian's Chromium, headless): a person opens
the page, starts the bot, opens the statistics, sends a broadcast to a stream, then looks into a
student's chat and sees it arrive."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from urllib.parse import urljoin

import asyncpg
import pytest

from bot.sandbox.harness import make_settings
from bot.sandbox.run import Sandbox, start_sandbox

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright_api = pytest.importorskip("playwright.async_api")
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason="Debian's chromium is not installed (scripts/test installs it)")
TEXT = "Завтра урок в 19:00, {first_name}!"


@pytest.fixture
async def sandbox(database_url: str) -> AsyncIterator[Sandbox]:
    settings = make_settings(database_url, "http://127.0.0.1:9", admin_ids="100")
    box = await start_sandbox(settings, port=0, demo_users=300, keep_database=True)
    yield box
    await box.stop()


@pytest.fixture
async def page(sandbox: Sandbox):  # type: ignore[no-untyped-def]
    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                          args=["--no-sandbox"])
        tab = await browser.new_page(viewport={"width": 1280, "height": 860})
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
    await messages.get_by_text("Обзор · 7 дней").wait_for()
    await tap(page, "⬅️ Меню")
    await tap(page, "📣 Рассылка")
    members = await pool.fetchval("SELECT count(DISTINCT user_id) FROM bookings"
                                  " WHERE course_stream = '4th_stream' AND confirmed = 2")
    await tap(page, f"4-й поток · {members}")
    await messages.get_by_text("Пришлите сообщение для рассылки").wait_for()
    await say(page, TEXT)
    await messages.get_by_text("Проверьте рассылку").wait_for()
    await tap(page, "🚀 Отправить сейчас")
    await messages.get_by_text("завершена").wait_for(timeout=30_000)
    if path := os.environ.get("SANDBOX_SCREENSHOT"):
        await page.screenshot(path=path)

    student = await pool.fetchrow(
        "SELECT user_id, first_name FROM bookings WHERE course_stream = '4th_stream'"
        " AND confirmed = 2 AND first_name IS NOT NULL ORDER BY user_id LIMIT 1")
    await page.fill("#people-search", str(student["user_id"]))
    await page.locator("#people .chat-link").first.click()
    await page.locator("#chat-title", has_text=str(student["user_id"])).wait_for()
    await messages.get_by_text(f"Завтра урок в 19:00, {student['first_name']}!").wait_for()
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
