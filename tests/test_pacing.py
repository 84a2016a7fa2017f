"""The bot's pace around Telegram's answers: the margin learnt from 429s, and a flood-wait
storm that refuses every send for a while."""

from __future__ import annotations

import asyncio

import asyncpg

from bot.services.limits import GLOBAL, Budget
from bot.sandbox.emulator import Emulator
from support import add_members, launch_text, sends_to, wait_status, wait_until


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_429_at_our_own_pace_widens_the_margin_once_and_it_narrows_again() -> None:
    clock = Clock()
    budget = Budget("bot", clock=clock)
    assert budget.jitter == 0
    budget.retry_after(1)
    widened = budget.jitter
    assert widened == Budget.MARGIN_STEP
    budget.retry_after(1)  # another request that met the same 429: not a second step
    assert budget.jitter == widened
    clock.now += 5
    budget.retry_after(30)  # a long flood wait is Telegram's storm, not our jitter
    assert budget.jitter < widened
    clock.now += 60
    assert budget.jitter == 0
    for _ in range(10):  # it never grows past its bound
        clock.now += 3
        budget.retry_after(1)
    assert budget.jitter == Budget.MARGIN_MAX
    assert budget.block_left(GLOBAL) > 0



def test_an_answer_held_up_on_the_way_is_counted_again_and_the_next_second_makes_room() -> None:
    clock = Clock()
    budget = Budget("bot", clock=clock, rate=10, paid_rate=10)
    sent = []
    for _ in range(10):  # a full second's sends, 0.1 s apart, answered in 50 ms each
        sent.append(budget.handed_off(granted=False))
        clock.now += 0.05
        budget.answered(sent[-1])
        clock.now += 0.05
    assert budget.late == 0 and len(budget.window) == 10
    clock.now += 0.95  # the window's first second is over: a slot is free again
    assert budget._global_wait(False, None) == 0
    held = budget.handed_off(granted=False)
    clock.now += 0.35  # a stall: this answer took 350 ms, 300 more than the quickest
    budget.answered(held)
    assert budget.late == 1
    # Telegram saw that request up to 300 ms late, bunched with the next ones: the window
    # counts it twice (as sent, and as of its answer), so the next second has a slot less
    assert list(budget.window)[-2:] == [held, clock.now]
    budget.answered(budget.handed_off(granted=False) - 0.06, paid=True)  # within the margin
    assert budget.late == 1

async def test_a_flood_wait_storm_holds_every_send_and_loses_nobody(
        make_harness, pool: asyncpg.Pool, emulator: Emulator) -> None:  # type: ignore[no-untyped-def]
    harness = await make_harness(broadcast_rate=30)
    members = await add_members(pool, 40)
    faults = emulator.bot(harness.token).faults
    faults.storm_retry_after = 2
    faults.storm_until = asyncio.get_running_loop().time() + 60
    broadcast = await launch_text(harness, "storm")
    await wait_until(lambda: faults.storm_refused > 0)
    await asyncio.sleep(2.5)  # the bot holds back through a retry_after or more
    faults.storm_until = 0.0  # the storm ends
    done = await wait_status(pool, broadcast.id, "done", timeout=60)
    stats = emulator.stats(harness.token)
    assert stats["storm_refused"] > 0
    assert stats["breaches"] == 0  # nothing was sent into a retry_after it had been told
    assert (done.sent, done.failed, done.unknown) == (40, 0, 0)
    assert set(sends_to(emulator, harness.token).values()) == {1}
    assert set(sends_to(emulator, harness.token)) >= set(members)


def test_the_paid_pace_warms_up_after_a_pause_and_the_free_pace_does_not() -> None:
    clock = Clock()
    budget = Budget("bot", clock=clock, rate=30, paid_rate=1000)
    assert budget.current_rate(paid=True) == 1000
    budget.handed_off(granted=False)  # the first send after a pause
    assert budget.current_rate(paid=True) == 500 and budget.current_rate() == 30
    clock.now += Budget.WARM_UP / 2
    budget.handed_off(granted=False)
    assert budget.current_rate(paid=True) == 750
    clock.now += Budget.WARM_UP / 2
    assert budget.current_rate(paid=True) == 1000
    clock.now += 0.5  # sending goes on: no new warm-up
    budget.handed_off(granted=False)
    assert budget.current_rate(paid=True) == 1000
    clock.now += 5  # a pause: the next send warms up again
    budget.handed_off(granted=False)
    assert budget.current_rate(paid=True) == 500
