"""Routers, grouped by who may use them: the admin filter sits on the admin router."""

from __future__ import annotations

from aiogram import Router

from bot.filters import AdminFilter
from bot.handlers import errors, fallback, guest, start


def create_routers() -> list[Router]:
    """Fresh routers for one dispatcher (a router can belong to one parent only)."""
    admin = Router(name="admin")
    admin.message.filter(AdminFilter())
    admin.callback_query.filter(AdminFilter())
    admin.include_routers(start.create_router(), fallback.create_router())  # fallback last
    # strangers last: anything the admin routers did not take
    return [errors.create_router(), admin, guest.create_router()]
