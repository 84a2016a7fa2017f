"""Stopping the scheduler waits for a job under way instead of cancelling it mid-query."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.scheduler import Scheduler


async def test_stop_waits_for_a_running_job_and_starts_no_new_one(caplog: pytest.LogCaptureFixture) -> None:
    runs: list[str] = []
    started = asyncio.Event()

    async def job() -> None:
        runs.append("started")
        started.set()
        await asyncio.sleep(0.3)  # a query in progress
        runs.append("finished")

    scheduler = Scheduler()
    scheduler.every(0.05, job, job_id="slow", now=True)
    scheduler.start()
    await asyncio.wait_for(started.wait(), 5)
    with caplog.at_level(logging.WARNING):
        await scheduler.stop()
        await asyncio.sleep(0.2)  # a run that was not stopped would start now
    assert runs == ["started", "finished"]
    assert not [r for r in caplog.records if r.exc_info], "a job was cancelled and logged"
