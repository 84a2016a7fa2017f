"""The sandbox's chat page: a small JSON API over the emulator's chats (the admin's chat with
the bot, any student's chat), its figures and fault switches, and the static page itself."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.db import users
from bot.sandbox.emulator import Emulator
from bot.sandbox.state import EmuBot, StoredMessage
from bot.text.tg_html import to_html, utf16_len

STATIC = Path(__file__).parent / "static"
UPLOAD_KINDS = {"photo", "video", "animation", "document"}
LANGUAGES = ("ru", "en")
# what the page's composer can send: the formatting a Telegram client puts in `entities`
ENTITY_TYPES = {"bold", "italic", "underline", "strikethrough", "spoiler", "code", "pre",
                "text_link", "blockquote"}
MAX_ENTITIES = 100
_LINK_RE = re.compile(r"^(https?|tg)://\S+$", re.IGNORECASE)


class SandboxPage:
    def __init__(self, emulator: Emulator, token: str, admin_id: int) -> None:
        self.emulator = emulator
        self.token = token
        self.admin_id = admin_id
        self.harness: Any = None  # the running bot, set once it is up

    @property
    def bot(self) -> EmuBot:
        return self.emulator.bot(self.token)

    def message(self, m: StoredMessage) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": m.message_id, "from_bot": m.from_bot, "kind": m.kind, "date": m.date,
            "html": to_html(m.text, _shown_entities(m.entities)),
            "edited": m.edit_date is not None, "deleted": m.deleted,
            "buttons": [[{"text": b["text"], "data": b.get("callback_data"), "url": b.get("url")}
                         for b in row] for row in (m.reply_markup or {}).get("inline_keyboard", [])],
        }
        if m.file is not None:
            data["file"] = {"id": m.file.file_id, "name": m.file.file_name,
                            "mime": m.file.mime_type,
                            "url": f"/sandbox/api/file/{m.file.file_id}"}
        return data

    def chat(self, user_id: int) -> dict[str, Any]:
        chat = self.bot.chats.get(user_id)
        user = self.emulator.user(user_id)
        return {"user": {"id": user_id, "name": user.first_name, "username": user.username},
                "status": chat.status if chat else "active",
                "messages": [self.message(m) for m in (chat.messages.values() if chat else [])]}

    async def settle(self) -> None:
        if self.harness is not None:
            await self.harness.settle()


def _shown_entities(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A mention of a user (text_mention) is drawn as a tg://user link: the page opens that
    person's chat when it is clicked, as Telegram opens their profile."""
    return [{"type": "text_link", "offset": e["offset"], "length": e["length"],
             "url": f"tg://user?id={e['user']['id']}"} if e.get("type") == "text_mention" else e
            for e in entities]


PAGE_KEY = web.AppKey("sandbox_page", SandboxPage)


def _page(request: web.Request) -> SandboxPage:
    return request.app[PAGE_KEY]


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html")


async def state(request: web.Request) -> web.Response:
    page = _page(request)
    user_id = int(request.query.get("chat") or page.admin_id)
    return web.json_response({"admin_id": page.admin_id, "bot_username": page.bot.username,
                              "chat": page.chat(user_id),
                              "language": page.emulator.user(page.admin_id).language_code,
                              "stats": page.emulator.stats(page.token)})


def entities_from(raw: Any, text: str) -> list[dict[str, Any]]:
    """The composer's entities, checked as Telegram would: known types, UTF-16 offsets inside
    the text, a URL for every link."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else []
        except ValueError:
            raise web.HTTPBadRequest(text="entities are not JSON") from None
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_ENTITIES:
        raise web.HTTPBadRequest(text=f"entities: a list of at most {MAX_ENTITIES}")
    size = utf16_len(text)
    checked: list[dict[str, Any]] = []
    for item in raw:
        if not isinstance(item, dict):
            raise web.HTTPBadRequest(text="an entity is an object")
        kind, offset, length = item.get("type"), item.get("offset"), item.get("length")
        if kind not in ENTITY_TYPES or type(offset) is not int or type(length) is not int \
                or offset < 0 or length <= 0 or offset + length > size:
            raise web.HTTPBadRequest(text=f"bad entity {item!r} for a text of {size} UTF-16 units")
        entity: dict[str, Any] = {"type": kind, "offset": offset, "length": length}
        if kind == "text_link":
            url = str(item.get("url", ""))
            if not _LINK_RE.match(url):
                raise web.HTTPBadRequest(text=f"bad link {url!r}")
            entity["url"] = url
        if kind == "pre" and item.get("language"):
            entity["language"] = str(item["language"])[:32]
        checked.append(entity)
    return checked


async def send(request: web.Request) -> web.Response:
    page = _page(request)
    body = await request.json()
    text = str(body.get("text", ""))
    entities = entities_from(body.get("entities"), text)
    if not entities:  # with entities the page has trimmed the text itself (offsets count on it)
        text = text.strip()
    if not text.strip():
        raise web.HTTPBadRequest(text="empty message")
    if entities and text.startswith("/"):  # a command keeps its entity, as Telegram gives it
        command = text.split()[0]
        entities.insert(0, {"type": "bot_command", "offset": 0, "length": utf16_len(command)})
    await page.emulator.send_text(page.token, page.admin_id, text, entities or None)
    await page.settle()
    return web.json_response({"ok": True})


async def press(request: web.Request) -> web.Response:
    page = _page(request)
    body = await request.json()
    try:
        delivery = await page.emulator.press(page.token, page.admin_id, data=str(body["data"]),
                                             message_id=int(body["message_id"]))
    except (KeyError, ValueError, LookupError) as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    await page.settle()
    answer = page.emulator.callback_answer(page.token, delivery.callback_query_id or "")
    return web.json_response({"ok": True, "answer": answer})


async def upload(request: web.Request) -> web.Response:
    page = _page(request)
    form = await request.post()
    upload_ = form.get("file")
    kind = str(form.get("kind", "document"))
    if not isinstance(upload_, web.FileField) or kind not in UPLOAD_KINDS:
        raise web.HTTPBadRequest(text="a photo, video, GIF or document is needed")
    caption = str(form.get("caption", ""))
    entities = entities_from(form.get("caption_entities"), caption)
    if not entities:
        caption = caption.strip()
    await page.emulator.send_file(page.token, page.admin_id, kind, upload_.file.read(),
                                  caption=caption, caption_entities=entities,
                                  file_name=upload_.filename, mime_type=upload_.content_type)
    await page.settle()
    return web.json_response({"ok": True})


async def file(request: web.Request) -> web.Response:
    stored = _page(request).bot.files.get(request.match_info["file_id"])
    if stored is None:
        raise web.HTTPNotFound()
    content_type = stored.mime_type or "application/octet-stream"
    if stored.content.startswith(b"\x89PNG"):
        content_type = "image/png"
    elif stored.content.startswith(b"\xff\xd8"):
        content_type = "image/jpeg"
    return web.Response(body=stored.content, content_type=content_type)


async def people(request: web.Request) -> web.Response:
    """Students to look in on: found the way the bot's /find finds them."""
    page = _page(request)
    query = request.query.get("q", "").strip()[:64]
    found: list[dict[str, Any]] = []
    if query and page.harness is not None:
        rows, _ = await users.search(page.harness.dispatcher["pool"], query, 12)
        found = [{"id": r.user_id, "name": r.first_name, "username": r.username} for r in rows]
    for item in found:  # the page opens their chat under their name
        page.emulator.user(item["id"], item["name"], item["username"])
    return web.json_response({"people": found})


async def fault(request: web.Request) -> web.Response:
    """Switches: a student blocks / unblocks the bot, 5xx answers, a slow network."""
    page = _page(request)
    body: dict[str, Any] = await request.json()
    faults = page.bot.faults
    if "block" in body:
        await page.emulator.set_blocked(page.token, int(body["block"]), bool(body.get("on", True)))
        await page.settle()
    if "server_error_rate" in body:
        faults.server_error_rate = max(0.0, min(float(body["server_error_rate"]), 1.0))
    if "latency" in body:
        faults.latency = max(0.0, min(float(body["latency"]), 5.0))
    return web.json_response({"ok": True, "server_error_rate": faults.server_error_rate,
                              "latency": faults.latency})


async def language(request: web.Request) -> web.Response:
    """The admin's Telegram language: the bot answers in English for "en", Russian otherwise."""
    page = _page(request)
    code = str((await request.json()).get("language", ""))
    if code not in LANGUAGES:
        return web.json_response({"ok": False, "error": f"language is one of {LANGUAGES}"},
                                 status=400)
    page.emulator.user(page.admin_id, language_code=code)
    return web.json_response({"ok": True, "language": code})


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/", index),
        web.get("/sandbox/api/state", state),
        web.post("/sandbox/api/send", send),
        web.post("/sandbox/api/press", press),
        web.post("/sandbox/api/upload", upload),
        web.get("/sandbox/api/file/{file_id}", file),
        web.get("/sandbox/api/people", people),
        web.post("/sandbox/api/fault", fault),
        web.post("/sandbox/api/language", language),
        web.static("/sandbox/static", STATIC),
    ]

