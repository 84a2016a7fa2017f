"""What users do in the emulator (write, send files, press buttons, block the bot) and how
their chats read as text."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.sandbox import methods
from bot.text.tg_html import utf16_len
from bot.sandbox.state import EmuBot, EmuChat, StoredMessage

if TYPE_CHECKING:
    from bot.sandbox.state import EmuUser

_callback_ids = itertools.count(1_000_001)


@dataclass(frozen=True)
class Delivery:
    update_id: int
    status: int | None  # HTTP status of the webhook, or None (queued / connection failed)
    callback_query_id: str | None = None


class ChatActions:
    """Mixed into Emulator: the users' side of the chats. What it needs of the emulator is
    the methods' Host (so it passes itself to them) and `deliver`; Emulator provides them."""

    bots: dict[str, EmuBot]

    def user(self, user_id: int, first_name: str | None = None, username: str | None = None,
             language_code: str | None = None) -> EmuUser:
        raise NotImplementedError

    def now(self) -> int:
        raise NotImplementedError

    def webhook_changed(self, bot: EmuBot) -> None:
        raise NotImplementedError

    def notify_change(self, bot: EmuBot, msg: StoredMessage, change: str) -> None:
        raise NotImplementedError

    async def deliver(self, bot: EmuBot, update: dict[str, Any]) -> int | None:
        raise NotImplementedError

    # ---- actions -----------------------------------------------------------------
    async def send_text(self, token: str, user_id: int, text: str,
                        entities: list[dict[str, Any]] | None = None,
                        reply_to: int | None = None,
                        forward_origin: dict[str, Any] | None = None) -> Delivery:
        """The user writes `text` (a leading /command gets its bot_command entity),
        optionally as a reply to message `reply_to` of the chat, or forwards it
        (`forward_origin` as Telegram gives it: {"type": "user", "sender_user": {...}, ...})."""
        if entities is None and text.startswith("/"):
            command = text.split()[0]
            entities = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        return await self._send(token, user_id, "text", text, entities or [], None, reply_to,
                                forward_origin)

    async def send_file(self, token: str, user_id: int, kind: str, content: bytes, *,
                        caption: str = "", file_name: str | None = None,
                        mime_type: str | None = None,
                        caption_entities: list[dict[str, Any]] | None = None) -> Delivery:
        """The user sends a photo, video, document or animation (its caption may carry
        formatting: `caption_entities`, UTF-16 offsets)."""
        bot = self.bots[token]
        file = bot.new_file(kind, content, file_name, mime_type)
        return await self._send(token, user_id, kind, caption, caption_entities or [], file)

    async def _send(self, token: str, user_id: int, kind: str, text: str,
                    entities: list[dict[str, Any]], file: Any, reply_to: int | None = None,
                    forward_origin: dict[str, Any] | None = None) -> Delivery:
        bot = self.bots[token]
        user = self.user(user_id)
        chat = bot.chats.get(user_id)
        if chat is not None and chat.status != "active":
            await self.set_blocked(token, user_id, False)  # writing to a bot (re)starts it
        msg = methods.incoming_message(self, bot, user, kind, text, entities, file)
        message = methods.message_json(self, bot, msg)
        if reply_to is not None:
            original = bot.chats[user_id].messages[reply_to]
            message["reply_to_message"] = methods.message_json(self, bot, original)
        if forward_origin is not None:
            message["forward_origin"] = {"date": self.now(), **forward_origin}
        update: dict[str, Any] = {"update_id": bot.next_update_id(), "message": message}
        return Delivery(update["update_id"], await self.deliver(bot, update))

    async def press(self, token: str, user_id: int, text: str | None = None, *,
                    data: str | None = None, message_id: int | None = None,
                    age: float = 0) -> Delivery:
        """The user presses the inline button with this text (or callback data) on the
        newest bot message that has it, or on message `message_id`. `age`: the press reaches
        the bot that many seconds late (past the answer window, its answer is refused)."""
        bot = self.bots[token]
        chat = self.chat(token, user_id)
        candidates = [chat.messages[message_id]] if message_id else sorted(
            (m for m in chat.messages.values() if m.from_bot), key=lambda m: -m.message_id)
        for msg in candidates:
            if msg.deleted:
                continue
            for button in msg.buttons():
                if "callback_data" in button and (button["text"] == text or
                                                  button["callback_data"] == data):
                    return await self._callback(bot, chat, msg, button["callback_data"], age)
        shown = [b["text"] for m in candidates[:1] for b in m.buttons()]
        raise LookupError(f"no button {text or data!r} in the chat; last message has {shown}")

    async def press_forged(self, token: str, user_id: int, data: str) -> Delivery:
        """A callback with data no button carries, on the newest bot message: what a modified
        client could send."""
        bot = self.bots[token]
        chat = self.chat(token, user_id)
        msg = max((m for m in chat.messages.values() if m.from_bot), key=lambda m: m.message_id)
        return await self._callback(bot, chat, msg, data)

    async def _callback(self, bot: EmuBot, chat: EmuChat, msg: StoredMessage, data: str,
                        age: float = 0) -> Delivery:
        query_id = str(next(_callback_ids))
        bot.callback_queries[query_id] = {"answered": False, "message_id": msg.message_id,
                                          "user_id": chat.user.id, "data": data,
                                          "pressed_at": self.now() - age}
        update: dict[str, Any] = {"update_id": bot.next_update_id(), "callback_query": {
            "id": query_id, "from": chat.user.as_user(), "chat_instance": str(chat.user.id * 7),
            "message": methods.message_json(self, bot, msg), "data": data}}
        return Delivery(update["update_id"], await self.deliver(bot, update), query_id)

    async def set_blocked(self, token: str, user_id: int, blocked: bool = True) -> Delivery:
        """The user blocks (or unblocks) the bot; the bot gets a my_chat_member update."""
        bot = self.bots[token]
        chat = bot.chats.get(user_id) or bot.chats.setdefault(user_id, EmuChat(self.user(user_id)))
        old = "member" if chat.status == "active" else "kicked"
        chat.status = "blocked" if blocked else "active"
        new = "kicked" if blocked else "member"
        update: dict[str, Any] = {"update_id": bot.next_update_id(), "my_chat_member": {
            "chat": chat.user.as_chat(), "from": chat.user.as_user(), "date": self.now(),
            "old_chat_member": _member(old, bot), "new_chat_member": _member(new, bot)}}
        return Delivery(update["update_id"], await self.deliver(bot, update))

    def set_chat_status(self, token: str, user_id: int, status: str) -> None:
        """Put a chat in a state without telling the bot (never started, deactivated)."""
        bot = self.bots[token]
        chat = bot.chats.get(user_id) or bot.chats.setdefault(user_id, EmuChat(self.user(user_id)))
        chat.status = status

    # ---- reading -----------------------------------------------------------------
    def chat(self, token: str, user_id: int) -> EmuChat:
        chat = self.bots[token].chats.get(user_id)
        if chat is None:
            raise LookupError(f"user {user_id} has no chat with this bot")
        return chat

    def bot_messages(self, token: str, user_id: int) -> list[StoredMessage]:
        """Messages the bot sent to the user that are still visible, oldest first."""
        chat = self.bots[token].chats.get(user_id)
        if chat is None:
            return []
        return [m for m in chat.messages.values() if m.from_bot and not m.deleted]

    def callback_answer(self, token: str, query_id: str) -> dict[str, Any]:
        return self.bots[token].callback_queries[query_id]

    def transcript(self, token: str, user_id: int) -> str:
        """The chat as text: who wrote what, buttons in brackets, edits and deletions marked."""
        chat = self.bots[token].chats.get(user_id)
        if chat is None:
            return "(no chat)"
        lines = []
        for msg in chat.messages.values():
            who = "bot " if msg.from_bot else "user"
            flags = (" (deleted)" if msg.deleted else "") + (" (edited)" if msg.edit_date else "")
            body = msg.text if msg.kind == "text" else f"[{msg.kind}] {msg.text}".rstrip()
            first, *rest = (body or "").splitlines() or [""]
            lines.append(f"{who} #{msg.message_id}{flags}: {first}")
            lines.extend(f"          {line}" for line in rest)
            for row in (msg.reply_markup or {}).get("inline_keyboard", []):
                lines.append("          " + " ".join(f"[{b['text']}]" for b in row))
        return "\n".join(lines)


def _member(status: str, bot: EmuBot) -> dict[str, Any]:
    member: dict[str, Any] = {"status": status, "user": bot.as_user()}
    if status == "kicked":
        member["until_date"] = 0
    return member
