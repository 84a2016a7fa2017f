"""Texts of /streams: the active streams and their members."""

from __future__ import annotations

from html import escape

from bot.db.streams import StreamSummary
from bot.i18n import _, ngettext
from bot.text.format import number


def streams_text(streams: list[StreamSummary]) -> str:
    if not streams:
        return _("<b>📚 Потоки курса</b>\n\nАктивных потоков нет.")
    lines = [_("<b>📚 Потоки курса</b>"), ""]
    for stream in streams:
        lines.append(
            ngettext("<b>{title}</b> · {count} человек оплатил",
                     "<b>{title}</b> · {count} человек оплатили", stream.members).format(
                title=escape(stream.title), count=number(stream.members))
            + (ngettext(", {count} ждёт оплаты", ", {count} ждут оплаты", stream.pending).format(
                count=number(stream.pending)) if stream.pending else "")
        )
    lines += ["", _("<i>Оплатили: пользователи с подтверждённой бронью в потоке.</i>")]
    return "\n".join(lines)


def ask_title() -> str:
    return _("Как назвать поток по-русски? Например: <code>6-й поток</code> (до 64 символов).")


def ask_new_title(title: str) -> str:
    return _("✏️ Новое название для «{title}»?").format(title=escape(title)) + "\n" + ask_title()


def bad_code() -> str:
    return _("Код — это латинские строчные буквы, цифры и «_», до 32 символов. "
             "Например: 6th_stream")


def bad_title(length: int) -> str:
    return _("Название должно быть от 1 до 64 символов, а в этом {length}.").format(length=length)


def no_active_stream() -> str:
    return _("Такого действующего потока нет.")


def code_taken(code: str) -> str:
    return _("Код <code>{code}</code> уже занят (возможно, архивным потоком). "
             "Пришлите другой.").format(code=code)


def title_taken(title: str, code: str) -> str:
    return _("Название «{title}» уже у потока <code>{code}</code>. "
             "Пришлите другое.").format(title=escape(title), code=escape(code))


def saved(done: bool) -> str:
    """A stream added or renamed, or why not."""
    return _("✅ Готово.") if done else _("Не вышло: поток изменился. Посмотрите список.")


def ask_code() -> str:
    return _(
        "➕ <b>Новый поток</b>\n\nПришлите код латиницей, цифрами и «_» (до 32 символов), "
        "например <code>6th_stream</code>. Код не меняется; по нему поток хранится в бронях.")


def stream_card(stream: StreamSummary) -> str:
    return f"<b>{escape(stream.title)}</b> · <code>{escape(stream.code)}</code>\n" + _(
        "Оплатили: {members}, ждут оплаты: {pending}").format(members=stream.members,
                                                              pending=stream.pending)


def ask_archive(stream: StreamSummary) -> str:
    return _(
        "🗄 Убрать «{title}» в архив? Он исчезнет из выбора аудитории и смены потока; "
        "оплативших: {members}, они и все брони останутся в базе.").format(
            title=escape(stream.title), members=stream.members)
