"""The admin's words for the values in `bot/enums.py`: one map per enum, read in the admin's
language where they are shown."""

from __future__ import annotations

from typing import NamedTuple

from babel.support import LazyProxy

from bot.enums import BookingStatus, BroadcastStatus, DeliveryStatus
from bot.i18n import __


class BookingLabel(NamedTuple):
    mark: str
    one: LazyProxy   # a booking: «оплачена»
    many: LazyProxy  # bookings counted: «оплачено 12»


BOOKING_STATUS: dict[BookingStatus, BookingLabel] = {
    BookingStatus.CONFIRMED: BookingLabel("✅", __("оплачена"), __("оплачено")),
    BookingStatus.PENDING: BookingLabel("⏳", __("ждёт оплаты"), __("ждут")),
    BookingStatus.CANCELLED: BookingLabel("✖️", __("отменена"), __("отменено")),
}

BROADCAST_STATUS: dict[BroadcastStatus, LazyProxy] = {
    BroadcastStatus.SENDING: __("📣 идёт"), BroadcastStatus.PAUSED: __("⏸ на паузе"),
    BroadcastStatus.CANCELLED: __("✖️ отменена"), BroadcastStatus.DONE: __("✅ завершена"),
    BroadcastStatus.SCHEDULED: __("🕒 запланирована"), BroadcastStatus.DRAFT: __("черновик"),
    BroadcastStatus.AWAITING_APPROVAL: __("⏳ ждёт одобрения"),
}

DELIVERY_STATUS: dict[DeliveryStatus, LazyProxy] = {
    DeliveryStatus.SENT: __("доставлено"), DeliveryStatus.PENDING: __("в очереди"),
    DeliveryStatus.CLAIMED: __("в очереди"), DeliveryStatus.INFLIGHT: __("отправляется"),
    DeliveryStatus.SENDING: __("отправляется"), DeliveryStatus.FAILED: __("не доставлено"),
    DeliveryStatus.BLOCKED: __("заблокировал"), DeliveryStatus.UNKNOWN: __("неизвестно"),
    DeliveryStatus.DELETED: __("отозвано"),
    DeliveryStatus.HOLDOUT: __("контрольная группа"),
    DeliveryStatus.CAPPED: __("пропущено: лимит частоты"),
    DeliveryStatus.UNSUBSCRIBED: __("пропущено: отписан(а)"),
}


def booking_status(value: object) -> BookingLabel | None:
    """The label of a stored bookings.confirmed value, as JSON or a column gives it (None: not
    one the platform writes)."""
    return next((label for status, label in BOOKING_STATUS.items() if value == status), None)


def broadcast_status(value: str, default: str) -> str:
    """A broadcast's status in words; `default` for a value the bot does not write."""
    try:
        return str(BROADCAST_STATUS[BroadcastStatus(value)])
    except ValueError:
        return default


def delivery_status(value: str | None) -> str | None:
    """A recipient's delivery status in words; None for a value the bot does not know."""
    try:
        return str(DELIVERY_STATUS[DeliveryStatus(value)]) if value else None
    except ValueError:
        return None
