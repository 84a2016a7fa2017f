"""Texts of the broadcast composer."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import FrequencyCap, QuietHours
from bot.db.audiences import AudienceSize
from bot.i18n import _, ngettext
from bot.text.composer import Estimate, ParsedList
from bot.views.broadcast import duration
from bot.text.format import number, when

def pick_audience() -> str:
    return _("<b>📣 Новая рассылка</b>\nКому отправить?")


def paste_list() -> str:
    return _("Пришлите id пользователей и/или @username через пробел, запятую или с новой "
             "строки. Кого не найду, перечислю.")


def _listed(items: list[str], limit: int = 30) -> str:
    text = ", ".join(items[:limit])
    if len(items) > limit:
        text += _(" и ещё {count}").format(count=len(items) - limit)
    return text


def list_report(parsed: ParsedList, taken: int, owners: dict[int, str]) -> str:
    """What became of a pasted list: how many are taken so far, and each entry that was not,
    with the reason. `owners`: a label for each person an ambiguous @username points to."""
    lines = [_("Нашёл {count}.").format(count=len(parsed.user_ids)) if parsed.user_ids
             else _("Никого не нашёл.")]
    if taken != len(parsed.user_ids):
        lines[0] += " " + _("Всего в списке: {count}.").format(count=taken)
    if parsed.unknown:
        lines.append(_("Не нашёл: {missing}.").format(
            missing=_listed([escape(t) for t in parsed.unknown])))
    if parsed.invalid:
        lines.append(_("Не подошли: {entries}.").format(entries=_listed(
            [f"{escape(token[:40])} ({why})" for token, why in parsed.invalid])))
    for token, ids in parsed.ambiguous:
        lines.append(_("{username} — у нескольких человек: {people}.").format(
            username=escape(token), people="; ".join(
                escape(owners.get(user_id, str(user_id))) for user_id in ids)))
    if parsed.ambiguous:
        lines.append(_("Пришлите id нужного человека — добавлю к списку."))
    return "\n".join(lines)


def content_refused(reason: str) -> str:
    """Why a message can't be a broadcast's content."""
    return _("Не подойдёт: {reason}").format(reason=escape(reason))


def preview_refused(reason: str) -> str:
    return _("Telegram не принял это сообщение: {reason}. Пришлите другой вариант.").format(
        reason=escape(reason))


def ask_label() -> str:
    return _("Как подписать кнопку? (до 64 символов)")


def ask_url() -> str:
    return _("Куда ведёт кнопка? Пришлите ссылку вида https://…\n"
             "Если предложение действует до срока, допишите его через «|»: "
             "<code>https://example.org/page | до 23:59 пт</code> (или «до пятницы 23:59», "
             "«до завтра 18:00»). В это время кнопка исчезнет у всех, кто получил рассылку.\n"
             "Чтобы вместо неё в конце сообщения появилась строка, допишите её ещё через «|»: "
             "<code>https://example.org/page | до 23:59 пт | Запись закрыта</code>.")


def offer_noted(label: str, until: str, tz: ZoneInfo, instead: str | None = None) -> str:
    text = _("⏳ Кнопка «{label}» исчезнет у всех получателей {moment}.").format(
        label=escape(label), moment=when(datetime.fromisoformat(until), tz))
    if instead:
        text += " " + _("Вместо неё в конце сообщения появится строка «{line}».").format(
            line=escape(instead))
    return text


def offer_notes(rows: list[list[dict[str, Any]]], tz: ZoneInfo) -> list[str]:
    """A line per button whose offer is still to end."""
    return [offer_noted(b["text"], b["until"], tz, b.get("ended_text"))
            for row in rows for b in row if b.get("until") and not b.get("gone")]


def offer_end(button: dict[str, Any], tz: ZoneInfo) -> str:
    """« · до 04.12 23:59» after a button whose offer ends (with the line that then takes its
    place: «, затем «Запись закрыта»»), else nothing."""
    until = button.get("until")
    if not until or button.get("gone"):
        return ""
    end = " · " + _("до {moment}").format(moment=when(datetime.fromisoformat(until), tz))
    if button.get("ended_text"):
        end += ", " + _("затем «{line}»").format(line=escape(button["ended_text"]))
    return end


def pick_with_buttons() -> str:
    return _("Выберите вариант кнопками выше или отмените: /cancel")


def unknown_draft() -> str:
    return _("Этот черновик уже отправлен или отменён.")


def audience_line(title: str, size: AudienceSize) -> str:
    line = ngettext("Аудитория: <b>{audience}</b> — {count} человек.",
                    "Аудитория: <b>{audience}</b> — {count} человек.", size.total).format(
        audience=escape(title), count=number(size.total))
    blocked = size.unreachable - size.never_started  # blocked the bot or left Telegram
    if blocked and size.never_started:
        line += _(" Из них {blocked} и {never} — их пропустим.").format(
            blocked=ngettext("{count} заблокировал бота", "{count} заблокировали бота",
                             blocked).format(count=number(blocked)),
            never=ngettext("{count} не запускал бот курса", "{count} не запускали бот курса",
                           size.never_started).format(count=number(size.never_started)))
    elif blocked:
        line += ngettext(" Из них {count} заблокировал бота — пропустим.",
                         " Из них {count} заблокировали бота — их пропустим.", blocked).format(
            count=number(blocked))
    elif size.never_started:
        line += ngettext(" Из них {count} не запускал бот курса — пропустим.",
                         " Из них {count} не запускали бот курса — их пропустим.",
                         size.never_started).format(count=number(size.never_started))
    if size.unsubscribed:
        line += ngettext(" {count} отписался — пропустим.",
                         " {count} отписались — их пропустим.", size.unsubscribed).format(
            count=number(size.unsubscribed))
    return line


def ask_content(title: str, size: AudienceSize, *, editing: bool = False) -> str:
    head = (_("Пришлите новый вариант сообщения (кнопки сохранятся).") if editing else
            _("Пришлите сообщение для рассылки: текст с оформлением, или фото, видео, документ "
              "или GIF с подписью."))
    return (f"{audience_line(title, size)}\n\n{head}\n"
            + _("Имя получателя подставится вместо <code>{first_name}</code>, "
                "ник — вместо <code>{username}</code>."))


def cap_words(cap: FrequencyCap) -> str:
    """The frequency cap in words: «2 за 24 ч»."""
    return _("{count} за {hours} ч").format(count=cap.count, hours=cap.hours)


def cap_line(capped: int, cap: FrequencyCap, cap_off: bool) -> str | None:
    """What the frequency cap does to this broadcast (None: nothing to say)."""
    if cap_off:
        return _("⏱ Лимит частоты снят: получат и те {count}, кому уже пришло {cap}").format(
            count=number(capped), cap=cap_words(cap)) if capped else \
            _("⏱ Лимит частоты снят для этой рассылки")
    if capped:
        return ngettext("⏱ Лимит частоты ({cap}): {count} человек уже получил столько "
                        "рассылок — пропустим",
                        "⏱ Лимит частоты ({cap}): {count} человек уже получили столько "
                        "рассылок — их пропустим", capped).format(cap=cap_words(cap),
                                                                  count=number(capped))
    return None


def summary(title: str, size: AudienceSize, estimate: Estimate, rate: float,
            paid_allowed: bool, buttons: int, holdout: int = 0, tracked: bool = True, *,
            capped: int = 0, cap: FrequencyCap | None = None, cap_off: bool = False,
            unsubscribe: bool | None = False, offers: tuple[str, ...] = ()) -> str:
    """`unsubscribe`: the unsubscribe button goes with it (None: it can't, without a public
    address); `offers`: a line per button whose offer ends (offer_notes)."""
    recipients = size.reachable - (capped if cap is not None and not cap_off else 0)
    lines = [_("<b>Проверьте рассылку</b> (сообщение выше — ровно то, что получат люди)"),
             audience_line(title, size)]
    said = cap_line(capped, cap, cap_off) if cap is not None else None
    if said:
        lines.append(said)
    lines += [_("Получат: <b>{count}</b>").format(count=number(recipients)),
             _("Когда: сразу после подтверждения"),
             _("Займёт примерно {duration} (≈{rate:.0f} сообщ./с)").format(
                 duration=duration(estimate.seconds), rate=rate)]
    if buttons:
        lines.append(_("Кнопок под сообщением: {count}").format(count=buttons))
        lines += offers
        if not tracked:
            lines.append(_("<i>Клики по кнопкам не посчитать: у бота нет публичного адреса "
                           "(PUBLIC_BASE_URL или WEBHOOK_BASE_URL).</i>"))
    if unsubscribe:
        lines.append(_("🔕 Под сообщением кнопка «Отписаться от рассылок»: кто нажмёт, больше "
                       "рассылок не получит"))
    elif unsubscribe is None:
        lines.append(_("<i>Кнопку «Отписаться от рассылок» не добавить: у бота нет публичного "
                       "адреса (PUBLIC_BASE_URL или WEBHOOK_BASE_URL).</i>"))
    if holdout:
        held = int(recipients * holdout / 100 + 0.5)
        lines.append(ngettext("🎯 Контрольная группа: {share} % (≈{count} человек) не получит "
                              "рассылку — по ней будет видно, что она изменила",
                              "🎯 Контрольная группа: {share} % (≈{count} человек) не получат "
                              "рассылку — по ним будет видно, что она изменила", held).format(
            share=holdout, count=number(held)))
    elif recipients > 1000:
        lines.append(_("<i>Совет: оставьте 5–10 % без рассылки (🎯 ниже) — карточка покажет, "
                       "что она изменила.</i>"))
    if paid_allowed and recipients > 0:
        lines.append(_("⚡ Платно: ≈{duration}, ≈{stars} ⭐ (0,1 звезды за сообщение сверх "
                       "бесплатного лимита)").format(duration=duration(estimate.paid_seconds),
                                                     stars=number(estimate.paid_stars)))
    return "\n".join(lines)


def capped_list(rows: list[tuple[str, int]], total: int, cap: FrequencyCap | None, page: int,
                pages: int) -> str:
    """Those the frequency cap skips: (label, broadcasts got within its hours) each."""
    head = ngettext("<b>⏱ Пропустим по лимиту частоты</b>: {count} человек",
                    "<b>⏱ Пропустим по лимиту частоты</b>: {count} человек", total).format(
        count=number(total))
    if cap is not None:
        head += " " + _("(уже получили {cap})").format(cap=cap_words(cap))
    if pages > 1:
        head += _(" Страница {page} из {pages}.").format(page=page + 1, pages=pages)
    if not rows:
        return head + "\n\n" + _("Никого.")
    lines = ["• " + _("{name} — рассылок: {count}").format(name=escape(name), count=got)
             for name, got in rows]
    return head + "\n\n" + "\n".join(lines)


def capped_csv_caption(count: int) -> str:
    return ngettext("Пропустим по лимиту частоты: {count} человек",
                    "Пропустим по лимиту частоты: {count} человек", count).format(
        count=number(count))


def quiet_span(quiet: QuietHours, tz: ZoneInfo) -> str:
    return f"{quiet.start:%H:%M}–{quiet.end:%H:%M}, {escape(str(tz))}"


def ask_quiet_now(quiet: QuietHours, ends: datetime, tz: ZoneInfo) -> str:
    """«Send now» inside quiet hours: now all the same, or when they end?"""
    return _("🌙 <b>Сейчас тихие часы</b> ({span}): рассылки в это время не уходят.\n"
             "Отправить всё равно сейчас или когда они закончатся, {moment}?").format(
        span=quiet_span(quiet, tz), moment=when(ends, tz))


def ask_quiet_at(moment: datetime, quiet: QuietHours, ends: datetime, tz: ZoneInfo) -> str:
    """A time picked inside quiet hours: then all the same, or when they end?"""
    return _("🌙 <b>{moment} — тихие часы</b> ({span}): рассылки в это время не уходят.\n"
             "Отправить в это время всё равно или когда они закончатся, {end}?").format(
        moment=when(moment, tz), span=quiet_span(quiet, tz), end=when(ends, tz))


def quiet_anyway(moment: datetime | None, tz: ZoneInfo) -> str:
    """The «all the same» choice: now, or at the time asked for."""
    return _("сейчас") if moment is None else _("в {moment}").format(moment=when(moment, tz))


def quiet_end_short(ends: datetime, tz: ZoneInfo) -> str:
    return when(ends, tz)


def confirm_send(size: int, notes: list[str] | None = None) -> str:
    """`notes`: what the send runs into (its canary, quiet hours), a line each."""
    question = ngettext("<b>Отправить {count} человеку?</b>\nПока рассылка идёт, её можно "
                        "остановить; дошедшие сообщения можно удалить у всех (🗑 Отозвать) в "
                        "течение 48 часов.",
                        "<b>Отправить {count} людям?</b>\nПока рассылка идёт, её можно "
                        "остановить; дошедшие сообщения можно удалить у всех (🗑 Отозвать) в "
                        "течение 48 часов.", size).format(count=number(size))
    return "\n".join([question, *(notes or [])])


def scheduled_ok(broadcast_id: int, moment: datetime, tz: ZoneInfo, size: int) -> str:
    return ngettext("🕒 Рассылка #{id} запланирована на <b>{moment}</b> ({tz}), сейчас в "
                    "аудитории {count} человек.\nСписок запланированных: /scheduled",
                    "🕒 Рассылка #{id} запланирована на <b>{moment}</b> ({tz}), сейчас в "
                    "аудитории {count} человек.\nСписок запланированных: /scheduled", size).format(
        id=broadcast_id, moment=when(moment, tz, with_year=True), tz=escape(str(tz)),
        count=number(size))


def buttons_text(rows: list[list[dict[str, Any]]], tz: ZoneInfo) -> str:
    if not rows:
        return _("<b>Кнопки под сообщением</b>\nПока нет ни одной.")
    lines = [_("<b>Кнопки под сообщением</b>")]
    for row in rows:
        for button in row:
            lines.append(f"• {escape(button['text'])} → {escape(button['url'])}"
                         + offer_end(button, tz))
    return "\n".join(lines)


def pick_lesson() -> str:
    return _("<b>Записавшиеся на бесплатный урок</b>\nКакой урок?")


def audience_empty() -> str:
    return _("В этой аудитории пока никого нет.")


def list_again(report: str, taken: int) -> str:
    """The pasted list's report; when nobody was taken, ask for the list again."""
    return report + ("" if taken else " " + _("Пришлите id или @username ещё раз."))


def list_empty() -> str:
    return _("Список пока пуст: пришлите id или @username.")


def list_title() -> str:
    """A pasted list, as the audience is called in the content prompt."""
    return _("список")


def default_label() -> str:
    """A URL button's text when the admin gave none."""
    return _("Открыть")


def buttons_cleared() -> str:
    return _("Кнопки убраны.")


def text_needed() -> str:
    return _("Нужен текст. Пришлите его сообщением или отмените: /cancel")


def sending() -> str:
    return _("Отправляю.")


def test_sent() -> str:
    return _("Тест отправлен вам от имени бота рассылок.")


def test_blocked() -> str:
    return _("Бот рассылок не может вам написать: откройте его и нажмите «Start».")


def test_failed(reason: str) -> str:
    """Why the test copy did not go (a callback answer: at most 200 characters)."""
    return _("Тест не ушёл: {reason}").format(reason=reason)[:200]


def draft_dropped() -> str:
    return _("Черновик удалён.")


def nothing_sent() -> str:
    return _("Рассылка отменена, ничего не отправлено.")


def already_going(broadcast_id: int) -> str:
    return _("Рассылка #{id} уже запущена.").format(id=broadcast_id)
