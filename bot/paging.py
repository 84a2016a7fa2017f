"""One pager for every paged screen: a requested page is clamped to the pages there are."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page:
    number: int  # 0-based, within 0 .. count - 1
    count: int   # at least 1, even for an empty list
    size: int

    @property
    def offset(self) -> int:
        return self.number * self.size


def clamp(requested: int, total: int, size: int) -> Page:
    """The page to show for a requested number: past the last page shows the last one."""
    count = max(1, -(-total // size))
    return Page(min(max(requested, 0), count - 1), count, size)


async def read_page(fetch: Callable[[int, int], Awaitable[tuple[Sequence[T], int]]],
                    requested: int, size: int) -> tuple[Sequence[T], int, Page]:
    """Items of the requested page from `fetch(offset, limit) -> (items, total)`, read again
    from the last page when the requested one lies past the end (a stale or forged button)."""
    items, total = await fetch(max(requested, 0) * size, size)
    page = clamp(requested, total, size)
    if page.number != requested:
        items, total = await fetch(page.offset, size)
        page = clamp(page.number, total, size)
    return items, total, page
