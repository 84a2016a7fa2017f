"""Bounded types for callback data fields.

A callback's data comes from the client and may be forged or stale. Each field is typed with
the range its database column can hold (or as an enum), so a value out of range fails to
unpack: aiogram's CallbackData filter then does not match, and the fallback tells the admin
the button is out of date. No handler ever passes such a value to the database."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

INT32_MAX = 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

# a Telegram user id as the platform stores it (bigint; the platform may write any value)
UserId = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]
# a serial row id (bookings, message_history, …); 0 stands for "none chosen yet"
RowId = Annotated[int, Field(ge=0, le=INT32_MAX)]
# a page number; pages past the last one are clamped where the list is read
PageNo = Annotated[int, Field(ge=0, le=INT32_MAX)]
# a course stream code as stored in bookings.course_stream (short text without control
# characters; "" = none)
StreamCode = Annotated[str, Field(max_length=48, pattern=r"^[^\x00-\x1f\x7f]*$")]

# an event type of the platform's `events` (the ones offered are the most frequent; a longer
# code is not offered as a button)
EventCode = Annotated[str, Field(max_length=40, pattern=r"^[^\x00-\x1f\x7f:]*$")]
