"""What the admin sees when a handler failed unexpectedly."""

from __future__ import annotations

from bot.i18n import _


def apology() -> str:
    return _("⚠️ Не получилось выполнить действие. Попробуйте ещё раз; ошибка записана в журнал.")
