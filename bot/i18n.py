"""Texts in the admin's language: Russian by default (the source texts are Russian), English
for admins whose Telegram language is English.

aiogram's gettext I18n, with catalogs compiled from their .po files when the bot starts (no
binary .mo files to keep in step): English, and Russian for the forms of counted nouns. `_` translates now, in the current update's language;
`__` later, where it is read (texts defined at import time, such as button labels). Outside an update
(the digest, a broadcast's progress) `use_locale(admin_locale)` picks the admin's language.
"""

from __future__ import annotations

import gettext
import io
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from aiogram import BaseMiddleware, Router
from aiogram.types import TelegramObject
from aiogram.utils.i18n import I18n, I18nMiddleware
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES = Path(__file__).parent / "locales"
DOMAIN = "messages"
DEFAULT_LOCALE = "ru"
STORE_EVERY = 60.0  # seconds: how long an instance trusts that the stored language is current


class Catalogs(I18n):
    """aiogram's I18n reading `<locale>/LC_MESSAGES/messages.po` directly. Nothing is read when
    it is made (at import): the app factory calls `load()`, and whatever translates outside the
    app (a CLI command, a test) has the catalogs compiled on first use."""

    def __init__(self, *, path: Path, default_locale: str, domain: str) -> None:
        # I18n.__init__ would compile the catalogs at once: its fields are set here instead
        self.path = path.resolve()
        self.default_locale = default_locale
        self.domain = domain
        self.ctx_locale = ContextVar("aiogram_ctx_locale", default=default_locale)
        self._compiled: dict[str, gettext.GNUTranslations] | None = None

    @property
    def locales(self) -> dict[str, gettext.GNUTranslations]:
        if self._compiled is None:
            self.load()
        assert self._compiled is not None
        return self._compiled

    @locales.setter
    def locales(self, value: dict[str, gettext.GNUTranslations]) -> None:
        self._compiled = value

    def load(self) -> None:
        """Compile the catalogs from their .po files (again, if they were)."""
        self.locales = self.find_locales()

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
    """The form for `n` in the current language: Russian has three (1 запись, 2 записи,
    5 записей: the Russian catalog holds them), English two. `singular` and `plural` are the
    Russian texts for 1 and for 5."""
    return i18n.gettext(singular, plural, n)


def locale_for(language_code: str | None) -> str:
    """The catalog for a Telegram language code ("en", "en-GB" → en); Russian otherwise."""
    language = (language_code or "").replace("_", "-").split("-")[0].lower()
    return language if language in i18n.available_locales else DEFAULT_LOCALE


class AdminI18nMiddleware(I18nMiddleware):
    """The update's language: the user's Telegram language."""

    def __init__(self) -> None:
        super().__init__(i18n)

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        user = data.get("event_from_user")
        return locale_for(user.language_code if user else None)


# store(pool, admin_id, locale, name, username): writes an admin's language (and their name
# and @username as Telegram gives them) where the bot reads them back
LocaleStore = Callable[[Any, int, str, str, str | None], Awaitable[None]]


class AdminLocaleRecorder(BaseMiddleware):
    """Keeps each admin's language in the database, for what the bot writes to them outside an
    update (digest, progress), and their name, which the audit log shows. Registered after
    AdminI18nMiddleware, on the same events."""

    def __init__(self, store: LocaleStore) -> None:
        self.store = store
        # admin id -> ((locale, name, username), when) this instance last stored; stored again
        # after a while, since another instance may have stored a newer one meanwhile
        self._stored: dict[int, tuple[tuple[str, str, str | None], float]] = {}

    def setup(self, router: Router) -> None:
        for name, observer in router.observers.items():
            if name != "update":  # as I18nMiddleware.setup
                observer.outer_middleware(self)

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        user = data.get("event_from_user")
        if user is not None and data.get("role") is not None and "pool" in data:
            seen = (locale_for(user.language_code), user.full_name, user.username)
            now = time.monotonic()
            stored, at = self._stored.get(user.id, (None, 0.0))
            if stored != seen or now - at > STORE_EVERY:
                await self.store(data["pool"], user.id, *seen)
                self._stored[user.id] = (seen, now)
        return await handler(event, data)
