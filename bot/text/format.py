"""Numbers and times formatted for reading on a phone."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n import _, i18n

NBSP_THIN = "\u202f"  # narrow no-break space: 2 314, never broken across lines


def number(value: int) -> str:
    return f"{value:,}".replace(",", NBSP_THIN)


def decimal(value: float, digits: int = 1, *, sign: bool = False) -> str:
    """A fraction number as the admin's language writes it (1,5 in Russian, 1.5 in English)."""
    text = f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"
    return text.replace(".", "," if i18n.ctx_locale.get() == "ru" else ".")


def quoted(text: str) -> str:
    """Text in the quotation marks of the admin's language."""
    return _("«{text}»").format(text=text)


def clip(text: str, limit: int = 64) -> str:
    """Text the platform wrote (a name, a type, a code), cut to fit a line: it may be of any
    length, and a Telegram message holds 4,096 characters."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def when(moment: datetime | None, tz: ZoneInfo, *, with_year: bool = False) -> str:
    """"24.11 09:30"; the year is shown when asked for or when it is not this year."""
    if moment is None:
        return "—"
    local = moment.astimezone(tz)
    if not with_year and local.year != datetime.now(tz).year:
        with_year = True
    return local.strftime("%d.%m.%Y %H:%M" if with_year else "%d.%m %H:%M")


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A text cell a spreadsheet would run as a formula (a name like "=HYPERLINK(…)" written
    by a student) gets a leading apostrophe, as OWASP advises; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_document(header: list[str], rows: Iterable[Iterable[object]]) -> bytes:
    """A CSV file, its text cells safe to open in a spreadsheet; the BOM lets Excel read the
    Cyrillic."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([csv_cell(value) for value in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")
