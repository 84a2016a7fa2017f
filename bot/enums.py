"""Values with a meaning the platform or the bot gives them, named once."""

from __future__ import annotations

from enum import IntEnum


class BookingStatus(IntEnum):
    """bookings.confirmed as the platform writes it."""

    CANCELLED = -1
    PENDING = 1
    CONFIRMED = 2
