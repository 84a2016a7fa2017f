"""Buttons of the broadcast composer: audience picker, preview actions, button editor."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from aiogram.filters.callback_data import CallbackData
from pydantic import Field
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import _, ngettext
from bot.keyboards.menu import button, pager
from bot.keyboards.rule import RuleCallback, RuleExits, RuleStep
from bot.text.composer import unsubscribe_label
from bot.text.format import number


class Step(StrEnum):
    AUDIENCE = "aud"        # kind, arg: pick this audience
    LESSONS = "lessons"     # free-lesson types
    PASTE = "paste"         # a pasted list of ids and @usernames
    LIST_DONE = "list_ok"   # on with the people taken from the list so far
    PICKER = "picker"       # back to the audience picker
    SEND = "send"           # asks once more above the threshold
    SEND_OK = "send_ok"
    PAID = "paid"           # send at the paid pace
    PAID_OK = "paid_ok"
    SCHEDULE = "schedule"
    EDIT = "edit"
    BUTTONS = "buttons"
    BUTTON_ADD = "btn_add"
    BUTTONS_CLEAR = "btn_clear"
    PREVIEW = "preview"     # back to the summary
    TEST = "test"
    CANCEL = "cancel"
    HOLDOUT = "holdout"     # the next share to keep back: off, 5 %, 10 %
    CAP = "cap"             # the frequency cap on or off for this broadcast
    CAPPED = "capped"       # arg: page: who the frequency cap skips
    CAPPED_CSV = "capped_csv"
    UNSUBSCRIBE = "unsub"       # the unsubscribe button on or off
    QUIET_NOW = "quiet_now"     # inside quiet hours all the same (arg "paid": at the paid pace)
    QUIET_LATER = "quiet_end"   # when quiet hours end


AudienceKind = Literal["", "stream", "all", "leads", "free_lesson", "pending"]


class ComposeCallback(CallbackData, prefix="cp"):
    step: Step
    kind: AudienceKind = ""
    arg: Annotated[str, Field(max_length=64)] = ""  # a stream code or a lesson type


def _cb(step: Step, kind: AudienceKind = "", arg: str = "") -> str:
    return ComposeCallback(step=step, kind=kind, arg=arg).pack()


def audience_picker(streams: list[tuple[str, str, int]], everyone: int, leads: int,
                    registrants: int, pending: int) -> InlineKeyboardMarkup:
    """streams: (code, title, members)."""
    builder = InlineKeyboardBuilder()
    for code, title, members in streams:
        builder.button(text=f"{title} · {number(members)}", callback_data=_cb(Step.AUDIENCE, "stream", code))
    builder.adjust(2)
    rows = [
        [InlineKeyboardButton(text=_("Все пользователи") + f" · {number(everyone)}",
                              callback_data=_cb(Step.AUDIENCE, "all"))],
        [InlineKeyboardButton(text=_("Лиды без оплаты") + f" · {number(leads)}",
                              callback_data=_cb(Step.AUDIENCE, "leads"))],
        [InlineKeyboardButton(text=_("Бесплатный урок") + f" · {number(registrants)} ›",
                              callback_data=_cb(Step.LESSONS))],
        [InlineKeyboardButton(text=_("Ждут оплаты") + f" · {number(pending)}",
                              callback_data=_cb(Step.AUDIENCE, "pending"))],
        [InlineKeyboardButton(text=_("📋 Вставить список id / @username"),
                              callback_data=_cb(Step.PASTE))],
        [InlineKeyboardButton(text=_("✖️ Отмена"), callback_data=_cb(Step.CANCEL))],
    ]
    return InlineKeyboardMarkup(inline_keyboard=builder.export() + rows)


def lesson_picker(types: list[tuple[str, int]], total: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Все записавшиеся") + f" · {number(total)}",
                   callback_data=_cb(Step.AUDIENCE, "free_lesson"))
    for lesson, count in types:
        if len(_cb(Step.AUDIENCE, "free_lesson", lesson).encode()) <= 64:
            builder.button(text=f"{lesson} · {number(count)}",
                           callback_data=_cb(Step.AUDIENCE, "free_lesson", lesson))
    builder.button(text=_("⬅️ Назад"), callback_data=_cb(Step.PICKER))
    builder.adjust(1)
    return builder.as_markup()


def back_to_picker() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=_("⬅️ Другая аудитория"), callback_data=_cb(Step.PICKER)),
        InlineKeyboardButton(text=_("✖️ Отмена"), callback_data=_cb(Step.CANCEL))]])


def back_to_preview() -> InlineKeyboardMarkup:
    """For a step that waits for typed input: back to the summary, or drop the draft."""
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=_("↩️ Назад"), callback_data=_cb(Step.PREVIEW)),
        InlineKeyboardButton(text=_("✖️ Отмена"), callback_data=_cb(Step.CANCEL))]])


def cancel_only() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=_("✖️ Отмена"), callback_data=_cb(Step.CANCEL))]])


def list_next(taken: int) -> InlineKeyboardMarkup:
    """Under a pasted list's report: on with those taken so far, another audience, cancel."""
    builder = InlineKeyboardBuilder()
    if taken:
        builder.button(text=ngettext("➡️ Дальше: {count} человек", "➡️ Дальше: {count} человек",
                                     taken).format(count=number(taken)),
                       callback_data=ComposeCallback(step=Step.LIST_DONE))
    builder.button(text=_("⬅️ Другая аудитория"), callback_data=ComposeCallback(step=Step.PICKER))
    builder.button(text=_("✖️ Отмена"), callback_data=ComposeCallback(step=Step.CANCEL))
    builder.adjust(1, 2)
    return builder.as_markup()


HOLDOUTS = (0, 5, 10)  # the shares the switch goes through


def preview_actions(paid_allowed: bool, holdout: int = 0, *, cap: bool = False,
                    cap_off: bool = False, capped: int = 0,
                    unsubscribe: bool | None = None) -> InlineKeyboardMarkup:
    """`cap`: a frequency cap applies to this audience (the switch is offered), `capped`:
    how many it skips (their list is offered); `unsubscribe`: the unsubscribe button's switch
    (None: not offered)."""
    switch = (_("🎯 Контрольная группа: {share} %").format(share=holdout) if holdout
              else _("🎯 Контрольная группа: нет"))
    rows = [
        [InlineKeyboardButton(text=_("🚀 Отправить сейчас"), callback_data=_cb(Step.SEND)),
         InlineKeyboardButton(text=_("🕒 Запланировать"), callback_data=_cb(Step.SCHEDULE))],
        [InlineKeyboardButton(text=_("✏️ Изменить текст"), callback_data=_cb(Step.EDIT)),
         InlineKeyboardButton(text=_("🔗 Кнопки"), callback_data=_cb(Step.BUTTONS))],
        [InlineKeyboardButton(text=switch, callback_data=_cb(Step.HOLDOUT))],
    ]
    if cap:
        row = [InlineKeyboardButton(text=_("⏱ Лимит частоты: снят") if cap_off
                                    else _("⏱ Лимит частоты: соблюдать"),
                                    callback_data=_cb(Step.CAP))]
        if capped:
            row.append(InlineKeyboardButton(text=_("👀 Кого пропустим · {count}").format(
                count=number(capped)), callback_data=_cb(Step.CAPPED, arg="0")))
        rows.append(row)
    if unsubscribe is not None:
        rows.append([InlineKeyboardButton(
            text=_("🔕 Кнопка отписки: есть") if unsubscribe else _("🔕 Кнопка отписки: нет"),
            callback_data=_cb(Step.UNSUBSCRIBE))])
    rows.append([InlineKeyboardButton(text=_("🧪 Тест мне"), callback_data=_cb(Step.TEST)),
                 InlineKeyboardButton(text=_("✖️ Отмена"), callback_data=_cb(Step.CANCEL))])
    if paid_allowed:
        rows.insert(1, [InlineKeyboardButton(text=_("⚡ Быстро, платно"),
                                             callback_data=_cb(Step.PAID))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def capped_list(page: int, pages: int, total: int) -> InlineKeyboardMarkup:
    """Under the list of those the frequency cap skips: pages, the CSV, back to the summary."""
    rows = [pager(page, pages, lambda page: ComposeCallback(step=Step.CAPPED, arg=str(page)))]
    rows.append(([InlineKeyboardButton(text="📄 CSV", callback_data=_cb(Step.CAPPED_CSV))]
                 if total else [])
                + [InlineKeyboardButton(text=_("↩️ Назад"), callback_data=_cb(Step.PREVIEW))])
    return InlineKeyboardMarkup(inline_keyboard=[row for row in rows if row])


def quiet_choice(anyway: str, ends: str, paid: bool = False) -> InlineKeyboardMarkup:
    """Inside quiet hours: `anyway` (now, or at the time asked for), or when they `ends`."""
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=_("🌙 Всё равно {moment}").format(moment=anyway),
                              callback_data=_cb(Step.QUIET_NOW, arg="paid" if paid else ""))],
        [InlineKeyboardButton(text=_("🕘 Когда закончатся · {moment}").format(moment=ends),
                              callback_data=_cb(Step.QUIET_LATER))],
        [InlineKeyboardButton(text=_("↩️ Назад"), callback_data=_cb(Step.PREVIEW))]])


def confirm_send(recipients: int, paid: bool) -> InlineKeyboardMarkup:
    step = Step.PAID_OK if paid else Step.SEND_OK
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=_("Да, отправить {count}").format(count=number(recipients)),
                              callback_data=_cb(step))],
        [InlineKeyboardButton(text=_("↩️ Назад"), callback_data=_cb(Step.PREVIEW))]])


def button_editor(has_buttons: bool) -> InlineKeyboardMarkup:
    rows = [[InlineKeyboardButton(text=_("➕ Добавить кнопку"), callback_data=_cb(Step.BUTTON_ADD))]]
    if has_buttons:
        rows.append([InlineKeyboardButton(text=_("🗑 Убрать все кнопки"),
                                          callback_data=_cb(Step.BUTTONS_CLEAR))])
    rows.append([InlineKeyboardButton(text=_("✅ Готово"), callback_data=_cb(Step.PREVIEW))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def url_buttons(rows: list[list[dict[str, Any]]], unsubscribe_url: str | None = None
                ) -> InlineKeyboardMarkup | None:
    """The URL buttons under the message, and the unsubscribe button (to `unsubscribe_url`)."""
    keyboard = [kept for row in rows if (kept := [  # (a button whose offer ended is gone)
        InlineKeyboardButton(text=b["text"], url=b["url"]) for b in row if not b.get("gone")])]
    if unsubscribe_url:
        keyboard.append([InlineKeyboardButton(text=unsubscribe_label(), url=unsubscribe_url)])
    return InlineKeyboardMarkup(inline_keyboard=keyboard) if keyboard else None


# ---- a recurring broadcast ------------------------------------------------------------------

def _back_and_cancel(back: Step) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(text=_("↩️ Назад"), callback_data=_cb(back)),
            InlineKeyboardButton(text=_("✖️ Отмена"), callback_data=_cb(Step.CANCEL))]


def when_choice() -> InlineKeyboardMarkup:
    """Under the question «when?»: a time is typed; or repeat it on a rule."""
    return InlineKeyboardMarkup(inline_keyboard=[
        [button(_("🔁 Повторять"), RuleCallback(step=RuleStep.ASK))],
        _back_and_cancel(Step.PREVIEW)])


def repeat_exits() -> RuleExits:
    """Where the composer's «🔁 Повторять» steps lead out: back to «when?», or the draft
    cancelled; the rule confirmed starts the series."""
    return RuleExits(0, ComposeCallback(step=Step.SCHEDULE), ComposeCallback(step=Step.CANCEL),
                     _("✅ Запустить"))
