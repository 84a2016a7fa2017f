"""Texts of recurring broadcasts: the rule in words, the composer's «🔁 Повторять» steps, a
series in the scheduled list and on its card, and the notes to its author."""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from bot.config import QuietHours
from bot.db.series import AWAITING, Rule, Series
from bot.i18n import _, ngettext
from bot.text.format import number, quoted
from bot.text.recurrence import weekday_names
from bot.views.broadcast import first_line
from bot.views.compose import quiet_span


def rule_text(rule: Rule) -> str:
    """«каждый день в 10:00», «по пн, чт в 10:00», «каждый месяц 31-го в 10:00», with its end."""
    at = rule.at.strftime("%H:%M")
    if rule.frequency == "weekly":
        names = weekday_names()
        text = _("по {days} в {time}").format(
            days=", ".join(names[d] for d in sorted(rule.weekdays)), time=at)
    elif rule.frequency == "monthly":
        text = _("каждый месяц {day}-го в {time}").format(day=rule.month_day, time=at)
    else:
        text = _("каждый день в {time}").format(time=at)
    end = _("до {day}").format(day=rule.until.strftime("%d.%m.%Y")) if rule.until \
        else _("бессрочно")
    return f"{text}, {end}"


def shorter_months_note(rule: Rule) -> str | None:
    if not rule.shorter_months:
        return None
    return _("В месяцах, где нет {day}-го числа, рассылка уйдёт в последний день месяца.").format(
        day=rule.month_day)


def occurrence(moment: datetime, tz: ZoneInfo) -> str:
    """«ср 02.12 10:00», in the admins' time zone."""
    local = moment.astimezone(tz)
    return f"{weekday_names()[local.weekday()]} {local.strftime('%d.%m %H:%M')}"


def upcoming(moments: list[datetime], tz: ZoneInfo, skip_next: bool = False) -> str:
    shown = [occurrence(m, tz) for m in moments]
    if shown and skip_next:
        shown[0] = _("<s>{moment}</s> (пропустим)").format(moment=shown[0])
    return ", ".join(shown) if shown else "—"


def _state(series: Series) -> str | None:
    if series.status == AWAITING:
        return _("⏳ ждёт одобрения")
    if series.paused:
        return _("⏸ на паузе")
    if series.skip_next:
        return _("⏭ следующую пропустим")
    return None


def list_block(items: list[tuple[Series, str, list[datetime]]], tz: ZoneInfo) -> list[str]:
    """The series in the scheduled list: each with its next occurrences."""
    if not items:
        return []
    lines = [_("<b>🔁 Повторяющиеся</b>")]
    for series, audience, moments in items:
        lines.append(f"<b>#{series.id}</b> · {escape(rule_text(series.rule))} · "
                     f"{escape(audience)} · " + quoted(escape(first_line(series, 40))))
        state = _state(series)
        held = series.paused or series.status == AWAITING  # no occurrences meanwhile
        lines.append("   " + (state if held and state else _("Ближайшие: {moments}")
                                .format(moments=upcoming(moments, tz, series.skip_next))))
    return [*lines, ""]


def list_label(series: Series, audience: str) -> str:
    """The series' button in the scheduled list."""
    pause = " ⏸" if series.paused else ""
    return f"🔁 #{series.id} · {rule_text(series.rule)} · {audience}{pause}"


def series_card(series: Series, audience: str, size: int, moments: list[datetime], made: int,
                tz: ZoneInfo) -> str:
    lines = [_("<b>🔁 Повторяющаяся рассылка #{id}</b>").format(id=series.id),
             _("Как часто: <b>{rule}</b> ({tz})").format(rule=escape(rule_text(series.rule)),
                                                         tz=escape(str(tz)))]
    if note := shorter_months_note(series.rule):
        lines.append(note)
    lines += [ngettext("Аудитория: {audience} · сейчас {count} человек (берётся заново перед "
                       "каждой отправкой)",
                       "Аудитория: {audience} · сейчас {count} человек (берётся заново перед "
                       "каждой отправкой)", size).format(audience=escape(audience),
                                                         count=number(size)),
              _("Ближайшие: {moments}").format(moments=upcoming(moments, tz, series.skip_next)),
              _("Уже отправлено: {count}").format(count=number(made))]
    if state := _state(series):
        lines.append(state)
    return "\n".join([*lines, "", quoted(escape(first_line(series, 300)))])


def not_active() -> str:
    return _("Эта повторяющаяся рассылка уже остановлена или завершилась.")


def no_time_left(rule: Rule) -> str:
    return _("В это время больше ни одной рассылки не выйдет: последний день — {day}. "
             "Выберите время позже или остановите рассылку.").format(day=rule.until.strftime("%d.%m.%Y")
                                                if rule.until else "—")


def ask_stop() -> str:
    return _("<b>Остановить эту повторяющуюся рассылку?</b> Новых отправок по ней не будет; "
             "уже отправленные останутся в истории.")


def stopped() -> str:
    return _("Повторяющаяся рассылка остановлена.")


def paused() -> str:
    return _("Поставлена на паузу.")


def resumed() -> str:
    return _("Продолжается.")


def skipping(skip: bool) -> str:
    return _("Следующую пропустим.") if skip else _("Следующую отправим, как обычно.")


def time_changed() -> str:
    return _("Время изменено.")


def content_replaced() -> str:
    return _("Текст обновлён: так уйдут следующие рассылки серии.")


def ask_content() -> str:
    return _("Пришлите новый вариант сообщения для этой повторяющейся рассылки.")


def in_series(series: Series) -> str:
    """On the history card of a broadcast that is one occurrence of a series."""
    return _("🔁 Повторяющаяся #{id}: {rule}").format(id=series.id,
                                                     rule=escape(rule_text(series.rule)))


# ---- the composer's «🔁 Повторять» --------------------------------------------------------

def ask_frequency(tz: ZoneInfo) -> str:
    return _("<b>🔁 Повторять рассылку</b>\nКак часто? Время — {tz}; аудитория берётся заново "
             "перед каждой отправкой.").format(tz=escape(str(tz)))


def no_offer_end() -> str:
    return _("У кнопки указан срок предложения, а повторяющаяся рассылка его не держит. "
             "Уберите срок (🔗 Кнопки) или запланируйте рассылку один раз.")


def ask_weekdays() -> str:
    return _("<b>🗓 По каким дням?</b> Нажмите на дни недели (ещё раз — убрать), затем "
             "«Дальше».")


def pick_a_day() -> str:
    return _("Выберите хотя бы один день.")


def ask_month_day() -> str:
    return _("<b>📆 Какого числа?</b> Напишите число от 1 до 31. Если в месяце нет такого дня "
             "(например, 31-го), рассылка уйдёт в последний день месяца.")


def ask_time(tz: ZoneInfo) -> str:
    return _("<b>Во сколько?</b> Напишите время, например «10:00». Время — {tz}.").format(
        tz=escape(str(tz)))


def ask_until() -> str:
    return _("<b>До какого дня повторять?</b> Напишите дату, например «31.12» (этот день "
             "включается), или нажмите «Бессрочно».")


def no_occurrence() -> str:
    return _("До этой даты по такому правилу не выйдет ни одной рассылки. Укажите дату позже.")


def _quiet_note(quiet: QuietHours, tz: ZoneInfo) -> str:
    return _("🌙 Это время попадает в тихие часы ({hours}): каждая рассылка будет ждать их "
             "конца.").format(hours=quiet_span(quiet, tz))


def repeat_summary(rule: Rule, audience: str, size: int, moments: list[datetime],
                   tz: ZoneInfo, quiet: QuietHours | None) -> str:
    """Before the series starts: the rule, the audience, the first occurrences. `quiet`: the
    quiet hours the time falls in."""
    lines = [_("<b>🔁 Проверьте расписание</b>"),
             _("Как часто: <b>{rule}</b> ({tz})").format(rule=escape(rule_text(rule)),
                                                         tz=escape(str(tz))),
             ngettext("Аудитория: {audience} · сейчас {count} человек",
                      "Аудитория: {audience} · сейчас {count} человек", size).format(
                 audience=escape(audience), count=number(size)),
             _("Ближайшие: {moments}").format(moments=upcoming(moments, tz))]
    if note := shorter_months_note(rule):
        lines.append(note)
    if quiet is not None:
        lines.append(_quiet_note(quiet, tz))
    return "\n".join(lines)


def rule_change(series_id: int, old: Rule, new: Rule, moments: list[datetime], tz: ZoneInfo,
                quiet: QuietHours | None, skip_cleared: bool) -> str:
    """Before a series' new rule is saved: the old and the new one, the next occurrences."""
    lines = [_("<b>🔁 Новое расписание рассылки #{id}</b>").format(id=series_id),
             _("Было: {rule}").format(rule=escape(rule_text(old))),
             _("Станет: <b>{rule}</b> ({tz})").format(rule=escape(rule_text(new)),
                                                     tz=escape(str(tz))),
             _("Ближайшие: {moments}").format(moments=upcoming(moments, tz))]
    if note := shorter_months_note(new):
        lines.append(note)
    if quiet is not None:
        lines.append(_quiet_note(quiet, tz))
    if skip_cleared:
        lines.append(_("⏭ Пропуск следующей рассылки будет снят: по новому расписанию "
                       "ближайшая уйдёт как обычно."))
    return "\n".join(lines)


def rule_changed(skip_cleared: bool) -> str:
    text = _("Расписание изменено.")
    return text + " " + _("Пропуск следующей рассылки снят.") if skip_cleared else text


def rule_lost() -> str:
    return _("Это изменение расписания уже не действует. Откройте рассылку и нажмите "
             "«🔁 Изменить расписание» ещё раз.")


def series_created(series_id: int, rule: Rule, first: datetime, tz: ZoneInfo) -> str:
    return _("🔁 Повторяющаяся рассылка #{id} запущена: {rule}. Первая — <b>{first}</b>.\n"
             "Список запланированных: /scheduled").format(
        id=series_id, rule=escape(rule_text(rule)), first=occurrence(first, tz))


# ---- notes to the author ------------------------------------------------------------------

def missed_note(series_id: int, due: datetime, next_at: datetime | None, tz: ZoneInfo) -> str:
    """An occurrence that fell due while the bot was not running, and was skipped."""
    text = _("⏰ Повторяющаяся рассылка #{id} должна была уйти {due}, но бот в это время не "
             "работал. Эту отправку пропускаю, чтобы не слать с опозданием.").format(
        id=series_id, due=occurrence(due, tz))
    if next_at is not None:
        text += "\n" + _("Следующая — {next}.").format(next=occurrence(next_at, tz))
    return text


def ended_note(series_id: int, rule: Rule) -> str:
    return _("🔁 Повторяющаяся рассылка #{id} завершилась: {rule}.").format(
        id=series_id, rule=escape(rule_text(rule)))
