"""Texts in the admin's language: Russian by default (the source texts are Russian), English
for admins whose Telegram language is English.

aiogram's gettext I18n, with catalogs compiled from their .po files when the bot starts (no
binary .mo files to keep in step). `_` translates now, in the current update's language;
`__` later, where it is read (texts defined at import time, such as button labels). Outside an update
(the digest, a broadcast's progress) `use_locale(admin_locale)` picks the admin's language.
"""

from __future__ import annotations

import gettext
import io
import time
from pathlib import Path
from typing import Any

from aiogram.types import TelegramObject
from aiogram.utils.i18n import I18n, I18nMiddleware
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.db import preferences

LOCALES = Path(__file__).parent / "locales"
DOMAIN = "messages"
DEFAULT_LOCALE = "ru"
STORE_EVERY = 60.0  # seconds: how long an instance trusts that the stored language is current


class Catalogs(I18n):
    """aiogram's I18n reading `<locale>/LC_MESSAGES/messages.po` directly."""

    def find_locales(self) -> dict[str, gettext.GNUTranslations]:
        found: dict[str, gettext.GNUTranslations] = {}
        for po in sorted(self.path.glob(f"*/LC_MESSAGES/{self.domain}.po")):
            with po.open("rb") as source:
                catalog = read_po(source)
            compiled = io.BytesIO()
            write_mo(compiled, catalog)
            compiled.seek(0)
            found[po.parent.parent.name] = gettext.GNUTranslations(compiled)
        return found


i18n = Catalogs(path=LOCALES, default_locale=DEFAULT_LOCALE, domain=DOMAIN)
_ = i18n.gettext
__ = i18n.lazy_gettext
use_locale = i18n.use_locale


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form for `n` in the current language. The Russian texts are written so as to need
    none («{count} чел.»: both the same), English has "person" and "people"."""
    return i18n.gettext(singular, plural, n)


def locale_for(language_code: str | None) -> str:
    """The catalog for a Telegram language code ("en", "en-GB" → en); Russian otherwise."""
    language = (language_code or "").replace("_", "-").split("-")[0].lower()
    return language if language in i18n.available_locales else DEFAULT_LOCALE


class AdminI18nMiddleware(I18nMiddleware):
    """The update's language from the user's Telegram language; an admin's is also kept in
    the database, for what the bot writes to them outside an update (digest, progress)."""

    def __init__(self) -> None:
        super().__init__(i18n)
        # admin id -> (locale, when) this instance last stored; stored again after a while,
        # since another instance behind the webhook may have stored a newer one meanwhile
        self._stored: dict[int, tuple[str, float]] = {}

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        user = data.get("event_from_user")
        locale = locale_for(user.language_code if user else None)
        if user is not None and user.id in data.get("admin_ids", ()) and "pool" in data:
            now = time.monotonic()
            stored, at = self._stored.get(user.id, ("", 0.0))
            if stored != locale or now - at > STORE_EVERY:
                await preferences.set_locale(data["pool"], user.id, locale)
                self._stored[user.id] = (locale, now)
        return locale
