"""The delivery engine. One instance per process; of all processes only the one holding a
PostgreSQL advisory lock delivers. It drives every broadcast in status 'sending' through a
single pace: claims recipients just ahead of it, writes each down as in flight the moment its
request goes out (see wire.py) and resolves them in batches."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import asyncpg
from aiogram import Bot

from bot.config import QuietHours, Safeguards
from bot.db import leadership
from bot.db import broadcasts as db
from bot.db.broadcasts import Recipient
from bot.metrics import Metrics
from bot.services.delivery.breaker import Breaker, UsualRates
from bot.services.delivery.canary import SENDING as CANARY_SENDING, CanaryWatch
from bot.services.delivery.lanes import Lane
from bot.services.delivery.pacing import ChatSpacing
from bot.services.delivery.quiet import QuietWatch
from bot.services.delivery.progress import ProgressReporter, RenderProgress
from bot.services.delivery.recall import Recaller, RenderRecallReport
from bot.services.delivery.editor import Editor, RenderEditProgress, RenderEditReport
from bot.services.delivery.results import Done, ResultWriter
from bot.services.delivery.wire import WireLog
from bot.services.links import LinkSigner
from bot.services.limits import Budget, Priority, Ticket, request_priority, slot_taken
from bot.services.delivery.sender import (
    MAX_ATTEMPTS, Outcome, PreparedContent, prepare, send_one,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EngineConfig:
    rate: float = 29.0            # messages per second, free broadcasts
    paid_rate: float = 1000.0     # with allow_paid_broadcast
    in_flight: int = 400          # most recipients marked in flight at once
    leader_poll: float = 2.0      # how often a standby instance tries to take over
    refresh: float = 0.5          # how often statuses are re-read (pause/cancel latency)
    progress_every: float = 3.0
    quiet_hours: QuietHours | None = None  # no broadcast goes out in these (local) hours
    timezone: str = "Europe/Moscow"        # ... of this time zone
    safeguards: Safeguards = Safeguards(None, 0.0, None)  # canary and breaker (off here)


Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


CLAIM_AHEAD = 0.1  # seconds of sending claimed ahead of the pacer


class LeadershipLost(Exception):
    pass


class DeliveryEngine:
    def __init__(self, pool: asyncpg.Pool, bot: Bot, admin_bot: Bot, config: EngineConfig,
                 metrics: Metrics, budget: Budget, *, render_progress: RenderProgress,
                 render_recall_report: RenderRecallReport, clock: Clock = utc_now,
                 render_edit: tuple[RenderEditProgress, RenderEditReport] | None = None) -> None:
        self.pool, self.bot, self.admin_bot, self.config = pool, bot, admin_bot, config
        self.metrics = metrics
        self.clock = clock  # quiet hours, the canary's wait (tests set their own)
        self.tz = ZoneInfo(config.timezone)
        # the broadcast bot's budget: shared with the admin's screens when it is one bot
        self.pacer = budget
        self._wake = asyncio.Event()
        self.spacing = ChatSpacing()
        self.lanes: dict[int, Lane] = {}
        usual = UsualRates(pool)
        self.breaker = Breaker(pool, config.safeguards.fail_percent, usual, self._show,
                               self.nudge)
        self.canary = CanaryWatch(pool, config.safeguards, clock, usual, self._show,
                                  config.progress_every)
        self.results = ResultWriter(pool, metrics, retry_later=self._retry_later,
                                    paid=lambda: any(lane.paid for lane in self.lanes.values()),
                                    written=self._wake.set, judge=self.breaker.observe)
        self.progress = ProgressReporter(pool, admin_bot, metrics, every=config.progress_every,
                                         lanes=lambda: self.lanes, rate=self.results.current_rate,
                                         render=render_progress, tz=self.tz,
                                         quiet=config.quiet_hours, clock=clock)
        self.recaller = Recaller(pool, bot, admin_bot, wait_turn=self.wait_turn,
                                 show=self._show,
                                 report=render_recall_report)
        self.editor = Editor(pool, bot, admin_bot, wait_turn=self.wait_turn, sign=self.sign,
                             progress=render_edit[0], report=render_edit[1],
                             every=config.progress_every) if render_edit else None
        self.wire = WireLog(pool)
        self.quiet = QuietWatch(pool, config.quiet_hours, self.tz, clock, self._show)
        self.links: LinkSigner | None = None  # set once the key is read: tracked links
        self.unsubscribe_links: LinkSigner | None = None  # ... and unsubscribe links
        self.unsubscribe_base: str | None = None  # where the test message's button leads
        self.is_leader = False
        self._slots = asyncio.Semaphore(config.in_flight)
        self._sending: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._storm_logged = -1e9

    # ---- lifecycle ----------------------------------------------------------------
    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="delivery-engine")

    async def stop(self) -> None:
        """Finish the requests under way, write their results, put the rest back, unlock."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await asyncio.wait({self._task}, timeout=30)

    async def _show(self, broadcast_id: int) -> None:
        """A broadcast's progress message as it stands (paused, waiting, held)."""
        await self.progress.report(broadcast_id, final=True)

    def nudge(self) -> None:
        """Something changed (a broadcast started, paused, resumed): look now."""
        self._wake.set()

    async def _run(self) -> None:
        while not self._stopping:
            try:
                async with self.pool.acquire() as conn:
                    if await leadership.try_lock(conn):
                        try:
                            await self._lead(conn)
                        finally:
                            self.is_leader = False
                            with contextlib.suppress(Exception):
                                await leadership.unlock(conn)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, LeadershipLost) as exc:
                log.warning("delivery engine lost its database connection: %s", exc)
            except Exception:  # keep delivering whatever a single bug does
                log.exception("delivery engine failed; restarting it")
            await self._sleep(self.config.leader_poll)

    async def _lead(self, conn: asyncpg.Connection) -> None:
        self.is_leader = True
        interrupted = await db.mark_interrupted(self.pool)
        log.info("delivering broadcasts", extra={"marked_unknown": interrupted})
        if await db.sending(self.pool):
            # the instance before this one was sending: Telegram counts its last second too
            self.pacer.hold(1.0)
        workers = [asyncio.create_task(coro) for coro in (
            self._dispatch(), self.results.run(), self.progress.run(),
            self.recaller.run(), self._watch(conn),
            *([self.editor.run()] if self.editor else []))]
        try:
            done, _ = await asyncio.wait(workers, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # re-raise what ended it
        finally:
            workers[0].cancel()  # no new requests
            await asyncio.gather(workers[0], return_exceptions=True)
            if self._sending:
                await asyncio.wait(set(self._sending), timeout=15)
            if not workers[1].done():  # the writer: let it write what came back
                await self.results.drain(timeout=10)
            for task in workers[1:]:
                task.cancel()
            await asyncio.gather(*workers[1:], return_exceptions=True)
            for lane in list(self.lanes.values()):
                await self._close_lane(lane)

    async def _watch(self, conn: asyncpg.Connection) -> None:
        """Ends when stopping; raises if the connection holding the lock is gone."""
        while not self._stopping:
            try:
                await asyncio.wait_for(leadership.alive(conn), timeout=5)
            except (OSError, asyncio.TimeoutError, asyncpg.PostgresError,
                    asyncpg.InterfaceError) as exc:
                raise LeadershipLost(str(exc)) from None
            await asyncio.sleep(1.0)  # not _sleep: that would swallow the dispatcher's wake-up

    async def _sleep(self, seconds: float) -> None:
        if self._stopping:  # stop() has woken us already: don't clear that and wait on
            return
        self._wake.clear()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    # ---- dispatch -------------------------------------------------------------------
    async def _dispatch(self) -> None:
        refreshed = 0.0
        while not self._stopping:
            if time.monotonic() - refreshed >= self.config.refresh:
                await self._refresh_lanes()
                refreshed = time.monotonic()
            picked = await self._pick()
            if picked is None:
                await self._sleep(self._idle_wait())
                refreshed = 0.0 if self._wake.is_set() else refreshed
                continue
            lane, recipient, attempt = picked
            try:
                await self.wait_turn(lane.paid)
            except asyncio.CancelledError:
                lane.defer(recipient, attempt, 0.0)  # back in the lane: put back when it closes
                raise
            if lane.id not in self.lanes:  # paused or cancelled while we waited
                self.pacer.give_back()
                await db.release(self.pool, [recipient.id])
                continue
            await self._slots.acquire()
            self.spacing.sent(recipient.user_id)
            task = asyncio.create_task(self._send(lane, recipient, attempt))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def wait_turn(self, paid: bool = False) -> None:
        """A send slot from the bot's budget, at this engine's own pace at most."""
        await self.pacer.acquire(None, Priority.BROADCAST, paid=paid,
                                 cap=self.config.paid_rate if paid else self.config.rate)

    def current_pace(self, paid: bool = False) -> float:
        return self.pacer.current_rate(paid, self.config.paid_rate if paid else self.config.rate)

    def _idle_wait(self) -> float:
        waits = [w for lane in self.lanes.values() if (w := lane.next_deferred_in()) is not None]
        return min([self.config.refresh, *waits])

    async def _pick(self) -> tuple[Lane, Recipient, int] | None:
        """The next recipient: paid broadcasts first (free ones would be refused meanwhile),
        then the lanes in turn; a chat that just got a message waits its second."""
        lanes = sorted(self.lanes.values(), key=lambda lane: (not lane.paid, lane.id))
        if lanes and lanes[0].paid:
            lanes = [lane for lane in lanes if lane.paid]
        for lane in lanes:
            await self._top_up(lane)
            while (item := lane.next_ready()) is not None:
                recipient, attempt = item
                wait = self.spacing.wait_for(recipient.user_id)
                if wait > 0:
                    lane.defer(recipient, attempt, wait)
                    continue
                return lane, recipient, attempt
        return None

    def _ahead(self, lane: Lane) -> int:
        """How many recipients to hold claimed (marked in flight) before their request:
        ~0.1 s of sending, so that a crash leaves few 'unknown' that were never sent."""
        pace = self.current_pace(lane.paid)
        return max(2, min(self.config.in_flight // 2, math.ceil(pace * CLAIM_AHEAD)))

    async def _top_up(self, lane: Lane) -> None:
        """Claim more recipients, just in time: when fewer than `_ahead` are left unsent in
        the lane, as many again (bounded by what may be outstanding at once)."""
        ahead = self._ahead(lane)
        outstanding = sum(other.outstanding for other in self.lanes.values())
        if lane.exhausted or len(lane.queue) >= ahead or outstanding >= self.config.in_flight:
            return
        want = min(2 * ahead - len(lane.queue), self.config.in_flight - outstanding)
        claimed = await db.claim(self.pool, lane.id, want, lane.canary_only)
        lane.queue.extend(claimed)
        lane.outstanding += len(claimed)
        lane.exhausted = len(claimed) < want

    async def _refresh_lanes(self) -> None:
        sending = {b.id: b for b in await db.sending(self.pool)}
        held = await self.quiet.hold(sending, self.lanes) | await self.canary.hold(sending)
        for lane_id in [i for i in self.lanes if i not in sending or i in held]:
            lane = self.lanes[lane_id]
            await (self._finish(lane) if lane.idle else self._close_lane(lane))
        for broadcast_id, broadcast in sending.items():
            if broadcast_id in held:
                continue
            if broadcast_id not in self.lanes:
                self.lanes[broadcast_id] = await self._open_lane(broadcast)
            if self.lanes[broadcast_id].idle:
                await self._finish(self.lanes[broadcast_id])
        self.metrics.pace.set(self.current_pace(any(lane.paid for lane in self.lanes.values())))

    async def _open_lane(self, broadcast: db.Broadcast) -> Lane:
        content = self.sign(await prepare(self.bot, self.admin_bot, broadcast.content,
                                          broadcast.id, broadcast.allow_paid_broadcast,
                                          broadcast.file_id), broadcast)
        return Lane(content, canary_only=broadcast.canary_phase == CANARY_SENDING)

    def sign(self, content: PreparedContent, broadcast: db.Broadcast) -> PreparedContent:
        """Each recipient's own tracked links and unsubscribe link, as the broadcast has them."""
        if broadcast.links_base and self.links is not None:
            content.links, content.links_base = self.links, broadcast.links_base
        if broadcast.links_base and broadcast.content.unsubscribe:
            content.unsubscribe = self.unsubscribe_links
            content.unsubscribe_base = broadcast.links_base
        return content

    async def send_test(self, content: db.Content, user_id: int, first_name: str | None,
                        username: str | None) -> db.Result:
        """The message exactly as recipients get it, through the broadcast bot, to one admin."""
        prepared = await prepare(self.bot, self.admin_bot, content)
        prepared.unsubscribe_base = self.unsubscribe_base  # the button leads to the preview
        outcome, _ = await send_one(self.bot, prepared, Recipient(0, 0, user_id, username,
                                                                  first_name, 1), MAX_ATTEMPTS)
        if outcome.retry_after is not None:
            return db.Result(0, "failed", f"Too Many Requests: retry after {outcome.retry_after}")
        assert outcome.result is not None
        return outcome.result

    async def _close_lane(self, lane: Lane) -> None:
        """The broadcast is no longer sending (paused, cancelled, done): put back what was
        claimed but not requested, and show its state."""
        self.lanes.pop(lane.id, None)
        self.breaker.forget(lane.id)  # judged afresh when it goes on
        await db.release(self.pool, lane.drain_unstarted())
        await self.progress.report(lane.id, final=True)

    async def _finish(self, lane: Lane) -> None:
        if await db.finish_if_complete(self.pool, lane.id):
            log.info("broadcast done", extra={"broadcast_id": lane.id})
        await self._close_lane(lane)

    # ---- one request ------------------------------------------------------------------
    async def _send(self, lane: Lane, recipient: Recipient, attempt: int) -> None:
        request_priority.set(Priority.BROADCAST)
        ticket = Ticket()  # this task's context only: its slot came from wait_turn
        slot_taken.set(ticket)
        try:
            await self.pacer.wait_unblocked()  # a 429 may have come in since this got its turn
            try:
                if not await self.wire.mark(recipient.id):
                    lane.outstanding -= 1  # put back meanwhile: not ours to send any more
                    return
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("could not mark a request in flight; trying it later: %s", exc)
                if self.lanes.get(lane.id) is lane:  # (else it is claimed until the next lead)
                    lane.defer(recipient, attempt, 1.0)  # no request went out
                return
            lane.tries[recipient.id] = lane.tries.get(recipient.id, 0) + 1  # 429s, retries too
            outcome = await self._request(lane, recipient, attempt)
        finally:
            self._slots.release()
            if not ticket.used:  # no request went out (a text too long, say)
                self.pacer.give_back()
        if outcome.retry_after is not None:
            self._log_storm(lane, outcome.retry_after)
        elif outcome.retry_in is not None:
            await self._retry_later(lane, recipient, attempt + 1, outcome.retry_in)
            return
        self.results.put(Done(lane, recipient, attempt, outcome))

    async def _retry_later(self, lane: Lane, recipient: Recipient, attempt: int,
                           delay: float) -> None:
        """Back in its lane for another try; if the broadcast stopped meanwhile (paused,
        cancelled), back in the queue for when it resumes."""
        if self.lanes.get(lane.id) is lane:
            lane.defer(recipient, attempt, delay)
        else:
            await db.release(self.pool, [recipient.id])

    async def _request(self, lane: Lane, recipient: Recipient, attempt: int) -> Outcome:
        try:
            outcome, new_file_id = await send_one(self.bot, lane.content, recipient, attempt)
            if new_file_id:
                await db.set_file_id(self.pool, lane.id, new_file_id)
            return outcome
        except Exception as exc:  # a bug of ours: the request may or may not have gone out
            log.exception("sending failed unexpectedly")
            return Outcome(db.Result(recipient.id, "unknown", f"internal error: {type(exc).__name__}"))

    def _log_storm(self, lane: Lane, retry_after: float) -> None:
        """The limiter took note of the 429 (its scope is held, the pace lowered): say so once."""
        if self._storm_logged < time.monotonic() - retry_after:
            self._storm_logged = time.monotonic()
            log.warning("429 from Telegram: pausing all sending", extra={
                "retry_after": retry_after, "pace": round(self.current_pace(lane.paid), 1)})
