"""Who is on the admin team, read per update from the database through a small cache: ADMIN_IDS
are owners whatever the table says; a change made here is seen at once (the cache is dropped),
one made by another instance within TTL seconds."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from bot.access import Access
from bot.db import team as db
from bot.db.team import Member
from bot.enums import Role

TTL = 3.0  # seconds a read of the table is trusted

VIEWERS_EXPORT = "viewers_export"
APPROVAL_MIN_AUDIENCE = "approval_min_audience"
OWNER_ALONE = "owner_sends_alone"


@dataclass(frozen=True)
class TeamSettings:
    viewers_export: bool = False
    approval_min_audience: int | None = None  # None: no approval
    owner_alone: bool = False  # an owner's big broadcast goes without a second pair of eyes
    approval_overridden: bool = False  # an owner set the threshold from the bot


@dataclass
class _Snapshot:
    roles: dict[int, Role]
    settings: TeamSettings
    read_at: float


@dataclass
class Team:
    owners: frozenset[int]  # ADMIN_IDS
    approval_default: int | None = None  # APPROVAL_MIN_AUDIENCE
    clock: Callable[[], float] = time.monotonic
    pool: asyncpg.Pool | None = None  # given once the database is open
    _snapshot: _Snapshot | None = field(default=None, repr=False)

    async def _read(self) -> _Snapshot:
        snapshot = self._snapshot
        if snapshot is not None and self.clock() - snapshot.read_at < TTL:
            return snapshot
        if self.pool is None:
            return _Snapshot({}, TeamSettings(approval_min_audience=self.approval_default), 0.0)
        roles = {m.user_id: m.role for m in await db.members(self.pool)}
        self._snapshot = _Snapshot(roles, self._settings(await db.settings(self.pool)),
                                   self.clock())
        return self._snapshot

    def _settings(self, stored: dict[str, Any]) -> TeamSettings:
        overridden = APPROVAL_MIN_AUDIENCE in stored
        threshold = stored.get(APPROVAL_MIN_AUDIENCE) if overridden else self.approval_default
        return TeamSettings(bool(stored.get(VIEWERS_EXPORT, False)), threshold or None,
                            bool(stored.get(OWNER_ALONE, False)), overridden)

    def forget(self) -> None:
        """After a change: the next look reads the table again."""
        self._snapshot = None

    async def role_of(self, user_id: int) -> Role | None:
        if user_id in self.owners:
            return Role.OWNER
        return (await self._read()).roles.get(user_id)

    async def access_of(self, user_id: int) -> Access | None:
        """What this person may do; None for a stranger."""
        role = await self.role_of(user_id)
        if role is None:
            return None
        return Access(role, (await self.settings()).viewers_export)

    async def settings(self) -> TeamSettings:
        return (await self._read()).settings

    async def needs_approval(self, author: Role, to_everyone: bool, size: int) -> bool:
        """Whether a broadcast of `size` recipients (`to_everyone`: to all users) waits for a
        second editor or owner."""
        found = await self.settings()
        if found.approval_min_audience is None or (author is Role.OWNER and found.owner_alone):
            return False
        return to_everyone or size >= found.approval_min_audience

    async def everyone(self) -> dict[int, Role]:
        """Every member with their role, ADMIN_IDS included."""
        roles = dict((await self._read()).roles)
        roles.update({owner: Role.OWNER for owner in self.owners})
        return roles

    async def members(self) -> list[Member]:
        assert self.pool is not None
        return await db.members(self.pool)

    async def add(self, user_id: int, role: Role, by: int, name: str | None) -> bool:
        assert self.pool is not None
        try:
            return await db.add(self.pool, user_id, role, by, name)
        finally:
            self.forget()

    async def set_role(self, user_id: int, role: Role, by: int) -> Role | None:
        assert self.pool is not None
        try:
            return await db.set_role(self.pool, user_id, role, by)
        finally:
            self.forget()

    async def remove(self, user_id: int, by: int) -> Role | None:
        assert self.pool is not None
        try:
            return await db.remove(self.pool, user_id, by)
        finally:
            self.forget()

    async def put_setting(self, key: str, value: object, by: int) -> None:
        assert self.pool is not None
        try:
            await db.put_setting(self.pool, key, value, by)
        finally:
            self.forget()
