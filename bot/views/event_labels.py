"""Event types by name: the name every screen shows for a code, and the screen where admins
add and rename the names."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from bot.db.event_labels import EventLabel
from bot.i18n import _, i18n


def event_name(code: str | None, names: Mapping[str, EventLabel]) -> str:
    """The code's name in the admin's language; the code itself when it has none."""
    if not code:
        return "—"
    label = names.get(code)
    if label is None:
        return code
    return (label.en if i18n.ctx_locale.get() == "en" else label.ru) or code


def names_list(names: Mapping[str, EventLabel], unnamed: list[str]) -> str:
    lines = [_("🏷 <b>Названия событий</b>"), ""]
    for code in names:
        shown = event_name(code, names)
        lines.append(f"<code>{escape(code)}</code> — "
                     + (escape(shown) if shown != code else _("<i>нет названия</i>")))
    if not names:
        lines.append(_("Названий пока нет."))
    if unnamed:
        lines += ["", _("Без названия (показываются как есть): {codes}").format(
            codes=", ".join(f"<code>{escape(code)}</code>" for code in unnamed))]
    lines += ["", _("Чтобы добавить или переименовать, нажмите ✏️.")]
    return "\n".join(lines)


def ask_names() -> str:
    return _("✏️ Пришлите код события и название через «=», по строке на событие, например:\n"
             "<code>menu_opened = Открытие меню</code>\n\n"
             "Название до 64 символов. Оно сохранится для русского интерфейса; английское "
             "задаётся так же из Telegram на английском.")


def bad_line(line: str) -> str:
    return _("Не понял строку «{line}». Нужно так: код = Название (код — латиница, цифры, "
             "«_», «.», «-», до 64 символов; название до 64 символов).").format(line=line[:80])


def saved(pairs: list[tuple[str, str]]) -> str:
    return _("✅ Сохранено:") + "\n" + "\n".join(
        f"<code>{escape(code)}</code> — {escape(label)}" for code, label in pairs)


def cancelled() -> str:
    return _("Отменено.")
