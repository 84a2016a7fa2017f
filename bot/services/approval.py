"""Four eyes on big broadcasts: one that needs approval is kept in 'awaiting_approval' instead
of starting or being scheduled; another editor or owner approves it (it starts now, or waits
for its time) or rejects it with a reason. Of two approvers pressing at once, one decides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from bot.db import approvals, audiences, audit
from bot.db import broadcasts as db
from bot.db.audiences import Audience
from bot.db.broadcasts import Broadcast, Content
from bot.db.pool import transaction
from bot.enums import Role
from bot.services.broadcasts import BroadcastService, Launch
from bot.services.team import Team


async def needed(pool: asyncpg.Pool, team: Team, role: Role, audience: Audience) -> bool:
    """A big broadcast or series (the effective threshold, or to all users; counted now)
    waits for a second pair of eyes; a message to one person never does."""
    if audience.personal:
        return False
    size = (await audiences.count(pool, audience)).total
    return await team.needs_approval(role, audience.kind == "all", size)


@dataclass(frozen=True)
class Approved:
    decision: approvals.Decision
    started: Broadcast | None  # approved to go now: the started broadcast


async def submit(service: BroadcastService, content: Content, audience: Audience,
                 admin_id: int, when: datetime | None, *, paid: bool = False,
                 draft_key: str | None = None, holdout: int = 0, cap_off: bool = False,
                 quiet_off: bool = False) -> Launch:
    """Keep the broadcast for approval (to go now, or at `when`); the same draft twice is
    submitted once."""
    async with transaction(service.pool) as conn:
        broadcast_id, created = await db.create(
            conn, content, audience, admin_id, allow_paid_broadcast=paid, scheduled_at=when,
            draft_key=draft_key, holdout_percent=holdout, links_base=service.links_base,
            frequency_cap_off=cap_off, quiet_hours_off=quiet_off, awaiting_approval=True)
        if created:
            size = (await audiences.count(conn, audience)).total
            await audit.record_action(conn, admin_id, "broadcast.submit",
                                      f"broadcast:{broadcast_id}",
                                      {"audience": audience.to_json(), "recipients": size,
                                       "at": when.isoformat() if when else None})
    broadcast = await db.get(service.pool, broadcast_id)
    assert broadcast is not None
    return Launch(broadcast, created)


async def approve(service: BroadcastService, broadcast_id: int, by: int) -> Approved | None:
    """Approve and, if it was to go now, start it (in the same transaction: approved once,
    started once); None if it was decided already or `by` wrote it."""
    await service.heal_reachability()  # the snapshot skips only those still unreachable
    target = f"broadcast:{broadcast_id}"
    async with transaction(service.pool) as conn:
        decision = await approvals.approve(conn, broadcast_id, by)
        if decision is None:
            return None
        await audit.record_action(conn, by, "broadcast.approve", target,
                                  {"author": decision.created_by})
        started = None
        if decision.now:
            started = await service.start_in(conn, broadcast_id, decision.created_by, by,
                                             {"by": "approval"})
    if started is not None:
        service.engine.nudge()
    return Approved(decision, started)


async def reject(service: BroadcastService, broadcast_id: int, by: int, reason: str
                 ) -> approvals.Decision | None:
    async with transaction(service.pool) as conn:
        decision = await approvals.reject(conn, broadcast_id, by, reason)
        if decision is not None:
            await audit.record_action(conn, by, "broadcast.reject", f"broadcast:{broadcast_id}",
                                      {"author": decision.created_by, "reason": reason})
    return decision
