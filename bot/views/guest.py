"""The one line a stranger (not an admin) gets."""

from __future__ import annotations

from bot.i18n import _


def guest_text() -> str:
    return _("Этот бот служит администраторам курса. Если вы учитесь у нас, напишите в бот курса.")
