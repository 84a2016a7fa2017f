"""Texts of a broadcast's progress message, its summary and its recall report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from html import escape
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.config import QuietHours
from bot.db.audiences import Audience
from bot.db.broadcasts import Broadcast, Content
from bot.db.safeguards import CanaryFigures
from bot.enums import BroadcastStatus, RecallStatus
from bot.i18n import _, __, ngettext
from bot.keyboards.broadcast import controls
from bot.text.tg_html import EntityParseError, parse_html
from bot.text.format import number, when
from bot.views import safeguards
from bot.views.screen import Screen

BAR_WIDTH = 12
AUDIENCE_TITLES = {"all": __("все пользователи"), "leads": __("лиды (без оплаты)"),
                   "free_lesson": __("записавшиеся на бесплатный урок"),
                   "pending": __("ожидают оплаты"), "users": __("список пользователей")}


# Telegram's and the engine's reasons, as an admin reads them
_REASONS = (
    ("skipped: known to be unreachable", __("пропущен: ранее был недоступен")),
    ("Forbidden: bot was blocked by the user", __("заблокировал бота")),
    ("blocked the bot", __("заблокировал бота")),
    ("Forbidden: user is deactivated", __("аккаунт удалён")),
    ("Forbidden: bot can't initiate conversation", __("не запускал бот курса")),
    ("Bad Request: chat not found", __("чат не найден")),
    ("interrupted: the bot stopped while sending", __("бот остановился во время отправки")),
    ("no answer from Telegram", __("Telegram не ответил")),
    ("Telegram server error", __("ошибка сервера Telegram")),
    ("Too Many Requests", __("Telegram просит подождать: слишком много сообщений")),
)


def reason(text: str | None) -> str:
    """A delivery error in the admin's words where it is a known one, else as Telegram put it."""
    if not text:
        return "—"
    for prefix, words in _REASONS:
        if text.startswith(prefix):
            return str(words)
    return text


def audience_title(audience: Audience | None, stream_titles: dict[str, str]) -> str:
    if audience is None:
        return "—"
    if audience.kind == "stream":
        return stream_titles.get(audience.stream or "", audience.stream or "")
    title = str(AUDIENCE_TITLES[audience.kind])
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


def _counts(b: Broadcast, never_started: int = 0) -> str:
    parts = [_("отправлено {count}").format(count=number(b.sent))]
    for value, label in ((b.failed, _("ошибки {count}")),
                         (b.blocked - never_started, _("заблокировали {count}")),
                         (never_started, _("не запускали бот курса {count}")),
                         (b.unknown, _("неизвестно {count}")), (b.deleted, _("отозвано {count}"))):
        if value:
            parts.append(label.format(count=number(value)))
    return " · ".join(parts)


def quiet_wait(until: datetime, tz: ZoneInfo | None) -> str:
    """A broadcast waits for quiet hours to end (`tz` unknown: without the time)."""
    if tz is None:
        return _("🌙 Тихие часы: рассылка ждёт их конца")
    return _("🌙 Тихие часы: рассылка ждёт и продолжится {moment}").format(
        moment=when(until, tz))


def progress(b: Broadcast, audience: str, rate: float | None, never_started: int = 0,
             tz: ZoneInfo | None = None, watched: list[str] | None = None,
             ahead: Callable[[float], str | None] | None = None) -> str:
    """never_started: how many of the unreachable never started the course bot (the rest
    blocked it or deleted their account); `watched`: the canary's and the breaker's lines;
    `ahead`: what a send of so many seconds from now runs into (quiet hours)."""
    done = b.total - b.pending
    percent = int(100 * done / b.total) if b.total else 100
    heads: dict[str, str] = {
        BroadcastStatus.SENDING: _("<b>📣 Рассылка #{id} идёт</b>"),
        BroadcastStatus.PAUSED: _("<b>⏸ Рассылка #{id} на паузе</b>"),
        BroadcastStatus.CANCELLED: _("<b>✖️ Рассылка #{id} отменена</b>"),
        BroadcastStatus.DONE: _("<b>✅ Рассылка #{id} завершена</b>")}
    head = heads.get(b.status) or _("<b>📣 Рассылка #{id}</b>")
    series = f" · 🔁 #{b.series_id}" if b.series_id else ""  # an occurrence of a series
    lines = [head.format(id=b.id) + series + f" · {escape(audience)}",
             f"<code>{_bar(done, b.total)}</code> {percent}%",
             _counts(b, never_started).capitalize() + " · " + _("в очереди {pending} из {total}").format(
                 pending=number(b.pending), total=number(b.total))]
    if b.status == BroadcastStatus.SENDING and b.quiet_until is not None:
        lines.append(quiet_wait(b.quiet_until, tz))
    elif b.status == BroadcastStatus.SENDING and rate and b.canary_phase != "waiting":
        lines.append(_("Скорость {rate:.0f} в секунду · осталось ~{left}").format(
            rate=rate, left=duration(b.pending / rate)))
        reached = ahead(b.pending / rate) if ahead else None
        lines[-1] += f" · {reached}" if reached else ""
    lines += watched or []
    if b.status in (BroadcastStatus.DONE, BroadcastStatus.CANCELLED) and b.started_at \
            and b.finished_at:
        lines.append(_("Заняло {duration}").format(
            duration=duration((b.finished_at - b.started_at).total_seconds())))
    if b.status == BroadcastStatus.CANCELLED and b.pending:
        lines.append(_("Не отправлено: {count}").format(count=number(b.pending)))
    if b.restarts:
        lines.append(_("⚠️ Бот перезапускался во время рассылки ({times}): отправка продолжилась "
                       "с того же места; «неизвестно» из-за этого: {count}.").format(
            times=b.restarts, count=number(b.restart_unknown)))
    if b.unknown and b.status != BroadcastStatus.SENDING:
        lines.append(_("<i>«Неизвестно»: бот остановился или Telegram не ответил во время "
                       "отправки; такие сообщения могли дойти. Повторить можно вручную.</i>"))
    return "\n".join(lines)


def recall_report(b: Broadcast, deleted: int, too_old: int, other: dict[str, int],
                  unknown: int = 0) -> str:
    lines = [_("<b>🗑 Рассылка #{id} отозвана</b>").format(id=b.id),
             _("Удалено из чатов: {count}").format(count=number(deleted))]
    if too_old:
        lines.append(_("Не удалить, старше 48 часов: {count}").format(count=number(too_old)))
    if unknown:
        lines.append(_("Не удалить, могли получить, но номер сообщения неизвестен: {count}")
                     .format(count=number(unknown)))
    for why, count in sorted(other.items(), key=lambda item: -item[1]):
        lines.append(_("Не удалось ({reason}): {count}").format(reason=escape(reason(why)),
                                                                 count=number(count)))
    return "\n".join(lines)


def plain(html: str) -> str:
    """A broadcast's text as a recipient reads it, without its markup (the platform's own rows
    may hold plain text that is not valid HTML: shown as it is)."""
    try:
        return parse_html(html)[0]
    except EntityParseError:
        return html


class HasContent(Protocol):
    """A broadcast, or a recurring series of them."""

    @property
    def content(self) -> Content: ...


def first_line(b: HasContent, limit: int = 60) -> str:
    """The broadcast's text as a recipient sees it, first line, shortened."""
    line = (plain(b.content.html).strip().splitlines() or [""])[0]
    if not line:
        line = {"photo": _("[фото]"), "video": _("[видео]"), "document": _("[документ]"),
                "animation": "[GIF]"}.get(b.content.kind, "…")
    return line if len(line) <= limit else line[: limit - 1] + "…"


class ProgressFacts(Protocol):
    """What a progress message shows (the delivery engine's Progress gives it)."""

    @property
    def broadcast(self) -> Broadcast: ...
    @property
    def stream_titles(self) -> dict[str, str]: ...
    @property
    def rate(self) -> float | None: ...
    @property
    def never_started(self) -> int: ...
    @property
    def tz(self) -> ZoneInfo | None: ...
    @property
    def canary(self) -> CanaryFigures | None: ...
    @property
    def quiet(self) -> QuietHours | None: ...
    @property
    def now(self) -> datetime | None: ...


def progress_view(facts: ProgressFacts) -> Screen:
    """A broadcast's progress (or summary) message with the buttons that fit its status; the
    delivery engine draws its progress messages with this too (given to it in app.py)."""
    b = facts.broadcast
    watched = safeguards.canary_lines(b, facts.canary, facts.tz) if facts.canary else []
    stopped = safeguards.stop_reason(b)
    text = progress(b, audience_title(b.audience, facts.stream_titles), facts.rate,
                    facts.never_started, facts.tz, [*watched, *([stopped] if stopped else [])],
                    lambda seconds: safeguards.quiet_reached(facts.quiet, facts.now, seconds,
                                                             facts.tz))
    return Screen(text, controls(b.id, b.status, can_recall=b.sent > 0 and b.recall_status is None,
                                 failed=b.failed, unknown=b.unknown,
                                 canary_wait=b.canary_phase == "waiting"))


# ---- the answers and questions of the progress message's buttons ---------------------

def broadcast_gone() -> str:
    return _("Этой рассылки больше нет.")


def done() -> str:
    return _("Готово.")


def ask_cancel() -> str:
    return _("Отменить рассылку? Уже отправленные сообщения останутся.")


def yes_cancel() -> str:
    return _("Да, отменить")


def ask_recall(sent: int) -> str:
    return _("Удалить рассылку у всех получателей ({count})? Отменить удаление "
             "будет нельзя. Сообщения старше 48 часов Telegram удалить не даст."
             ).format(count=sent)


def yes_recall() -> str:
    return _("🗑 Удалить у всех — отменить нельзя")


def ask_resend_unknown(unknown: int) -> str:
    return ngettext("У {count} получателя неизвестно, дошло ли сообщение: запрос ушёл, а ответа "
                    "Telegram не было (например, бот перезапустился). Кому оно уже дошло, "
                    "получит его второй раз. Отправить ещё раз?",
                    "У {count} получателей неизвестно, дошло ли сообщение: запрос ушёл, а ответа "
                    "Telegram не было (например, бот перезапустился). Часть из них сообщение уже "
                    "получила и получит его второй раз. Отправить им ещё раз?", unknown).format(
        count=number(unknown))


def yes_resend() -> str:
    return _("Да, отправить ещё раз")


def recalling() -> str:
    return _("Удаляю сообщения; когда закончу, пришлю итог.")


def recall_not_started() -> str:
    return _("Отзыв уже идёт или нечего отзывать.")


def resend_note(count: int) -> str:
    """How many recipients get the message again (0: nobody to repeat it to)."""
    return _("Отправлю ещё раз: {count}.").format(count=count) if count else _("Повторять некому.")


def recall_refusal(broadcast: Broadcast) -> str | None:
    """Why this broadcast can't be recalled now (None: it can)."""
    if broadcast.recall_status == RecallStatus.DONE:
        return _("Рассылка уже отозвана.")
    if broadcast.recall_status in (RecallStatus.REQUESTED, RecallStatus.RUNNING):
        return _("Отзыв уже идёт.")
    if broadcast.status == BroadcastStatus.SENDING:
        return _("Рассылка ещё идёт: поставьте её на паузу или дождитесь конца.")
    if broadcast.sent == 0:
        return _("Отзывать нечего: рассылка никому не доставлена.")
    return None


def canary_over() -> str:
    """«Продолжить» on a canary that no longer waits."""
    return _("Проверка уже закончилась.")


def status_changed(status: str) -> str:
    """A pause, resume or cancel that found the broadcast in another status already."""
    words: dict[str, str] = {BroadcastStatus.DONE: _("Рассылка уже завершена."),
                             BroadcastStatus.CANCELLED: _("Рассылка уже отменена."),
                             BroadcastStatus.PAUSED: _("Рассылка уже на паузе."),
                             BroadcastStatus.SENDING: _("Рассылка уже идёт.")}
    return words.get(status) or _("Рассылка в другом состоянии.")
