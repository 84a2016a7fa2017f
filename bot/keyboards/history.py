"""Buttons of the broadcast history."""

from __future__ import annotations

from enum import IntEnum, StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup

from bot import access
from bot.enums import Role
from bot.i18n import _
from bot.keyboards.fields import EventCode, PageNo, RowId, StreamCode
from bot.keyboards.menu import menu_button, button


class Hist(StrEnum):
    LIST = "list"
    FILTER = "filter"
    OPEN = "open"
    WHO = "who"
    CSV = "csv"
    # the card's own controls: the card stays a card after them (the progress message has
    # the same ones as BroadcastCallback)
    RECALL = "recall"          # asks first
    RECALL_OK = "recall_ok"
    RESEND = "resend"          # failed recipients again
    UNKNOWN = "unknown"        # recipients whose delivery is unknown: asks first
    UNKNOWN_OK = "unknown_ok"
    EDIT = "edit"              # fix the text or buttons in every chat (handlers/edit_sent.py)


class HistoryKind(StrEnum):
    """The history's audience filter ("" = every broadcast)."""

    ANY = ""
    STREAM = "stream"
    ALL = "all"
    LEADS = "leads"
    FREE_LESSON = "free_lesson"
    PENDING = "pending"
    USERS = "users"


class HistoryCallback(CallbackData, prefix="h"):
    action: Hist
    id: RowId = 0
    page: PageNo = 0
    kind: HistoryKind = HistoryKind.ANY
    stream: StreamCode = ""


# what a broadcast caused (keyboards/outcomes.py draws its screens)
class Out(StrEnum):
    SHOW = "show"        # one broadcast's outcomes
    COMPARE = "cmp"      # the last broadcasts side by side
    CSV = "csv"          # the comparison as a CSV file
    CHART = "chart"      # the comparison as a chart


class Window(IntEnum):
    """Days after each delivery in which what recipients did is counted."""

    DAY = 1
    THREE = 3
    WEEK = 7
    TWO_WEEKS = 14


class OutcomeCallback(CallbackData, prefix="oc"):
    action: Out
    id: RowId = 0
    days: Window = Window.WEEK
    event: EventCode = ""


def history_list(items: list[tuple[int, str]], page: int, pages: int, kind: HistoryKind,
                 stream: str) -> InlineKeyboardMarkup:
    def at(action: Hist, broadcast_id: int = 0, page: int = 0) -> HistoryCallback:
        return HistoryCallback(action=action, id=broadcast_id, page=page, kind=kind,
                               stream=stream)
    rows = [[button(label, at(Hist.OPEN, i, page))] for i, label in items]
    nav = []
    if page > 0:
        nav.append(button(_("‹ Новее"), at(Hist.LIST, page=page - 1)))
    if page + 1 < pages:
        nav.append(button(_("Старее ›"), at(Hist.LIST, page=page + 1)))
    if nav:
        rows.append(nav)
    rows.append([button(_("🔎 Фильтр"), at(Hist.FILTER)),
                 button(_("📊 Сравнить"), OutcomeCallback(action=Out.COMPARE)), menu_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def history_filters(options: list[tuple[str, HistoryKind, str]]) -> InlineKeyboardMarkup:
    """options: (label, kind, stream)."""
    return InlineKeyboardMarkup(inline_keyboard=[
        [button(label, HistoryCallback(action=Hist.LIST, kind=kind, stream=stream))]
        for label, kind, stream in options])


def history_card(broadcast_id: int, unreached: int, resend: tuple[int, int], can_recall: bool,
                 kind: HistoryKind, stream: str, page: int, *, outcomes: bool = False,
                 can_edit: bool = False) -> InlineKeyboardMarkup:
    """resend: how many failed and how many unknown may be sent again (0, 0: no buttons)."""
    def at(action: Hist, at_page: int = page) -> HistoryCallback:
        """The card's buttons keep the list's filter and page (Back after an action)."""
        return HistoryCallback(action=action, id=broadcast_id, kind=kind, stream=stream,
                               page=at_page)
    rows = []
    first = [button("📄 CSV", at(Hist.CSV))] if access.may_export() else []
    if unreached:
        first.insert(0, button(_("👥 Кто не получил") + f" ({unreached})", at(Hist.WHO, 0)))
    if outcomes:  # sending started: what it caused, in another window or for an event
        first.append(button(_("📈 Итоги"), OutcomeCallback(action=Out.SHOW, id=broadcast_id)))
    if first:
        rows.append(first)
    failed, unknown = resend
    actions = []
    if failed:
        actions.append(button(_("🔁 Повторить неудачные ({count})").format(count=failed),
                              at(Hist.RESEND)))
    if unknown:
        actions.append(button(_("❔ Неизвестные ({count})").format(count=unknown),
                              at(Hist.UNKNOWN)))
    if can_recall:
        actions.append(button(_("🗑 Отозвать у всех"), at(Hist.RECALL)))
    if actions and access.may(Role.EDITOR):
        rows.append(actions)
    if can_edit and access.may(Role.EDITOR):
        rows.append([button(_("✏️ Исправить"), at(Hist.EDIT))])
    rows.append([button(_("⬅️ К истории"), HistoryCallback(action=Hist.LIST, kind=kind,
                                                           stream=stream, page=page))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def card_question(data: HistoryCallback, yes: Hist, yes_text: str) -> InlineKeyboardMarkup:
    """Under a question asked on the card: do it, or back to the card as it was."""
    return InlineKeyboardMarkup(inline_keyboard=[
        [button(yes_text, data.model_copy(update={"action": yes}))],
        [button(_("↩️ Нет, назад"), data.model_copy(update={"action": Hist.OPEN}))]])


def who_pages(broadcast_id: int, page: int, pages: int) -> InlineKeyboardMarkup:
    def at(action: Hist, p: int) -> HistoryCallback:
        return HistoryCallback(action=action, id=broadcast_id, page=p)
    nav = []
    if page > 0:
        nav.append(button("‹", at(Hist.WHO, page - 1)))
    if page + 1 < pages:
        nav.append(button("›", at(Hist.WHO, page + 1)))
    rows = [nav] if nav else []
    rows.append([button(_("⬅️ К рассылке"), at(Hist.OPEN, 0))])
    return InlineKeyboardMarkup(inline_keyboard=rows)
