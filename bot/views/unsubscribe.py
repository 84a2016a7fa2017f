"""The page a student sees after pressing a broadcast's «Отписаться от рассылок» button (and
after taking it back), in their language; and what the admins see of an unsubscribe."""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from bot.i18n import _
from bot.text.format import when


def page(unsubscribed: bool, other_way: str | None) -> str:
    """A short HTML page: done, with a one-tap link the other way (`other_way`: its URL;
    None on the preview, which changes nothing)."""
    if unsubscribed:
        title = _("Вы отписались от рассылок")
        body = _("Больше не будем присылать вам рассылки курса «Вайб кодинг». Личные ответы "
                 "на ваши вопросы по-прежнему придут.")
        link = _("Передумали? Вернуть рассылки")
    else:
        title = _("Рассылки снова включены")
        body = _("Вы снова будете получать рассылки курса «Вайб кодинг».")
        link = _("Отписаться снова")
    tail = (f'<p><a href="{escape(other_way)}">{link}</a></p>' if other_way
            else "<p><i>" + _("Так получатель увидит эту страницу.") + "</i></p>")
    return ('<!doctype html><html><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title}</title><style>body{{font-family:system-ui,sans-serif;"
            "max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.5}</style></head>"
            f"<body><h1>{title}</h1><p>{body}</p>{tail}</body></html>")


def not_found() -> str:
    text = _("Ссылка не найдена или устарела.")
    return f"<!doctype html><meta charset=utf-8><title>{text}</title><p>{text}</p>"


def card_line(since: datetime, tz: ZoneInfo) -> str:
    """On the user card: this person unsubscribed."""
    return _("🔕 Отписан(а) от рассылок с {moment}: рассылки пропускают, личные сообщения "
             "доходят").format(moment=when(since, tz))


def ask_reason(name: str) -> str:
    return _("🔔 Вернуть рассылки: {person} отписался сам(а). Вернуть можно только с "
             "причиной — она попадёт в журнал. Напишите причину:").format(person=escape(name))


def resubscribed() -> str:
    return _("Рассылки возвращены, причина записана в журнал.")


def not_unsubscribed() -> str:
    return _("Этот человек и так получает рассылки.")


def reason_needed() -> str:
    return _("Нужна причина текстом (до 300 символов). Или отмените: /cancel")
