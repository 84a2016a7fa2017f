"""The outcome block of a broadcast's card: clicks by button, and what recipients did compared
with the holdout, with the lift's 95 % interval and a plain verdict."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from bot.db.broadcasts import Broadcast
from bot.db.outcomes import Group, Outcomes
from bot.i18n import _, __, ngettext
from bot.text.lift import lift
from bot.text.format import decimal, number

METRICS = (("booked", __("Забронировали")), ("paid", __("Оплатили")),
           ("registered", __("Записались на бесплатный урок")),
           ("lesson", __("Перешли к уроку")))


def tracked_labels(broadcast: Broadcast) -> list[str]:
    """The link buttons' labels, in order, when their clicks were counted."""
    if not broadcast.links_base:
        return []
    return [label for row in broadcast.content.buttons for label, _url in row]


def percent(share: float) -> str:
    return decimal(100 * share) + "\u00a0%"


def points(value: float) -> str:
    return decimal(100 * value, sign=True)


def outcome_block(o: Outcomes, labels: list[str], days: int, event_type: str | None) -> str:
    """`labels`: the link buttons' texts in their order."""
    lines = [ngettext("<b>📈 Что дала рассылка</b> (за {days} день после доставки)",
                      "<b>📈 Что дала рассылка</b> (за {days} дней после доставки)", days).format(
        days=days)]
    if labels:
        reached = o.recipients.people
        parts = [ngettext("«{label}» {clicks} ({people} человек)",
                          "«{label}» {clicks} ({people} человек)", people).format(
                     label=escape(label), clicks=number(clicks), people=number(people))
                 for i, label in enumerate(labels) for clicks, people in [o.clicks.get(i, (0, 0))]]
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


def outcome_screen(broadcast_id: int, audience: str, block: str, event_type: str | None,
                   events: list[str]) -> str:
    """A broadcast's outcomes with the window and event pickers under it."""
    lines = [_("<b>📈 Итоги рассылки #{id}</b> · {audience}").format(
        id=broadcast_id, audience=escape(audience)), "", block, ""]
    if events:
        lines.append(_("<i>Окно — сколько дней после доставки считать. Событие — что ещё "
                       "посчитать из событий платформы{picked}.</i>").format(
            picked=_(" (сейчас: {event})").format(event=escape(event_type)) if event_type else ""))
    return "\n".join(lines)


@dataclass(frozen=True)
class Compared:
    """One broadcast of the comparison."""

    broadcast_id: int
    audience: str
    sent: int
    outcomes: Outcomes
    tracked: bool  # its link buttons were tracked (else its CTR is unknown, not 0)


def _ctr(c: Compared) -> str:
    if not c.tracked:
        return "—"
    return percent(c.outcomes.clickers / c.outcomes.recipients.people) \
        if c.outcomes.recipients.people else "—"


def _booked(c: Compared) -> str:
    people = c.outcomes.recipients.people
    return percent(c.outcomes.recipients.booked / people) if people else "—"


def _effect(c: Compared) -> str:
    o = c.outcomes
    result = lift(o.recipients.booked, o.recipients.people, o.holdout.booked, o.holdout.people)
    if result is None:
        return _("нет контрольной группы")
    return _("{low}…{high} п.п.").format(low=points(result.low), high=points(result.high)) + \
        ("" if result.measurable else _(" (не измерим)"))


def comparison(rows: list[Compared], days: int) -> str:
    head = ngettext("<b>📊 Последние рассылки рядом</b> (за {days} день после доставки)",
                    "<b>📊 Последние рассылки рядом</b> (за {days} дней после доставки)",
                    days).format(days=days)
    if not rows:
        return head + "\n\n" + _("Разосланных рассылок пока нет.")
    lines = [head, _("<i>CTR — доля получивших, кто нажал кнопку; брони — доля получивших, "
                     "кто забронировал; эффект — разница с контрольной группой, 95 %.</i>"), ""]
    for c in rows:
        lines.append(_("<b>#{id}</b> {audience} · отправлено {sent}").format(
            id=c.broadcast_id, audience=escape(c.audience), sent=number(c.sent)))
        lines.append("   " + _("CTR {ctr} · брони {booked} · эффект {effect}").format(
            ctr=_ctr(c), booked=_booked(c), effect=_effect(c)))
    return "\n".join(lines)


CSV_HEADER = ["broadcast_id", "audience", "sent", "recipients_counted", "holdout", "clickers",
              "ctr", "booked", "paid", "registered", "lesson", "holdout_booked", "lift_low",
              "lift_high"]


def comparison_rows(rows: list[Compared]) -> list[list[object]]:
    """The comparison as CSV rows (shares as fractions, the lift's interval in points)."""
    out: list[list[object]] = []
    for c in rows:
        o, people = c.outcomes, c.outcomes.recipients.people
        result = lift(o.recipients.booked, people, o.holdout.booked, o.holdout.people)
        out.append([c.broadcast_id, c.audience, c.sent, people, o.holdout.people,
                    o.clickers if c.tracked else "",
                    round(o.clickers / people, 4) if c.tracked and people else "",
                    o.recipients.booked, o.recipients.paid, o.recipients.registered,
                    o.recipients.lesson, o.holdout.booked,
                    round(100 * result.low, 2) if result else "",
                    round(100 * result.high, 2) if result else ""])
    return out


def chart_series(rows: list[Compared]) -> tuple[list[str], list[float], list[float | None]]:
    """The comparison's chart, oldest on the left: labels, bookings among recipients and in
    the holdout (in %; None where there was no holdout)."""
    rows = list(reversed(rows))
    treated = [100 * c.outcomes.recipients.booked / c.outcomes.recipients.people
               if c.outcomes.recipients.people else 0.0 for c in rows]
    control = [100 * c.outcomes.holdout.booked / c.outcomes.holdout.people
               if c.outcomes.holdout.people else None for c in rows]
    return [f"#{c.broadcast_id}" for c in rows], treated, control


def comparison_caption(days: int) -> str:
    return ngettext("Последние рассылки рядом, окно {days} день",
                    "Последние рассылки рядом, окно {days} дней", days).format(days=days)
