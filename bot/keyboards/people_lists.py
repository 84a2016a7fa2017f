"""Buttons of the lists of people (everyone, leads, pending bookings, a stream's members;
free-lesson registrants by lesson and dates; bookings by stream and status)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from pydantic import Field

from bot import access
from bot.enums import BookingStatus
from bot.i18n import _
from bot.keyboards.fields import INT32_MAX, PageNo, StreamCode
from bot.keyboards.menu import button, cancel_button, users_button


class ListKind(StrEnum):
    LEADS = "leads"
    PENDING = "pending"
    FREE_LESSON = "free_lesson"
    STREAM = "stream"
    ALL = "all"


class ListCallback(CallbackData, prefix="ul"):
    kind: ListKind
    stream: StreamCode = ""
    page: PageNo = 0
    csv: bool = False


def list_footer(kind: ListKind, stream: str, back: InlineKeyboardButton | None = None
                ) -> list[list[InlineKeyboardButton]]:
    """CSV of the whole list, and back where the list was opened from (`back`; the users
    section if None)."""
    csv = [button("📄 CSV", ListCallback(kind=kind, stream=stream, csv=True))] \
        if access.may_export() else []
    return [csv + [back or users_button()]]


# ---- free-lesson registrants: by lesson type and a range of lesson dates ---------------

DateKey = Annotated[str, Field(pattern=r"^([0-9]{8})?$")]  # YYYYMMDD; "" = open end


class RegistrantsCallback(CallbackData, prefix="ur"):
    lesson: Annotated[str, Field(max_length=64)] = ""  # "" = every lesson type
    since: DateKey = ""
    until: DateKey = ""
    page: PageNo = 0
    csv: bool = False
    ask_dates: bool = False  # wait for a typed range of lesson dates


def _fits(data: CallbackData) -> bool:
    """Whether the data packs into Telegram's 64 bytes (a long or odd lesson type may not)."""
    try:
        return len(data.pack().encode()) <= 64
    except ValueError:  # the separator inside a value
        return False


def _marked(text: str, current: bool) -> str:
    return f"• {text}" if current else text


def registrant_filters(data: RegistrantsCallback, lessons: list[str], dates: str | None
                       ) -> list[list[InlineKeyboardButton]]:
    """Lesson types (the chosen one marked), the range of lesson dates (`dates`: as it reads,
    None: any) to type, or to drop."""
    at = {"since": data.since, "until": data.until}
    builder = InlineKeyboardBuilder()
    builder.add(button(_marked(_("Все уроки"), not data.lesson),
                       RegistrantsCallback(**at)))
    for lesson in lessons:
        choice = RegistrantsCallback(lesson=lesson, **at)
        if _fits(choice.model_copy(update={"page": INT32_MAX})):
            builder.add(button(_marked(lesson, lesson == data.lesson), choice))
    builder.adjust(2)
    rows = builder.export()
    ask = data.model_copy(update={"page": 0, "csv": False, "ask_dates": True})
    if dates is None:
        rows.append([button(_("📅 Даты урока: любые"), ask)])
    else:
        rows.append([button("📅 " + dates, ask), button(_("✖️ Любые даты"), data.model_copy(
            update={"since": "", "until": "", "page": 0, "csv": False}))])
    return rows


def registrants_footer(data: RegistrantsCallback) -> list[list[InlineKeyboardButton]]:
    csv = [button("📄 CSV", data.model_copy(update={"csv": True, "page": 0}))] \
        if access.may_export() else []
    return [csv + [users_button()]]


def dates_prompt(data: RegistrantsCallback) -> InlineKeyboardMarkup:
    """Under the question about lesson dates: back to the list as it was, or leave."""
    return InlineKeyboardMarkup(inline_keyboard=[[
        button(_("↩️ Назад"), data.model_copy(update={"ask_dates": False})), cancel_button()]])


# ---- bookings: by stream and status ----------------------------------------------------

class BookingFilter(StrEnum):
    ANY = "any"
    PENDING = "pending"
    PAID = "paid"
    CANCELLED = "cancelled"


BOOKING_FILTERS = {BookingFilter.ANY: None, BookingFilter.PENDING: BookingStatus.PENDING,
                   BookingFilter.PAID: BookingStatus.CONFIRMED,
                   BookingFilter.CANCELLED: BookingStatus.CANCELLED}


class BookingsCallback(CallbackData, prefix="ubk"):
    stream: StreamCode = ""  # "" = every stream
    status: BookingFilter = BookingFilter.ANY
    page: PageNo = 0


def booking_filters(data: BookingsCallback, streams: list[tuple[str, str]]
                    ) -> list[list[InlineKeyboardButton]]:
    """Streams (code, title) and statuses, the chosen ones marked; the two combine."""
    words = {BookingFilter.ANY: _("Все статусы"), BookingFilter.PENDING: _("⏳ ждут оплаты"),
             BookingFilter.PAID: _("✅ оплачены"), BookingFilter.CANCELLED: _("✖️ отменены")}
    builder = InlineKeyboardBuilder()
    builder.add(button(_marked(_("Все потоки"), not data.stream),
                       BookingsCallback(status=data.status)))
    for code, title in streams:
        builder.add(button(_marked(title, code == data.stream),
                           BookingsCallback(stream=code, status=data.status)))
    builder.adjust(3)
    statuses = InlineKeyboardBuilder()
    for status, word in words.items():
        statuses.add(button(_marked(word, status is data.status),
                            BookingsCallback(stream=data.stream, status=status)))
    statuses.adjust(2)
    return builder.export() + statuses.export()
