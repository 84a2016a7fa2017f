"""FSM state in PostgreSQL: a flow half done (a broadcast being composed, say) survives a
restart and is seen by every instance. Used unless REDIS_URL names a Redis."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey


class PostgresStorage(BaseStorage):
    def __init__(self) -> None:
        self.pool: asyncpg.Pool | None = None  # given once the database is open
        self._keys = DefaultKeyBuilder(with_destiny=True)

    def _pool(self) -> asyncpg.Pool:
        if self.pool is None:
            raise RuntimeError("the FSM storage has no database yet")
        return self.pool

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._pool().execute(
            """INSERT INTO fsm_states (key, state) VALUES ($1, $2)
               ON CONFLICT (key) DO UPDATE SET state = excluded.state, updated_at = now()""",
            self._keys.build(key), value)

    async def get_state(self, key: StorageKey) -> str | None:
        return await self._pool().fetchval("SELECT state FROM fsm_states WHERE key = $1",
                                           self._keys.build(key))

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._pool().execute(
            """INSERT INTO fsm_states (key, data) VALUES ($1, $2)
               ON CONFLICT (key) DO UPDATE SET data = excluded.data, updated_at = now()""",
            self._keys.build(key), dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        data = await self._pool().fetchval("SELECT data FROM fsm_states WHERE key = $1",
                                           self._keys.build(key))
        return dict(data) if data else {}

    async def close(self) -> None:
        pass  # the pool belongs to the app
