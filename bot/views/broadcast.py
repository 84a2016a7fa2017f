"""Texts of a broadcast's progress message, its summary and its recall report."""

from __future__ import annotations

from html import escape

from bot.db.audiences import Audience
from bot.db.broadcasts import Broadcast
from bot.views.format import number

BAR_WIDTH = 12
AUDIENCE_TITLES = {"all": "все пользователи", "leads": "лиды (без оплаты)",
                   "free_lesson": "записавшиеся на бесплатный урок",
                   "pending": "ожидают оплаты", "users": "список пользователей"}


# Telegram's and the engine's reasons, as an admin reads them
_REASONS = (
    ("skipped: known to be unreachable", "пропущен: ранее был недоступен"),
    ("Forbidden: bot was blocked by the user", "заблокировал бота"),
    ("blocked the bot", "заблокировал бота"),
    ("Forbidden: user is deactivated", "аккаунт удалён"),
    ("Forbidden: bot can't initiate conversation", "не запускал бот курса"),
    ("Bad Request: chat not found", "чат не найден"),
    ("interrupted: the bot stopped while sending", "бот остановился во время отправки"),
    ("no answer from Telegram", "Telegram не ответил"),
    ("Telegram server error", "ошибка сервера Telegram"),
)


def reason(text: str | None) -> str:
    """A delivery error in Russian where it is a known one, else as Telegram put it."""
    if not text:
        return "—"
    for prefix, words in _REASONS:
        if text.startswith(prefix):
            return words
    return text


def audience_title(audience: Audience | None, stream_titles: dict[str, str]) -> str:
    if audience is None:
        return "—"
    if audience.kind == "stream":
        return stream_titles.get(audience.stream or "", audience.stream or "")
    title = AUDIENCE_TITLES[audience.kind]
    if audience.kind == "free_lesson" and audience.lesson_type:
        title += f" ({audience.lesson_type})"
    return title


def duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _bar(done: int, total: int) -> str:
    filled = round(BAR_WIDTH * done / total) if total else BAR_WIDTH
    return "▓" * filled + "░" * (BAR_WIDTH - filled)


def _counts(b: Broadcast) -> str:
    parts = [f"отправлено {number(b.sent)}"]
    for value, label in ((b.failed, "ошибки"), (b.blocked, "заблокировали"),
                         (b.unknown, "неизвестно"), (b.deleted, "отозвано")):
        if value:
            parts.append(f"{label} {number(value)}")
    return " · ".join(parts)


def progress(b: Broadcast, audience: str, rate: float | None) -> str:
    done = b.total - b.pending
    percent = int(100 * done / b.total) if b.total else 100
    icon, state = {"sending": ("📣", "идёт"), "paused": ("⏸", "на паузе"),
                   "cancelled": ("✖️", "отменена"), "done": ("✅", "завершена")}.get(
        b.status, ("📣", ""))
    lines = [f"<b>{icon} Рассылка #{b.id} {state}</b> · {escape(audience)}",
             f"<code>{_bar(done, b.total)}</code> {percent}%",
             f"{_counts(b).capitalize()} · в очереди {number(b.pending)} из {number(b.total)}"]
    if b.status == "sending" and rate:
        lines.append(f"Скорость {rate:.0f} в секунду · осталось ~{duration(b.pending / rate)}")
    if b.status in ("done", "cancelled") and b.started_at and b.finished_at:
        lines.append(f"Заняло {duration((b.finished_at - b.started_at).total_seconds())}")
    if b.status == "cancelled" and b.pending:
        lines.append(f"Не отправлено: {number(b.pending)}")
    if b.unknown and b.status != "sending":
        lines.append("<i>«Неизвестно»: бот остановился или Telegram не ответил во время "
                     "отправки; такие сообщения могли дойти. Повторить можно вручную.</i>")
    return "\n".join(lines)


def recall_report(b: Broadcast, deleted: int, too_old: int, other: dict[str, int]) -> str:
    lines = [f"<b>🗑 Рассылка #{b.id} отозвана</b>", f"Удалено из чатов: {number(deleted)}"]
    if too_old:
        lines.append(f"Не удалить, старше 48 часов: {number(too_old)}")
    for reason, count in sorted(other.items(), key=lambda item: -item[1]):
        lines.append(f"Не удалось ({escape(reason)}): {number(count)}")
    return "\n".join(lines)
