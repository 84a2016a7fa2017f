"""The outcome block of a broadcast's card: clicks by button, and what recipients did compared
with the holdout, with the lift's 95 % interval and a plain verdict."""

from __future__ import annotations

from html import escape

from bot.db.outcomes import Group, Outcomes
from bot.i18n import _, __
from bot.text.lift import lift
from bot.text.format import decimal, number

METRICS = (("booked", __("Забронировали")), ("paid", __("Оплатили")),
           ("registered", __("Записались на бесплатный урок")),
           ("lesson", __("Перешли к уроку")))


def percent(share: float) -> str:
    return decimal(100 * share) + "\u00a0%"


def points(value: float) -> str:
    return decimal(100 * value, sign=True)


def outcome_block(o: Outcomes, labels: list[str], days: int, event_type: str | None) -> str:
    """`labels`: the link buttons' texts in their order."""
    lines = [_("<b>📈 Что дала рассылка</b> (за {days} дн. после доставки)").format(days=days)]
    if labels:
        reached = o.recipients.people
        parts = [_("«{label}» {clicks} ({people} чел.)").format(
                     label=escape(label), clicks=number(o.clicks.get(i, (0, 0))[0]),
                     people=number(o.clicks.get(i, (0, 0))[1]))
                 for i, label in enumerate(labels)]
        lines.append(_("Клики: {buttons}").format(buttons=", ".join(parts)))
        if reached:
            lines.append(_("Нажали хотя бы раз: {people} из {reached} (CTR {ctr})").format(
                people=number(o.clickers), reached=number(reached),
                ctr=percent(o.clickers / reached)))
    metrics = list(METRICS) + ([("event", event_type)] if event_type else [])
    for key, label in metrics:
        lines.append(_metric_line(str(label), key, o.recipients, o.holdout))
    if not o.holdout.people:
        lines.append(_("<i>Контрольной группы нет: сравнить не с чем. Оставьте 5–10 % "
                       "аудитории без рассылки в следующий раз — и здесь будет видно, "
                       "что она изменила.</i>"))
    return "\n".join(lines)


def _metric_line(label: str, key: str, treated: Group, control: Group) -> str:
    did, held = getattr(treated, key), getattr(control, key)
    line = _("{label}: {share} получивших").format(
        label=escape(label), share=percent(did / treated.people) if treated.people else "—")
    result = lift(did, treated.people, held, control.people)
    if result is None:
        return line
    line += _(" · {share} в контрольной группе").format(share=percent(result.control))
    if result.measurable:
        verb = _("подняла") if result.low > 0 else _("снизила")
        return line + "\n   → " + _("{verb} на {low}…{high} п.п.").format(
            verb=verb, low=points(result.low), high=points(result.high))
    return line + "\n   → " + _("измеримого эффекта пока нет ({low}…{high} п.п.)").format(
        low=points(result.low), high=points(result.high))
