"""Charts as PNG, drawn with matplotlib's Agg backend in a worker thread (never on the event
loop), sized and lettered to be read on a phone."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import ParamSpec

# matplotlib's object API only: a Figure of its own prints PNG through Agg, without pyplot and
# its choice of a display backend, so nothing needs setting up at import or at start-up
import matplotlib.dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from bot.i18n import _

P = ParamSpec("P")

SIZE = (8, 6)  # inches at 130 dpi: ~1040 x 780 px, readable on a phone
COLORS = {"confirmed": "#2e7d32", "pending": "#f9a825", "cancelled": "#c62828",
          "line": "#1565c0", "bars": "#90caf9"}


DAILY_UP_TO = 120  # days drawn one bar each; longer spans by week, month or year
WEEKLY_UP_TO = 2 * 366
MONTHLY_UP_TO = 10 * 366


def _start(day: date, step: str) -> date:
    if step == "week":
        return day - timedelta(days=day.weekday())
    if step == "month":
        return day.replace(day=1)
    return day.replace(month=1, day=1) if step == "year" else day


def buckets(days: Sequence[date], *series: Sequence[int], last: Sequence[bool] = ()
            ) -> tuple[str, list[date], list[list[int]]]:
    """Days grouped so that a chart of any span has about 120 bars at most: by day up to four
    months, by week up to two years, by month up to ten, by year beyond (a row dated
    1970 makes a long chart, not a slow one). Each series is summed per bucket, or its last value is kept where
    `last` says so (running totals). Returns the step, the buckets' first days and the series."""
    span = (days[-1] - days[0]).days + 1 if days else 0
    step = ("day" if span <= DAILY_UP_TO else "week" if span <= WEEKLY_UP_TO
            else "month" if span <= MONTHLY_UP_TO else "year")
    keep_last = list(last) + [False] * (len(series) - len(last))
    starts: list[date] = []
    out: list[list[int]] = [[] for column in series]
    for i, day in enumerate(days):
        start = _start(day, step)
        if not starts or starts[-1] != start:
            starts.append(start)
            for values in out:
                values.append(0)
        for values, source, keep in zip(out, series, keep_last):
            values[-1] = source[i] if keep else values[-1] + source[i]
    return step, starts, out


_WIDTH = {"day": 0.8, "week": 5.5, "month": 24.0, "year": 290.0}  # bar width in days


def _step_label(axes: Axes, step: str) -> None:
    if step == "day":
        return
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%Y" if step == "year" else "%m.%Y"))
    axes.set_xlabel({"week": _("по неделям"), "month": _("по месяцам"),
                     "year": _("по годам")}[step], fontsize=12)


def _figure() -> tuple[Figure, Axes]:
    figure = Figure(figsize=SIZE, dpi=130)
    axes = figure.add_subplot()
    axes.grid(axis="y", alpha=0.3)
    axes.tick_params(labelsize=12)
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%d.%m"))
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return figure, axes


def _png(figure: Figure) -> bytes:
    figure.autofmt_xdate()
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def growth_png(days: list[date], daily_new: list[int], cumulative: list[int]) -> bytes:
    step, days, (daily_new, cumulative) = buckets(days, daily_new, cumulative,
                                                  last=(False, True))
    figure, axes = _figure()
    _step_label(axes, step)
    new_label = {"day": _("новые за день"), "week": _("новые за неделю"),
                 "month": _("новые за месяц"), "year": _("новые за год")}[step]
    axes.bar(days, daily_new, width=_WIDTH[step], color=COLORS["bars"], label=new_label)
    axes.set_ylabel(new_label, fontsize=12)
    total = axes.twinx()
    total.plot(days, cumulative, color=COLORS["line"], linewidth=2.5, label=_("всего"))
    total.set_ylabel(_("всего"), fontsize=12)
    total.tick_params(labelsize=12)
    axes.set_title(_("Рост аудитории"), fontsize=16)
    figure.legend(loc="upper left", fontsize=12, bbox_to_anchor=(0.08, 0.9))
    return _png(figure)


def bookings_png(days: list[date], by_status: dict[str, list[int]]) -> bytes:
    names = ("confirmed", "pending", "cancelled")
    step, days, grouped = buckets(days, *(by_status.get(n, [0] * len(days)) for n in names))
    by_status = dict(zip(names, grouped))
    figure, axes = _figure()
    _step_label(axes, step)
    bottom = [0] * len(days)
    for status, label in (("confirmed", _("оплачено")), ("pending", _("ждут")),
                          ("cancelled", _("отменено"))):
        values = by_status.get(status, [0] * len(days))
        axes.bar(days, values, bottom=bottom, width=_WIDTH[step], color=COLORS[status],
                 label=label)
        bottom = [b + v for b, v in zip(bottom, values)]
    axes.set_title(_("Брони по дням"), fontsize=16)
    axes.legend(fontsize=12)
    return _png(figure)


def events_png(days: list[date], counts: list[int]) -> bytes:
    step, days, (counts,) = buckets(days, counts)
    figure, axes = _figure()
    _step_label(axes, step)
    axes.plot(days, counts, color=COLORS["line"], linewidth=2.5)
    axes.fill_between(days, counts, alpha=0.15, color=COLORS["line"])
    axes.set_title(_("События по дням"), fontsize=16)
    return _png(figure)


def comparison_png(labels: list[str], treated: list[float], control: list[float | None]
                   ) -> bytes:
    """Bookings among recipients and in the holdout, per broadcast (shares in %)."""
    figure = Figure(figsize=SIZE, dpi=130)
    axes = figure.add_subplot()
    axes.grid(axis="y", alpha=0.3)
    axes.tick_params(labelsize=11)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    places = list(range(len(labels)))
    axes.bar([p - 0.2 for p in places], treated, width=0.4, color=COLORS["line"],
             label=_("получившие"))
    held = [(p + 0.2, v) for p, v in zip(places, control) if v is not None]
    if held:
        axes.bar([p for p, _v in held], [v for _p, v in held], width=0.4,
                 color=COLORS["bars"], label=_("контрольная группа"))
    axes.set_xticks(places, labels, rotation=60, fontsize=10)
    axes.set_ylabel(_("забронировали, %"), fontsize=12)
    axes.set_title(_("Брони после рассылок"), fontsize=16)
    axes.legend(fontsize=12)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


async def render(draw: Callable[P, bytes], *args: P.args, **kwargs: P.kwargs) -> bytes:
    """Draw in a worker thread; the event loop keeps serving updates meanwhile."""
    return await asyncio.to_thread(draw, *args, **kwargs)
