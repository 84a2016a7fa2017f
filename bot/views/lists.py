"""Texts of the scheduled list and the broadcast history."""

from __future__ import annotations

from html import escape
from zoneinfo import ZoneInfo

from bot.db.broadcasts import Broadcast
from bot.services.tg_html import EntityParseError, parse_html
from bot.views.broadcast import duration, reason
from bot.views.format import number, when

STATUS_WORDS = {"sending": "📣 идёт", "paused": "⏸ на паузе", "cancelled": "✖️ отменена",
                "done": "✅ завершена", "scheduled": "🕒 запланирована", "draft": "черновик"}


def first_line(b: Broadcast, limit: int = 60) -> str:
    """The broadcast's text as a recipient sees it, first line, shortened."""
    try:
        text, _ = parse_html(b.content.html)
    except EntityParseError:
        text = b.content.html
    line = (text.strip().splitlines() or [""])[0]
    if not line:
        line = {"photo": "[фото]", "video": "[видео]", "document": "[документ]",
                "animation": "[GIF]"}.get(b.content.kind, "…")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def scheduled_list(items: list[tuple[Broadcast, str]], tz: ZoneInfo) -> str:
    if not items:
        return "<b>🕒 Запланированные рассылки</b>\n\nНичего не запланировано."
    lines = ["<b>🕒 Запланированные рассылки</b>", ""]
    for b, audience in items:
        lines.append(f"<b>{when(b.scheduled_at, tz)}</b> · {escape(audience)} · "
                     f"«{escape(first_line(b, 40))}»")
    return "\n".join(lines)


def scheduled_card(b: Broadcast, audience: str, size: int, tz: ZoneInfo) -> str:
    return "\n".join([
        f"<b>🕒 Рассылка #{b.id}</b>",
        f"Когда: <b>{when(b.scheduled_at, tz, with_year=True)}</b> ({escape(str(tz))})",
        f"Аудитория: {escape(audience)} · сейчас {number(size)} чел.",
        "", f"«{escape(first_line(b, 300))}»"])


def history_list(items: list[tuple[Broadcast, str]], total: int, filter_title: str,
                 page: int, pages: int, tz: ZoneInfo) -> str:
    head = f"<b>🗂 История рассылок</b> · {escape(filter_title)}"
    if not items:
        return f"{head}\n\nРассылок пока не было."
    lines = [head, f"<i>Всего {number(total)}, стр. {page + 1} из {pages}</i>", ""]
    for b, audience in items:
        lines.append(f"<b>#{b.id}</b> {when(b.started_at, tz)} · {escape(audience)} · "
                     f"{number(b.sent)}/{number(b.total)} · {STATUS_WORDS.get(b.status, b.status)}")
        lines.append(f"   «{escape(first_line(b, 50))}»")
    return "\n".join(lines)


def history_card(b: Broadcast, audience: str, counts: dict[str, int],
                 reasons: list[tuple[str, int]], tz: ZoneInfo) -> str:
    rows = [("Доставлено", counts.get("sent", 0)), ("Ошибки", counts.get("failed", 0)),
            ("Заблокировали", counts.get("blocked", 0)), ("Неизвестно", counts.get("unknown", 0)),
            ("Отозвано", counts.get("deleted", 0)),
            ("Ожидают", counts.get("pending", 0) + counts.get("inflight", 0))]
    table = "\n".join(f"{label:<14}{number(value):>9}" for label, value in rows)
    lines = [f"<b>Рассылка #{b.id}</b> · {escape(audience)} · {STATUS_WORDS.get(b.status, b.status)}",
             f"Начата {when(b.started_at, tz)}"
             + (f", заняла {duration((b.finished_at - b.started_at).total_seconds())}"
                if b.finished_at and b.started_at else ""),
             f"«{escape(first_line(b, 200))}»",
             f"<pre>Всего{number(b.total):>18}\n{escape(table)}</pre>"]
    if reasons:
        lines.append("<b>Частые причины</b>")
        lines += [f"• {escape(reason(text)[:120])} — {number(n)}" for text, n in reasons]
    return "\n".join(lines)


def who_list(rows: list, total: int, page: int, pages: int) -> str:  # type: ignore[type-arg]
    lines = [f"<b>Не получили</b> · {number(total)}, стр. {page + 1} из {max(pages, 1)}", ""]
    for r in rows:
        name = escape(r["first_name"] or "без имени")
        handle = f"@{escape(r['username'])}, " if r["username"] else ""
        lines.append(f"• {name} ({handle}{r['user_id']}) — {escape(reason(r['error'])[:80])}")
    return "\n".join(lines)
