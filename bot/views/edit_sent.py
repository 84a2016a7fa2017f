"""Texts of fixing a sent broadcast: the steps, the question, the progress and the report."""

from __future__ import annotations

from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from bot.db.broadcasts import Broadcast
from bot.db.edits import Edit
from bot.enums import EditRefusal
from bot.i18n import _, ngettext
from bot.text.format import number, quoted
from bot.views.broadcast import first_line, reason
from bot.views.compose import offer_end


def text_first() -> str:
    return _("Сначала пришлите новый текст: без него исправлять нечего.")


def refusal(why: EditRefusal) -> str:
    words: dict[EditRefusal, str] = {
        EditRefusal.RECALLING: _("Рассылка отзывается — исправлять нечего."),
        EditRefusal.RECALLED: _("Рассылка отозвана — исправлять нечего."),
        EditRefusal.SENDING: _("Рассылка ещё идёт: поставьте её на паузу или дождитесь конца."),
        EditRefusal.NOTHING: _("Исправлять нечего: рассылка никому не доставлена."),
        EditRefusal.EDITING: _("Прошлое исправление ещё идёт: дождитесь его итога."),
    }
    return words[why]


def _head(b: Broadcast) -> str:
    return _("<b>✏️ Исправить рассылку #{id}</b>").format(id=b.id) + "\n" + \
        quoted(escape(first_line(b, 200)))


def ask_text(b: Broadcast) -> str:
    if b.content.kind == "text":
        ask = _("Пришлите исправленный текст целиком, с оформлением: он заменит текст у всех "
                "получателей. Подстановки {first_name} и {username} работают как при отправке.")
    else:
        ask = _("Пришлите новую подпись текстом, с оформлением: она заменит подпись у всех "
                "получателей, сам файл останется прежним. Подстановки {first_name} и "
                "{username} работают как при отправке.")
    return f"{_head(b)}\n\n{escape(ask)}\n" + _("Или поменяйте только кнопки.")


def ask_buttons(b: Broadcast, rows: list[list[dict[str, Any]]], tz: ZoneInfo) -> str:
    lines = [_head(b), "", _("<b>Кнопки сейчас</b>")]
    lines += [f"• {escape(button['text'])} | {escape(button['url'])}" + offer_end(button, tz)
              for row in rows for button in row if not button.get("gone")] or [_("нет")]
    lines += ["", _("Пришлите новые кнопки, по одной в строке:\n"
                    "<code>Записаться | https://example.org/page</code>\n"
                    "Если предложение действует до срока, допишите его третьим: "
                    "<code>Записаться | https://example.org/page | до 23:59 пт</code> — "
                    "в это время кнопка исчезнет у всех.\n"
                    "Новые кнопки заменят все прежние. «-» — убрать кнопки.")]
    if b.content.unsubscribe:
        lines.append(_("Кнопка «Отписаться от рассылок» останется."))
    return "\n".join(lines)


def confirm(b: Broadcast, text: bool, buttons: bool, held: int, too_old: int) -> str:
    """The question under the preview: how many copies, which of them Telegram won't let edit."""
    what = _("текст и кнопки") if text and buttons else _("текст") if text else _("кнопки")
    lines = [ngettext("Исправить {what} рассылки #{id} у {count} получателя?",
                      "Исправить {what} рассылки #{id} у {count} получателей?", held).format(
        what=what, id=b.id, count=number(held)),
        _("Выше — как сообщение будет выглядеть.")]
    if too_old:
        lines.append(ngettext("{count} копию старше 48 часов Telegram исправить не даст: там "
                              "останется прежний вариант.",
                              "{count} копий старше 48 часов Telegram исправить не даст: там "
                              "останется прежний вариант.", too_old).format(count=number(too_old)))
    else:
        lines.append(_("Копии старше 48 часов Telegram исправить не даёт; таких нет."))
    return "\n".join(lines)


def started(b: Broadcast, held: int) -> str:
    return _("✏️ Исправляю рассылку #{id}: 0 из {total}… Когда закончу, пришлю итог.").format(
        id=b.id, total=number(held))


def progress(b: Broadcast, edit: Edit, final: bool) -> str:
    done = edit.edited + edit.too_old + sum(edit.failures.values())
    if final:
        return _("✏️ Рассылка #{id} исправлена: {edited} из {total}. Итог — ниже.").format(
            id=b.id, edited=number(edit.edited), total=number(edit.total))
    return _("✏️ Исправляю рассылку #{id}: {done} из {total}…").format(
        id=b.id, done=number(done), total=number(edit.total))


def report(b: Broadcast, edit: Edit) -> str:
    if edit.reason == "expired" and edit.text_changed:
        head = _("<b>⏳ Рассылка #{id}: у предложения вышел срок, кнопка заменена строкой в "
                 "конце сообщения</b>").format(id=b.id)
    elif edit.reason == "expired":
        head = _("<b>⏳ Рассылка #{id}: у предложения вышел срок, кнопка снята</b>").format(id=b.id)
    else:
        head = _("<b>✏️ Рассылка #{id} исправлена</b>").format(id=b.id)
    lines = [head, quoted(escape(first_line(b, 200))),
             _("Исправлено в чатах: {count}").format(count=number(edit.edited))]
    if edit.too_old:
        lines.append(_("Не исправить, старше 48 часов: {count}").format(
            count=number(edit.too_old)))
    for why, count in sorted(edit.failures.items(), key=lambda item: -item[1]):
        lines.append(_("Не удалось ({reason}): {count}").format(reason=escape(reason(why)),
                                                                count=number(count)))
    return "\n".join(lines)


def edited_times(count: int) -> str:
    """The history card's line: how many times the broadcast was fixed."""
    return ngettext("✏️ Исправлена {count} раз", "✏️ Исправлена {count} раза", count).format(
        count=number(count))


def editing_now() -> str:
    return _("исправление рассылается…")


def use_buttons() -> str:
    return _("Нажмите «✅ Исправить у всех» выше или выберите, что поменять. Отменить: /cancel")
