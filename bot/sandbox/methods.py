"""The Bot API methods the emulator answers, with Telegram's result shapes and refusals."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, Literal, overload

from bot.text.tg_html import EntityParseError, parse_text, utf16_len
from bot.sandbox.state import (
    CHAT_REFUSALS, ApiError, EmuBot, EmuChat, EmuUser, Host, StoredFile, StoredMessage,
    bad_request,
)

Handler = Callable[[Host, EmuBot, dict[str, Any]], Awaitable[Any]]
METHODS: dict[str, Handler] = {}
SEND_METHODS = {"sendmessage", "sendphoto", "sendvideo", "senddocument", "sendanimation",
                "copymessage"}
EDIT_METHODS = {"editmessagetext", "editmessagecaption", "editmessagereplymarkup",
                "editmessagemedia"}
MEDIA_KINDS = {"sendphoto": "photo", "sendvideo": "video", "senddocument": "document",
               "sendanimation": "animation"}
TEXT_LIMIT, CAPTION_LIMIT, CALLBACK_DATA_LIMIT = 4096, 1024, 64
MESSAGE_DELETE_WINDOW = 48 * 3600
CALLBACK_ANSWER_WINDOW = 15  # seconds Telegram waits for answerCallbackQuery
_URL_RE = re.compile(r"^(https?://[^\s/$.?#][^\s]*|tg://\S+)$", re.IGNORECASE)


def method(*names: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        for name in names:
            METHODS[name.lower()] = func
        return func
    return register


@overload
def int_param(params: dict[str, Any], key: str, required: Literal[True] = ...) -> int: ...
@overload
def int_param(params: dict[str, Any], key: str, required: bool) -> int | None: ...
def int_param(params: dict[str, Any], key: str, required: bool = True) -> int | None:
    value = params.get(key)
    if value is None or value == "":
        if required:
            raise bad_request(f"{key} is empty" if key != "chat_id" else "chat not found")
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"invalid {key} specified") from None


def flag_param(params: dict[str, Any], key: str) -> bool:
    return params.get(key) in (True, "true", "True", "1", 1)


# ---- chats and messages ---------------------------------------------------------

def chat_for_send(emu: Host, bot: EmuBot, chat_id: int) -> EmuChat:
    """The chat the bot writes to, refusing as Telegram would for blocked or unknown users."""
    chat = bot.chats.get(chat_id)
    if chat is None:
        if chat_id <= 0 or bot.unknown_chats == "not_found":
            raise bad_request("chat not found")
        chat = EmuChat(emu.user(chat_id))
        if bot.unknown_chats == "not_started":
            chat.status = "not_started"
        bot.chats[chat_id] = chat
    if chat.status in CHAT_REFUSALS:
        raise ApiError(403, CHAT_REFUSALS[chat.status])
    return chat


def message_json(emu: Host, bot: EmuBot, msg: StoredMessage) -> dict[str, Any]:
    chat = bot.chats[msg.chat_id]
    data: dict[str, Any] = {
        "message_id": msg.message_id,
        "from": bot.as_user() if msg.from_bot else chat.user.as_user(),
        "chat": chat.user.as_chat(),
        "date": msg.date,
    }
    if msg.edit_date:
        data["edit_date"] = msg.edit_date
    text_key, entities_key = ("text", "entities") if msg.kind == "text" else ("caption", "caption_entities")
    if msg.text:
        data[text_key] = msg.text
    if msg.entities:
        data[entities_key] = [  # Telegram answers a tg://user?id= link with the whole user
            {**e, "user": emu.user(e["user"]["id"]).as_user()} if e.get("type") == "text_mention"
            else e for e in msg.entities]
    if msg.file is not None:
        data.update(_file_json(msg.kind, msg.file))
    if msg.reply_markup:
        data["reply_markup"] = msg.reply_markup
    return data


def _file_json(kind: str, file: StoredFile) -> dict[str, Any]:
    base = {"file_id": file.file_id, "file_unique_id": file.file_unique_id,
            "file_size": len(file.content)}
    if kind == "photo":
        return {"photo": [{**base, "width": 1280, "height": 720}]}
    if kind == "video":
        return {"video": {**base, "width": 1280, "height": 720, "duration": 10}}
    document = {**base, "file_name": file.file_name or "file", "mime_type": file.mime_type or
                "application/octet-stream"}
    if kind == "animation":
        animation = {**base, "width": 480, "height": 270, "duration": 3}
        return {"animation": animation, "document": document}
    return {"document": document}


def validate_markup(markup: Any) -> dict[str, Any] | None:
    if markup in (None, "", {}):
        return None
    if not isinstance(markup, dict) or "inline_keyboard" not in markup:
        return markup if isinstance(markup, dict) else None
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list):
        raise bad_request("field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array")
    for row in rows:
        for button in row:
            if not str(button.get("text", "")).strip():
                raise bad_request("BUTTON_TEXT_EMPTY")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_LIMIT:
                raise bad_request("BUTTON_DATA_INVALID")
            url = button.get("url")
            if url is not None and not _URL_RE.match(str(url)):
                raise bad_request("BUTTON_URL_INVALID")
            if data is None and url is None and not (set(button) - {"text"}):
                raise bad_request("can't parse inline keyboard button: Text buttons are unallowed "
                                  "in the inline keyboard")
    return markup


def parse_content(params: dict[str, Any], text_key: str, limit: int,
                  entities_key: str) -> tuple[str, list[dict[str, Any]]]:
    raw = params.get(text_key) or ""
    try:
        text, entities = parse_text(str(raw), params.get("parse_mode"), params.get(entities_key))
    except EntityParseError as exc:
        raise bad_request(f"can't parse entities: {exc}") from None
    length = utf16_len(text)
    if text_key == "text":
        if not text.strip():
            raise bad_request("message text is empty")
        if length > limit:
            raise bad_request("message is too long")
    elif length > limit:
        raise bad_request("message caption is too long")
    return text, entities


def store_outgoing(emu: Host, bot: EmuBot, chat: EmuChat, kind: str, text: str,
                   entities: list[dict[str, Any]], file: StoredFile | None,
                   markup: dict[str, Any] | None) -> StoredMessage:
    msg = StoredMessage(chat.next_message_id(), chat.user.id, True, emu.now(), kind, text,
                        entities, file, markup)
    chat.messages[msg.message_id] = msg
    emu.notify_change(bot, msg, "new")
    return msg


def own_message(bot: EmuBot, params: dict[str, Any], missing: str) -> StoredMessage:
    chat_id = int_param(params, "chat_id")
    message_id = int_param(params, "message_id")
    chat = bot.chats.get(chat_id)
    msg = chat.messages.get(message_id) if chat else None
    if msg is None or msg.deleted:
        raise bad_request(missing)
    return msg


# ---- methods -----------------------------------------------------------------------

@method("sendMessage")
async def send_message(emu: Host, bot: EmuBot, p: dict[str, Any]) -> Any:
    chat = chat_for_send(emu, bot, int_param(p, "chat_id"))
    text, entities = parse_content(p, "text", TEXT_LIMIT, "entities")
    markup = validate_markup(p.get("reply_markup"))
    return message_json(emu, bot, store_outgoing(emu, bot, chat, "text", text, entities, None, markup))


@method("sendPhoto", "sendVideo", "sendDocument", "sendAnimation")
async def send_media(emu: Host, bot: EmuBot, p: dict[str, Any]) -> Any:
    kind = MEDIA_KINDS[p["_method"]]
    chat = chat_for_send(emu, bot, int_param(p, "chat_id"))
    file = resolve_file(bot, kind, p.get(kind))
    caption, entities = parse_content(p, "caption", CAPTION_LIMIT, "caption_entities")
    markup = validate_markup(p.get("reply_markup"))
    msg = store_outgoing(emu, bot, chat, kind, caption, entities, file, markup)
    return message_json(emu, bot, msg)


def resolve_file(bot: EmuBot, kind: str, value: Any) -> StoredFile:
    """An upload, one of this bot's own file_ids, or an http(s) URL."""
    if isinstance(value, StoredFile):  # uploaded in this request
        value.kind = kind
        bot.files[value.file_id] = value
        return value
    if not value:
        raise bad_request(f"there is no {kind} in the request")
    value = str(value)
    if value.startswith(("http://", "https://")):
        return bot.new_file(kind, value.encode(), file_name=value.rsplit("/", 1)[-1])
    file = bot.files.get(value)
    if file is None:  # file_ids belong to one bot
        raise bad_request("wrong file identifier/HTTP URL specified")
    return file


@method("copyMessage")
async def copy_message(emu: Host, bot: EmuBot, p: dict[str, Any]) -> Any:
    chat = chat_for_send(emu, bot, int_param(p, "chat_id"))
    source_chat = bot.chats.get(int_param(p, "from_chat_id"))
    source = source_chat.messages.get(int_param(p, "message_id")) if source_chat else None
    if source is None or source.deleted:
        raise bad_request("message to copy not found")
    text, entities = source.text, source.entities
    if "caption" in p and source.kind != "text":
        text, entities = parse_content(p, "caption", CAPTION_LIMIT, "caption_entities")
    markup = validate_markup(p.get("reply_markup"))
    msg = store_outgoing(emu, bot, chat, source.kind, text, entities, source.file, markup)
    return {"message_id": msg.message_id}


@method("editMessageText")
async def edit_message_text(emu: Host, bot: EmuBot, p: dict[str, Any]) -> Any:
    msg = own_message(bot, p, "message to edit not found")
    if msg.kind != "text":
        raise bad_request("there is no text in the message to edit")
    text, entities = parse_content(p, "text", TEXT_LIMIT, "entities")
    return _apply_edit(emu, bot, msg, text, entities, validate_markup(p.get("reply_markup")))


@method("editMessageCaption")
async def edit_message_caption(emu: Host, bot: EmuBot, p: dict[str, Any]) -> Any:
    msg = own_message(bot, p, "message to edit not found")
    if msg.kind == "text":
        raise bad_request("there is no caption in the message to edit")
    text, entities = parse_content(p, "caption", CAPTION_LIMIT, "caption_entities")
    return _apply_edit(emu, bot, msg, text, entities, validate_markup(p.get("reply_markup")))


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(emu: Host, bot: EmuBot, p: dict[str, Any]) -> Any:
    msg = own_message(bot, p, "message to edit not found")
    return _apply_edit(emu, bot, msg, msg.text, msg.entities, validate_markup(p.get("reply_markup")))


def _apply_edit(emu: Host, bot: EmuBot, msg: StoredMessage, text: str,
                entities: list[dict[str, Any]], markup: dict[str, Any] | None) -> Any:
    if not msg.from_bot:
        raise bad_request("message can't be edited")
    if (text, entities, markup or None) == (msg.text, msg.entities, msg.reply_markup or None):
        raise bad_request("message is not modified: specified new message content and reply "
                          "markup are exactly the same as a current content and reply markup "
                          "of the message")
    msg.text, msg.entities, msg.reply_markup, msg.edit_date = text, entities, markup, emu.now()
    emu.notify_change(bot, msg, "edit")
    return message_json(emu, bot, msg)


@method("deleteMessage")
async def delete_message(emu: Host, bot: EmuBot, p: dict[str, Any]) -> Any:
    msg = own_message(bot, p, "message to delete not found")
    if emu.now() - msg.date > MESSAGE_DELETE_WINDOW:
        raise bad_request("message can't be deleted for everyone")
    msg.deleted = True
    emu.notify_change(bot, msg, "delete")
    return True


@method("answerCallbackQuery")
async def answer_callback_query(emu: Host, bot: EmuBot, p: dict[str, Any]) -> Any:
    query = bot.callback_queries.get(str(p.get("callback_query_id", "")))
    if query is None or query["answered"] or \
            emu.now() - query.get("pressed_at", emu.now()) > CALLBACK_ANSWER_WINDOW:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    query.update(answered=True, text=p.get("text"), show_alert=flag_param(p, "show_alert"))
    return True


def incoming_message(emu: Host, bot: EmuBot, user: EmuUser, kind: str, text: str,
                     entities: list[dict[str, Any]], file: StoredFile | None) -> StoredMessage:
    """A message the user writes to the bot (it is stored like every other message)."""
    chat = bot.chats.get(user.id)
    if chat is None:
        chat = bot.chats[user.id] = EmuChat(user)
    msg = StoredMessage(chat.next_message_id(), user.id, False, emu.now(), kind, text, entities, file)
    chat.messages[msg.message_id] = msg
    emu.notify_change(bot, msg, "new")
    return msg
