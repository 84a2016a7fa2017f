"""Texts of the broadcast composer."""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from bot.services.composer import Estimate
from bot.views.broadcast import duration
from bot.views.format import number, when

PICK_AUDIENCE = "<b>📣 Новая рассылка</b>\nКому отправить?"
PASTE_LIST = ("Пришлите id пользователей и/или @username через пробел, запятую или с новой "
              "строки. Кого не найду, перечислю.")
ASK_LABEL = "Как подписать кнопку? (до 64 символов)"
ASK_URL = "Куда ведёт кнопка? Пришлите ссылку вида https://…"
PICK_WITH_BUTTONS = "Выберите вариант кнопками выше или отмените: /cancel"
UNKNOWN_DRAFT = "Этот черновик уже отправлен или отменён."


def audience_line(title: str, size: int, blocked: int) -> str:
    line = f"Аудитория: <b>{escape(title)}</b> — {number(size)} чел."
    if blocked:
        line += f" Из них {number(blocked)} заблокировали бота — их пропустим."
    return line


def ask_content(title: str, size: int, blocked: int, *, editing: bool = False) -> str:
    head = ("Пришлите новый вариант сообщения (кнопки сохранятся)." if editing else
            "Пришлите сообщение для рассылки: текст с оформлением, или фото, видео, документ "
            "или GIF с подписью.")
    return (f"{audience_line(title, size, blocked)}\n\n{head}\n"
            "Имя получателя подставится вместо <code>{first_name}</code>, "
            "ник — вместо <code>{username}</code>.")


def summary(title: str, size: int, blocked: int, estimate: Estimate, rate: float,
            paid_allowed: bool, buttons: int) -> str:
    lines = ["<b>Проверьте рассылку</b> (сообщение выше — ровно то, что получат люди)",
             audience_line(title, size, blocked),
             f"Получат: <b>{number(size - blocked)}</b>",
             "Когда: сразу после подтверждения",
             f"Займёт примерно {duration(estimate.seconds)} (≈{rate:.0f} сообщ./с)"]
    if buttons:
        lines.append(f"Кнопок под сообщением: {buttons}")
    if paid_allowed and size - blocked > 0:
        lines.append(f"⚡ Платно: ≈{duration(estimate.paid_seconds)}, "
                     f"≈{number(estimate.paid_stars)} ⭐ (0,1 звезды за сообщение сверх "
                     "бесплатного лимита)")
    return "\n".join(lines)


def confirm_send(size: int) -> str:
    return f"<b>Отправить {number(size)} людям?</b>\nОтменить отправку потом можно, вернуть — нет."


def ask_when(tz: ZoneInfo) -> str:
    from bot.services.when import EXAMPLES

    return (f"Когда отправить? Напишите, например: {EXAMPLES}.\n"
            f"Время — {escape(str(tz))}.")


def scheduled_ok(broadcast_id: int, moment: datetime, tz: ZoneInfo, size: int) -> str:
    return (f"🕒 Рассылка #{broadcast_id} запланирована на <b>{when(moment, tz, with_year=True)}</b> "
            f"({escape(str(tz))}), сейчас в аудитории {number(size)} чел.\n"
            "Список запланированных: /scheduled")


def buttons_text(rows: list[list[dict[str, str]]]) -> str:
    if not rows:
        return "<b>Кнопки под сообщением</b>\nПока нет ни одной."
    lines = ["<b>Кнопки под сообщением</b>"]
    for row in rows:
        for button in row:
            lines.append(f"• {escape(button['text'])} → {escape(button['url'])}")
    return "\n".join(lines)
