"""Buttons of the users section: search results, the user card and its actions."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot import access
from bot.enums import BookingStatus, Role
from bot.i18n import _
from bot.keyboards.fields import PageNo, RowId, StreamCode, UserId
from bot.keyboards.menu import (
    menu_button, MenuCallback, Section, button, cancel_button, users_button,
)
from bot.keyboards.people_lists import (
    BookingsCallback, ListCallback, ListKind, RegistrantsCallback,
)


class SearchCallback(CallbackData, prefix="us"):
    page: PageNo = 0


class CardView(StrEnum):
    MAIN = "main"
    EVENTS = "events"
    BOOKINGS = "bookings"


class CardCallback(CallbackData, prefix="uc"):
    user_id: UserId
    view: CardView = CardView.MAIN
    page: PageNo = 0


class MoveCallback(CallbackData, prefix="um"):
    user_id: UserId
    booking_id: RowId
    to: StreamCode = ""  # empty = pick one
    sure: bool = False


class StatusCallback(CallbackData, prefix="ub"):
    user_id: UserId
    booking_id: RowId
    was: BookingStatus  # the status the admin saw (the change applies only if it still is)
    to: BookingStatus
    sure: bool = False


class ResubscribeCallback(CallbackData, prefix="ur"):
    """Subscribe again someone who unsubscribed (asks for a reason first)."""

    user_id: UserId


class WriteCallback(CallbackData, prefix="uw"):
    user_id: UserId
    anyway: bool = False  # the bot's mark says it can't reach them: try once more all the same


def section() -> InlineKeyboardMarkup:
    lists = [button(_("🧲 Лиды"), ListCallback(kind=ListKind.LEADS)),
             button(_("⏳ Ждут оплаты"), ListCallback(kind=ListKind.PENDING)),
             button(_("🎓 Бесплатный урок"), RegistrantsCallback())]
    if access.may(Role.EDITOR):  # the streams section is the editors'
        lists.append(button(_("📚 Потоки"), MenuCallback(section=Section.STREAMS)))
    lists += [button(_("👥 Все пользователи"), ListCallback(kind=ListKind.ALL)),
              button(_("🎫 Брони"), BookingsCallback())]
    rows = [lists[i:i + 2] for i in range(0, len(lists), 2)]
    return InlineKeyboardMarkup(inline_keyboard=rows + [[cancel_button(), menu_button()]])


def people(found: list[tuple[int, str]], page_row: list[InlineKeyboardButton],
           extra: list[list[InlineKeyboardButton]] | None = None) -> InlineKeyboardMarkup:
    """One button per person (opens the card), the pager, then `extra` rows."""
    rows = [[button(label, CardCallback(user_id=user_id))] for user_id, label in found]
    if page_row:
        rows.append(page_row)
    return InlineKeyboardMarkup(inline_keyboard=rows + (extra or [[users_button()]]))


def card(user_id: int, can_move: bool, bookings: bool, events: bool, *,
         unsubscribed: bool = False) -> InlineKeyboardMarkup:
    """The actions only for those who may change things (a viewer's card just shows)."""
    editor = access.may(Role.EDITOR)
    rows = []
    first = []
    if can_move and editor:
        first.append(button(_("🔀 Сменить поток"), MoveCallback(user_id=user_id, booking_id=0)))
    if bookings:
        first.append(button(_("🎫 Брони"), CardCallback(user_id=user_id, view=CardView.BOOKINGS)))
    if first:
        rows.append(first)
    second = [button(_("✉️ Написать"), WriteCallback(user_id=user_id))] if editor else []
    if events:
        second.append(button(_("🖱 События"), CardCallback(user_id=user_id, view=CardView.EVENTS)))
    if second:
        rows.append(second)
    if unsubscribed and editor:
        rows.append([button(_("🔔 Вернуть рассылки"), ResubscribeCallback(user_id=user_id))])
    rows.append([button(_("🔄 Обновить"), CardCallback(user_id=user_id)), users_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def write_anyway(user_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [button(_("✉️ Всё равно написать"), WriteCallback(user_id=user_id, anyway=True))],
        [button(_("⬅️ К карточке"), CardCallback(user_id=user_id))]])


def back_to_card(user_id: int, page_row: list[InlineKeyboardButton] | None = None
                 ) -> InlineKeyboardMarkup:
    rows = [page_row] if page_row else []
    return InlineKeyboardMarkup(inline_keyboard=rows + [[button(_("⬅️ К карточке"),
                                                          CardCallback(user_id=user_id))]])


def reason_step(user_id: int) -> InlineKeyboardMarkup:
    """Under the step that waits for a typed reason: back to the card, or leave the step."""
    return InlineKeyboardMarkup(inline_keyboard=[[button(_("⬅️ К карточке"),
                                                         CardCallback(user_id=user_id)),
                                                  cancel_button()]])


def streams_to_move(user_id: int, booking_id: int, streams: list[tuple[str, str]]
                    ) -> InlineKeyboardMarkup:
    rows = [[button(title, MoveCallback(user_id=user_id, booking_id=booking_id, to=code))]
            for code, title in streams]
    return InlineKeyboardMarkup(inline_keyboard=rows + [[button(_("⬅️ Отмена"),
                                                          CardCallback(user_id=user_id))]])


def confirm(yes: str, sure: CallbackData, user_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        button(yes, sure), button(_("Отмена"), CardCallback(user_id=user_id))]])


def booking_actions(user_id: int, bookings: list[tuple[int, BookingStatus | None, str]]
                    ) -> InlineKeyboardMarkup:
    """For each booking: confirm payment (if pending), back to pending (if paid or
    cancelled), cancel (if open); none for those who may not change them."""
    rows = []
    for booking_id, status, label in bookings if access.may(Role.EDITOR) else []:
        row = []
        if status is BookingStatus.PENDING:
            row.append(button(_("✅ Оплачено") + f" · {label}", StatusCallback(
                user_id=user_id, booking_id=booking_id, was=status, to=BookingStatus.CONFIRMED)))
        elif status is not None:
            row.append(button(_("⏳ Ждёт оплаты") + f" · {label}", StatusCallback(
                user_id=user_id, booking_id=booking_id, was=status, to=BookingStatus.PENDING)))
        if status is not None and status.is_open:
            row.append(button(_("✖️ Отменить") + f" · {label}", StatusCallback(
                user_id=user_id, booking_id=booking_id, was=status, to=BookingStatus.CANCELLED)))
        if row:
            rows.append(row)
    return InlineKeyboardMarkup(inline_keyboard=rows + [[button(_("⬅️ К карточке"),
                                                          CardCallback(user_id=user_id))]])
