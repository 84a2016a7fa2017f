"""Values with a meaning the platform or the bot gives them, named once. The database keeps the
raw values (an IntEnum or StrEnum compares equal to them); their words for the admin are in
`bot/views/labels.py`, one map per enum."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class BookingStatus(IntEnum):
    """bookings.confirmed as the platform writes it."""

    CANCELLED = -1
    PENDING = 1
    CONFIRMED = 2

    @classmethod
    def of(cls, value: int | None) -> BookingStatus | None:
        """The status a stored value stands for; None for one the platform should not write."""
        try:
            return None if value is None else cls(value)
        except ValueError:
            return None

    @property
    def is_open(self) -> bool:
        """Pending or paid: a booking that can still be moved or cancelled."""
        return self is not BookingStatus.CANCELLED


class BroadcastStatus(StrEnum):
    """message_history.status (the bot's own column)."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    DONE = "done"
    AWAITING_APPROVAL = "awaiting_approval"  # a big one, until a second editor or owner decides


class RecallStatus(StrEnum):
    """message_history.recall_status (NULL: never asked for)."""

    REQUESTED = "requested"
    RUNNING = "running"
    DONE = "done"
    AWAITING_APPROVAL = "awaiting_approval"  # a big one, until a second editor or owner decides


class DeliveryStatus(StrEnum):
    """message_recipients.delivery_status."""

    PENDING = "pending"
    CLAIMED = "claimed"    # taken by the delivering instance, no request yet
    INFLIGHT = "inflight"  # a request was handed to the network
    SENDING = "sending"  # in rows the platform's own tools wrote
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    UNKNOWN = "unknown"
    DELETED = "deleted"
    HOLDOUT = "holdout"    # kept back to measure what the broadcast caused
    CAPPED = "capped"      # skipped: got enough broadcasts lately (the frequency cap)
    UNSUBSCRIBED = "unsubscribed"  # skipped: unsubscribed from broadcasts


class EditRefusal(StrEnum):
    """Why a sent broadcast can't be fixed now (bot/services/edits.py decides it)."""

    RECALLING = "recalling"  # a recall is asked for or under way
    RECALLED = "recalled"    # its copies were deleted
    SENDING = "sending"      # still going out
    NOTHING = "nothing"      # nobody got it
    EDITING = "editing"      # the previous fix is still being carried out


class Role(StrEnum):
    """team.role: what a member of the admin team may do (ADMIN_IDS are owners)."""

    OWNER = "owner"      # everything, the team screen included
    EDITOR = "editor"    # everything but the team screen
    VIEWER = "viewer"    # statistics, users and history: looks, changes nothing

    @property
    def rank(self) -> int:
        return {Role.VIEWER: 1, Role.EDITOR: 2, Role.OWNER: 3}[self]

    def reaches(self, needed: Role) -> bool:
        """Whether this role may do what `needed` may."""
        return self.rank >= needed.rank
