"""Charts as PNG, drawn with matplotlib's Agg backend in a worker thread (never on the event
loop), sized and lettered to be read on a phone."""

from __future__ import annotations

import asyncio
import io
from datetime import date

import matplotlib

matplotlib.use("Agg")  # no display; must come before pyplot
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bot.i18n import _

SIZE = (8, 6)  # inches at 130 dpi: ~1040 x 780 px, readable on a phone
COLORS = {"confirmed": "#2e7d32", "pending": "#f9a825", "cancelled": "#c62828",
          "line": "#1565c0", "bars": "#90caf9"}


def _figure() -> tuple[Figure, plt.Axes]:
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
    figure, axes = _figure()
    axes.bar(days, daily_new, color=COLORS["bars"], label=_("новые за день"))
    axes.set_ylabel(_("новые за день"), fontsize=12)
    total = axes.twinx()
    total.plot(days, cumulative, color=COLORS["line"], linewidth=2.5, label=_("всего"))
    total.set_ylabel(_("всего"), fontsize=12)
    total.tick_params(labelsize=12)
    axes.set_title(_("Рост аудитории"), fontsize=16)
    figure.legend(loc="upper left", fontsize=12, bbox_to_anchor=(0.08, 0.9))
    return _png(figure)


def bookings_png(days: list[date], by_status: dict[str, list[int]]) -> bytes:
    figure, axes = _figure()
    bottom = [0] * len(days)
    for status, label in (("confirmed", _("оплачено")), ("pending", _("ждут")),
                          ("cancelled", _("отменено"))):
        values = by_status.get(status, [0] * len(days))
        axes.bar(days, values, bottom=bottom, color=COLORS[status], label=label)
        bottom = [b + v for b, v in zip(bottom, values)]
    axes.set_title(_("Брони по дням"), fontsize=16)
    axes.legend(fontsize=12)
    return _png(figure)


def events_png(days: list[date], counts: list[int]) -> bytes:
    figure, axes = _figure()
    axes.plot(days, counts, color=COLORS["line"], linewidth=2.5)
    axes.fill_between(days, counts, alpha=0.15, color=COLORS["line"])
    axes.set_title(_("События по дням"), fontsize=16)
    return _png(figure)


async def render(draw, *args) -> bytes:  # type: ignore[no-untyped-def]
    """Draw in a worker thread; the event loop keeps serving updates meanwhile."""
    return await asyncio.to_thread(draw, *args)
