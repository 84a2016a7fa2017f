"""What the sender of the update being handled may do, for the keyboards: a button the role
cannot use is not drawn (the routers' gates refuse it anyway). Set per update by the team
middleware; outside an update (progress, scheduler) nothing is held back."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from bot.enums import Role


@dataclass(frozen=True)
class Access:
    role: Role
    viewers_export: bool = False  # the owners let viewers download personal data (CSV)

    def reaches(self, needed: Role) -> bool:
        return self.role.reaches(needed)

    @property
    def exports(self) -> bool:
        """May download personal data: editors and owners; viewers if the owners allow."""
        return self.role.reaches(Role.EDITOR) or self.viewers_export


FULL = Access(Role.OWNER)
_current: ContextVar[Access] = ContextVar("access", default=FULL)


def current() -> Access:
    return _current.get()


def use(access: Access) -> None:
    """For the rest of this update's handling (a middleware sets it)."""
    _current.set(access)


def may(needed: Role) -> bool:
    """Whether the current sender may use a button meant for `needed`."""
    return current().reaches(needed)


def may_export() -> bool:
    return current().exports
