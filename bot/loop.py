"""The event loop the bot runs on: uvloop where it is installed (aiogram's own advice for a
faster bot; at the paid pace of 1,000 sends a second the loop's cost per request is a good
part of the bot's CPU), asyncio's otherwise."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_main(main: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop
    except ImportError:  # not built for this platform (Windows)
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)
