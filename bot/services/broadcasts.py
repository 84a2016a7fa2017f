"""Broadcasts as the handlers see them: content taken from a Telegram message, started,
paused, resumed, cancelled, recalled and resent, each step written to the audit log."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import asyncpg
from aiogram.types import Message

from bot.config import FrequencyCap, QuietHours, Safeguards
from bot.db import audiences, audit, reachability
from bot.db import broadcasts as db
from bot.db import recall as recall_db
from bot.db.audiences import Audience
from bot.db.broadcasts import Broadcast, Content
from bot.db.pool import transaction
from bot.db.safeguards import canary_size
from bot.i18n import _
from bot.services.delivery import canary
from bot.services.delivery.engine import DeliveryEngine
from bot.services.delivery.render import ContentError, check_length, personalise
from bot.text.composer import SendPlan

log = logging.getLogger(__name__)

QUESTION_SECONDS = 60.0  # how long a question about a running broadcast stays unanswered


def content_from_message(message: Message) -> Content:
    """The broadcast content of an admin's message: its formatting kept as HTML."""
    html = message.html_text if (message.text or message.caption) else ""
    if message.text:
        return Content("text", html)
    media = (("photo", message.photo[-1] if message.photo else None),
             ("animation", message.animation), ("video", message.video),
             ("document", message.document))
    for kind, item in media:  # animation before document: Telegram sends both for a GIF
        if item is not None:
            return Content(kind, html, item.file_id)
    raise ContentError(_("Такое сообщение не разослать: пришлите текст, фото, видео, документ "
                         "или GIF-анимацию с подписью."))


def check_content(content: Content, first_name: str | None, username: str | None) -> None:
    """Refuse content over Telegram's limits, counted after the placeholders are filled."""
    check_length(personalise(content.html, first_name, username), is_caption=content.kind != "text")


@dataclass(frozen=True)
class Transition:
    action: str
    allowed_from: tuple[str, ...]
    to: str


PAUSE = Transition("pause", ("sending",), "paused")
RESUME = Transition("resume", ("paused",), "sending")
CANCEL = Transition("cancel", ("draft", "scheduled", "sending", "paused"), "cancelled")


@dataclass(frozen=True)
class Launch:
    broadcast: Broadcast
    created: bool  # False: this draft had already been sent or scheduled (by another tap)


class BroadcastService:
    def __init__(self, pool: asyncpg.Pool, engine: DeliveryEngine,
                 unreachable_expiry_days: int = 30, links_base: str | None = None,
                 frequency_cap: FrequencyCap | None = None,
                 quiet_hours: QuietHours | None = None, tz: ZoneInfo | None = None,
                 safeguards: Safeguards | None = None) -> None:
        self.pool, self.engine = pool, engine
        self.safeguards = safeguards or Safeguards(None, 0.0, None)  # the canary's rules
        self.unreachable_expiry_days = unreachable_expiry_days
        self.links_base = links_base  # None: link buttons go out as they are, not counted
        self.frequency_cap = frequency_cap  # None: no cap (FREQUENCY_CAP=off)
        self.quiet_hours, self.tz = quiet_hours, tz or ZoneInfo("Europe/Moscow")

    def quiet_end(self, moment: datetime | None = None) -> datetime | None:
        """When the quiet hours `moment` (default: now, by the engine's clock) falls in end;
        None outside them or without quiet hours."""
        if self.quiet_hours is None:
            return None
        return self.quiet_hours.end_after(moment or self.engine.clock(), self.tz)

    def plan(self, recipients: int) -> SendPlan:
        """What a broadcast to so many, sent now, runs into: a canary first (and its wait),
        quiet hours beginning before it is over."""
        canary_first = self.safeguards.canary_first(recipients)
        wait = self.safeguards.canary_wait_minutes if canary_first else 0.0
        seconds = recipients / self.engine.config.rate + wait * 60
        quiet = (self.quiet_hours.reached(self.engine.clock(), seconds, self.tz)
                 if self.quiet_hours else None)
        return SendPlan(canary_size(recipients) if canary_first else None, wait, quiet)

    async def heal_reachability(self) -> int:
        """Unreachable marks that expired or were contradicted by platform activity go, so
        those users are tried again (before a snapshot, and every minute)."""
        healed = await reachability.heal(self.pool, self.unreachable_expiry_days)
        if healed:
            log.info("unreachable marks healed", extra={"users": healed})
        return healed

    async def launch(self, content: Content, audience: Audience, admin_id: int, *,
                     paid: bool = False, draft_key: str | None = None, holdout: int = 0,
                     progress_message: tuple[int, int] | None = None,
                     cap_off: bool = False, quiet_off: bool = False) -> Launch:
        """Create a broadcast and start it now. Its progress is shown in `progress_message`
        (chat id, message id), or in a new message to the admin. The same draft_key twice
        (a double tap, a repeated callback) starts it once. `cap_off`: the author lets it
        reach those the frequency cap would skip; `quiet_off`: sent through quiet hours."""
        await self.heal_reachability()  # the snapshot skips only those still unreachable
        broadcast_id, created = await db.create(self.pool, content, audience, admin_id,
                                                allow_paid_broadcast=paid, draft_key=draft_key,
                                                holdout_percent=holdout,
                                                links_base=self.links_base,
                                                frequency_cap_off=cap_off,
                                                quiet_hours_off=quiet_off)
        if created and progress_message is not None:  # one tap registers where progress goes
            await db.set_progress_message(self.pool, broadcast_id, *progress_message)
        async with transaction(self.pool) as conn:
            started = await self.start_in(conn, broadcast_id, admin_id, admin_id, {})
            if started is not None and quiet_off:
                await self._audit_quiet_override(conn, broadcast_id, admin_id)
        broadcast = started or await db.get(self.pool, broadcast_id)
        assert broadcast is not None
        if started is not None:
            self.engine.nudge()
        return Launch(broadcast, started is not None)  # whoever made the transition started it

    async def schedule(self, content: Content, audience: Audience, admin_id: int,
                       when: datetime, *, paid: bool = False, draft_key: str | None = None,
                       holdout: int = 0, cap_off: bool = False,
                       quiet_off: bool = False) -> Launch:
        async with transaction(self.pool) as conn:
            broadcast_id, created = await db.create(conn, content, audience, admin_id,
                                                    allow_paid_broadcast=paid, scheduled_at=when,
                                                    draft_key=draft_key, holdout_percent=holdout,
                                                    links_base=self.links_base,
                                                    frequency_cap_off=cap_off,
                                                    quiet_hours_off=quiet_off)
            if created:
                size = (await audiences.count(conn, audience)).total
                await audit.record_action(conn, admin_id, "broadcast.schedule",
                                          f"broadcast:{broadcast_id}",
                                          {"audience": audience.to_json(), "recipients": size,
                                           "at": when.isoformat()})
                if quiet_off:
                    await self._audit_quiet_override(conn, broadcast_id, admin_id)
        broadcast = await db.get(self.pool, broadcast_id)
        assert broadcast is not None
        return Launch(broadcast, created)

    async def start_scheduled(self, broadcast_id: int, admin_id: int | None,
                              progress_message: tuple[int, int] | None = None
                              ) -> Broadcast | None:
        """Start a scheduled broadcast now (by an admin, or by the scheduler when it is due).
        None if it was not scheduled any more (started elsewhere, cancelled)."""
        current = await db.get(self.pool, broadcast_id)
        if current is None or current.status != "scheduled":
            return None
        if progress_message is not None:
            await db.set_progress_message(self.pool, broadcast_id, *progress_message)
        chat_id = admin_id or current.created_by
        await self.heal_reachability()
        async with transaction(self.pool) as conn:
            started = await self.start_in(conn, broadcast_id, chat_id, admin_id or 0,
                                          {"by": "admin" if admin_id else "schedule"})
        if started is not None:
            self.engine.nudge()
        return started

    async def start_in(self, conn: asyncpg.Connection, broadcast_id: int,
                       progress_chat_id: int | None, admin_id: int, details: dict[str, object]
                       ) -> Broadcast | None:
        """Start a created or scheduled broadcast inside the caller's transaction: the
        recipients' snapshot, the audit entry (with `details`), the frequency cap's decision
        and the canary; None if it was started elsewhere or is not startable."""
        started = await db.start(conn, broadcast_id, progress_chat_id=progress_chat_id,
                                 cap=self.frequency_cap)
        if started is None:
            return None
        await audit.record_action(conn, admin_id, "broadcast.send", f"broadcast:{broadcast_id}",
                                  {"audience": started.audience.to_json()
                                   if started.audience else None,
                                   "recipients": started.total, **details})
        await self._audit_cap(conn, started, admin_id)
        if await canary.begin(conn, started, self.safeguards, admin_id):
            return await db.get(conn, broadcast_id)
        return started

    async def _audit_cap(self, conn: asyncpg.Connection, started: Broadcast,
                         admin_id: int) -> None:
        """The frequency cap's decision at the start: whom it skipped, or that the author
        turned it off for this broadcast."""
        if self.frequency_cap is None or (started.audience and started.audience.personal):
            return
        target = f"broadcast:{started.id}"
        if started.frequency_cap_off:
            await audit.record_action(conn, admin_id, "broadcast.cap_override", target,
                                      {"cap": str(self.frequency_cap)})
        elif started.capped:
            await audit.record_action(conn, admin_id, "broadcast.capped", target,
                                      {"cap": str(self.frequency_cap), "skipped": started.capped})

    async def _audit_quiet_override(self, conn: asyncpg.Connection, broadcast_id: int,
                                    admin_id: int) -> None:
        """The author chose to send through quiet hours."""
        await audit.record_action(conn, admin_id, "broadcast.quiet_override",
                                  f"broadcast:{broadcast_id}",
                                  {"quiet_hours": str(self.quiet_hours)})

    async def reschedule(self, broadcast_id: int, when: datetime, admin_id: int) -> bool:
        return await self._change(broadcast_id, admin_id, "reschedule",
                                  lambda conn: db.reschedule(conn, broadcast_id, when),
                                  at=when.isoformat())

    async def replace_content(self, broadcast_id: int, content: Content, admin_id: int) -> bool:
        return await self._change(broadcast_id, admin_id, "edit",
                                  lambda conn: db.replace_content(conn, broadcast_id, content))

    async def transition(self, broadcast_id: int, step: Transition, admin_id: int) -> bool:
        return await self._change(broadcast_id, admin_id, step.action, lambda conn: db.set_status(
            conn, broadcast_id, step.allowed_from, step.to), nudge=True)

    async def canary_go(self, broadcast_id: int, admin_id: int) -> bool:
        """The rest of the broadcast now, before its canary's wait ends."""
        async with transaction(self.pool) as conn:
            changed = await canary.go_on(conn, broadcast_id, admin_id)
        if changed:
            self.engine.nudge()
        return changed

    async def ask(self, broadcast_id: int) -> None:
        """A question (cancel? recall?) goes onto the progress message: the progress display
        leaves it alone until it is answered or QUESTION_SECONDS pass."""
        self.engine.progress.hold(broadcast_id, QUESTION_SECONDS)
        await db.set_question(self.pool, broadcast_id, QUESTION_SECONDS)

    async def answered(self, broadcast_id: int) -> None:
        self.engine.progress.hold(broadcast_id, None)
        await db.set_question(self.pool, broadcast_id, None)

    async def recall(self, broadcast_id: int, admin_id: int) -> bool:
        return await self._change(broadcast_id, admin_id, "recall",
                                  lambda conn: recall_db.request_recall(conn, broadcast_id))

    async def resend(self, broadcast_id: int, admin_id: int, status: str = "failed") -> int:
        """Send again to those it failed for ('failed'), or, asked for on its own, to those
        whose delivery is unknown ('unknown': some of them may get it twice)."""
        async with transaction(self.pool) as conn:
            count = await db.requeue(conn, broadcast_id, (status,))
            if count:
                await self._audit(conn, broadcast_id, admin_id, "resend", resent=count,
                                  status=status)
        if count:
            self.engine.nudge()
        return count

    async def _change(self, broadcast_id: int, admin_id: int, action: str,
                      change: Callable[[asyncpg.Connection], Awaitable[bool]], *,
                      nudge: bool = False, **extra: object) -> bool:
        """Make a change and write its audit entry in one transaction (neither without the
        other); True if it changed anything."""
        async with transaction(self.pool) as conn:
            changed = await change(conn)
            if changed:
                await self._audit(conn, broadcast_id, admin_id, action, **extra)
        if changed and nudge:
            self.engine.nudge()
        return changed

    async def _audit(self, conn: asyncpg.Connection, broadcast_id: int, admin_id: int,
                     action: str, **extra: object) -> None:
        """An audit entry naming the broadcast's audience and size."""
        broadcast = await db.get(conn, broadcast_id)
        details: dict[str, object] = dict(extra)
        if broadcast is not None and broadcast.audience is not None:
            details["audience"] = broadcast.audience.to_json()
            details["recipients"] = broadcast.total or (
                await audiences.count(conn, broadcast.audience)).total
        await audit.record_action(conn, admin_id, f"broadcast.{action}",
                                  f"broadcast:{broadcast_id}", details)

    async def send_test(self, content: Content, user_id: int, first_name: str | None,
                        username: str | None) -> db.Result:
        return await self.engine.send_test(content, user_id, first_name, username)
