"""Texts of /streams: the active streams and their members."""

from __future__ import annotations

from html import escape

from bot.db.streams import StreamSummary
from bot.i18n import _
from bot.views.format import number


def streams_text(streams: list[StreamSummary]) -> str:
    if not streams:
        return _("<b>📚 Потоки курса</b>\n\nАктивных потоков нет.")
    lines = [_("<b>📚 Потоки курса</b>"), ""]
    for stream in streams:
        lines.append(
            _("<b>{title}</b> · {count} оплатили").format(title=escape(stream.title),
                                                          count=number(stream.members))
            + (_(", {count} ждут оплаты").format(count=number(stream.pending))
               if stream.pending else "")
        )
    lines += ["", _("<i>Оплатили: пользователи с подтверждённой бронью в потоке.</i>")]
    return "\n".join(lines)
