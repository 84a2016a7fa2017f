"""mypy over bot/ with the settings in pyproject.toml: CI runs only the test command, so the
type check is a test. A second run over a wrong use of Screen shows the settings catch one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".mypy_cache"  # kept between runs: a warm check takes seconds, a cold one ~30 s

WRONG_SCREENS = '''
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from bot.views.screen import show_screen
from bot.views.screen import Screen


async def as_tuple(callback: CallbackQuery) -> None:
    await show_screen(callback, ("text", None))


async def unpacked(callback: CallbackQuery, markup: InlineKeyboardMarkup) -> None:
    await show_screen(callback, *Screen("text", markup))


def swapped(markup: InlineKeyboardMarkup) -> Screen:
    return Screen(markup, "text")


def untyped(callback, markup):
    return Screen("text", markup)
'''


def _mypy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(CACHE), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.mark.timeout(320)
def test_bot_type_checks() -> None:
    result = _mypy()
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.timeout(320)
def test_a_wrong_screen_is_caught(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong_screens.py"
    wrong.write_text(WRONG_SCREENS)
    result = _mypy(str(wrong))
    errors = [line for line in result.stdout.splitlines() if "wrong_screens.py" in line]
    assert result.returncode == 1, result.stdout + result.stderr
    for function_line in (8, 12, 16, 19):  # one error in each function at least
        assert any(f"wrong_screens.py:{function_line}:" in line for line in errors), errors
