"""Offers that expire: at a URL button's end time the scheduler takes it off the broadcast and
the delivery engine's editor removes it from every delivered copy (a fix of the buttons, by
«⏰ по расписанию» in the journal); a line its author set to take its place («Запись
закрыта») is added at the end of the message in the same edit. A button can't stay in its
place as that text: a button needs a link or a callback, and the broadcast bot is the
platform's, whose presses this bot never hears. A broadcast under another fix or still sending is tried
again at the next look; one nobody holds a copy of just loses the button."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from html import escape

import asyncpg

from bot.db import audit
from bot.db import broadcasts as db
from bot.db import offers as offers_db
from bot.db.broadcasts import Content
from bot.enums import EditRefusal
from bot.services.broadcasts import check_content
from bot.services.delivery.render import ContentError
from bot.services.edits import request_edit

log = logging.getLogger(__name__)

CHECK_SECONDS = 5  # how often the scheduler looks for ended offers
_NO_COPIES = (EditRefusal.NOTHING, EditRefusal.RECALLED, EditRefusal.RECALLING)


async def end_offers(pool: asyncpg.Pool, now: datetime) -> int:
    """Take off every button whose offer ended by `now`; how many broadcasts changed."""
    try:
        due = await offers_db.ended(pool, now)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        log.warning("ended offers not checked: %s", exc)  # the next look tries again
        return 0
    changed = 0
    for broadcast_id in due:
        changed += await _end(pool, broadcast_id, now)
    return changed


async def _end(pool: asyncpg.Pool, broadcast_id: int, now: datetime) -> bool:
    broadcast = await db.get(pool, broadcast_id)
    ended = broadcast.content.ended(now) if broadcast else ()
    if broadcast is None or not ended:
        return False
    content = replace(broadcast.content, gone=(*broadcast.content.gone, *ended))
    result = await request_edit(pool, broadcast_id, None, html=closing_html(content, ended),
                                buttons=content.buttons_json(), links_base=None,
                                reason="expired")
    if result in _NO_COPIES:  # no copy to edit: the broadcast just loses the button
        async with pool.acquire() as conn, conn.transaction():
            await offers_db.set_buttons(conn, broadcast_id, content.buttons_json())
            await audit.record_action(conn, 0, "broadcast.offer_ended",
                                      f"broadcast:{broadcast_id}", {"buttons": list(ended)})
    elif isinstance(result, EditRefusal):
        return False  # sending, or another fix under way: the next look
    log.info("offer ended", extra={"broadcast_id": broadcast_id, "buttons": list(ended)})
    return True


def closing_html(content: Content, ended: tuple[int, ...]) -> str | None:
    """The message with the lines its author set for the `ended` offers added at its end, in
    italics; None when none was set (only the buttons change), or when the lines would take it
    past Telegram's limit (then the buttons just go)."""
    lines = [line for place, line in content.instead if place in ended]
    if not lines:
        return None
    added = "\n".join(f"<i>{escape(line)}</i>" for line in lines)
    html = "\n\n".join(part for part in (content.html.rstrip(), added) if part)
    try:
        check_content(replace(content, html=html), None, None)
    except ContentError:
        log.warning("ended offer's line left out: the message would be too long",
                    extra={"lines": len(lines)})
        return None
    return html
