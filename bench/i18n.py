"""What the second language costs: loading the English catalog at start, and rendering screens
(texts and keyboards) in Russian, the source texts, and in English, side by side in one run.

    .venv/bin/python -m bench.i18n [--rounds 2000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.db.health import TableInfo
from bot.db.streams import StreamSummary
from bot.i18n import DEFAULT_LOCALE, DOMAIN, LOCALES, Catalogs, i18n, use_locale
from bot.keyboards.compose import preview_actions
from bot.keyboards.menu import main_menu
from bot.keyboards.stats import navigation
from bot.text.composer import Estimate
from bot.views import compose, menu

TZ = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
STREAMS = [StreamSummary(f"{n}th_stream", f"{n}-й поток", 1000 * n, 40 * n) for n in range(3, 9)]
TABLES = [TableInfo(name, True, 123_456, NOW) for name in
          ("bookings", "free_lesson_registrations", "events", "message_history")]

SCREENS: dict[str, Callable[[], object]] = {
    "main menu (text + keyboard)": lambda: (menu.menu_text(), main_menu()),
    "stats keyboard (24 buttons)": lambda: navigation("overview", "7"),
    "streams screen": lambda: menu.streams_text(STREAMS),
    "health screen": lambda: menu.status_text("18.1", 11, 0, TABLES, TZ, NOW),
    "broadcast summary + buttons": lambda: (
        compose.summary("4-й поток", 5000, 12, Estimate(180.0, 6.0, 450), 29.0, True, 1),
        preview_actions(True)),
}


def per_call_us(render: Callable[[], object], locale: str, rounds: int) -> float:
    """Median over five batches of the time one render takes, in microseconds."""
    batches = []
    with use_locale(locale):
        for _batch in range(5):
            started = time.perf_counter()
            for _round in range(rounds):
                render()
            batches.append((time.perf_counter() - started) / rounds * 1e6)
    return statistics.median(batches)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()

    loads = []
    for _load in range(20):
        started = time.perf_counter()
        Catalogs(path=LOCALES, default_locale=DEFAULT_LOCALE, domain=DOMAIN)
        loads.append((time.perf_counter() - started) * 1000)
    texts = len(i18n.locales["en"]._catalog) - 1  # type: ignore[attr-defined]  # minus the header
    print(f"English catalog: {texts} texts, parsed and compiled at start in "
          f"{statistics.median(loads):.1f} ms (median of 20)")
    print(f"{'screen':<30}{'ru, µs':>10}{'en, µs':>10}{'en/ru':>8}")
    for name, render in SCREENS.items():
        russian = per_call_us(render, "ru", args.rounds)
        english = per_call_us(render, "en", args.rounds)
        print(f"{name:<30}{russian:>10.1f}{english:>10.1f}{english / russian:>7.2f}x")


if __name__ == "__main__":
    main()
