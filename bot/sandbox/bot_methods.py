"""Bot-level methods of the emulated Bot API: identity, commands, files, webhook, updates."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from bot.sandbox.methods import flag_param, int_param, chat_for_send, method
from bot.sandbox.state import ApiError, EmuBot, Host, bad_request


@method("getMe")
async def get_me(emu: Host, bot: EmuBot, p: dict[str, Any]) -> Any:
    return bot.as_user()


@method("setMyCommands")
async def set_my_commands(emu: Host, bot: EmuBot, p: dict[str, Any]) -> Any:
    commands = p.get("commands") or []
    for command in commands:
        if not re.match(r"^[a-z0-9_]{1,32}$", str(command.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    bot.commands[_scope_key(p)] = list(commands)
    return True


@method("getMyCommands")
async def get_my_commands(emu: Host, bot: EmuBot, p: dict[str, Any]) -> Any:
    return bot.commands.get(_scope_key(p), [])


@method("deleteMyCommands")
async def delete_my_commands(emu: Host, bot: EmuBot, p: dict[str, Any]) -> Any:
    bot.commands.pop(_scope_key(p), None)
    return True


def _scope_key(p: dict[str, Any]) -> str:
    scope = p.get("scope") or {"type": "default"}
    key = scope.get("type", "default")
    if "chat_id" in scope:
        key += f":{scope['chat_id']}"
    return key + (f"/{p['language_code']}" if p.get("language_code") else "")


@method("sendChatAction")
async def send_chat_action(emu: Host, bot: EmuBot, p: dict[str, Any]) -> Any:
    chat_for_send(emu, bot, int_param(p, "chat_id"))
    return True


@method("getChat")
async def get_chat(emu: Host, bot: EmuBot, p: dict[str, Any]) -> Any:
    chat = bot.chats.get(int_param(p, "chat_id"))
    if chat is None:
        raise bad_request("chat not found")
    return {**chat.user.as_chat(), "accent_color_id": 0, "max_reaction_count": 11}


@method("getFile")
async def get_file(emu: Host, bot: EmuBot, p: dict[str, Any]) -> Any:
    file = bot.files.get(str(p.get("file_id", "")))
    if file is None:
        raise bad_request("invalid file_id")
    return {"file_id": file.file_id, "file_unique_id": file.file_unique_id,
            "file_size": len(file.content), "file_path": file.path}


@method("setWebhook")
async def set_webhook(emu: Host, bot: EmuBot, p: dict[str, Any]) -> Any:
    url = str(p.get("url") or "")
    secret = p.get("secret_token")
    if secret is not None and not re.match(r"^[A-Za-z0-9_-]{1,256}$", str(secret)):
        raise bad_request("secret token contains unallowed characters")
    if url and not url.startswith(("http://", "https://")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if flag_param(p, "drop_pending_updates"):
        bot.updates.clear()
    bot.webhook.url = url
    bot.webhook.secret_token = str(secret) if secret else None
    bot.webhook.allowed_updates = p.get("allowed_updates")
    bot.webhook.max_connections = int_param(p, "max_connections", required=False) or 40
    emu.webhook_changed(bot)
    return True


@method("deleteWebhook")
async def delete_webhook(emu: Host, bot: EmuBot, p: dict[str, Any]) -> Any:
    if flag_param(p, "drop_pending_updates"):
        bot.updates.clear()
    bot.webhook.url, bot.webhook.secret_token = "", None
    return True


@method("getWebhookInfo")
async def get_webhook_info(emu: Host, bot: EmuBot, p: dict[str, Any]) -> Any:
    hook = bot.webhook
    info: dict[str, Any] = {"url": hook.url, "has_custom_certificate": False,
                            "pending_update_count": len(bot.updates)}
    if hook.url:
        info["max_connections"] = hook.max_connections
        if hook.allowed_updates is not None:
            info["allowed_updates"] = hook.allowed_updates
    if hook.last_error_date:
        info.update(last_error_date=hook.last_error_date, last_error_message=hook.last_error_message)
    return info


@method("getUpdates")
async def get_updates(emu: Host, bot: EmuBot, p: dict[str, Any]) -> Any:
    if bot.webhook.url:
        raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                            "use deleteWebhook to delete the webhook first")
    offset = int_param(p, "offset", required=False) or 0
    limit = min(max(int_param(p, "limit", required=False) or 100, 1), 100)
    timeout = min(int_param(p, "timeout", required=False) or 0, 50)
    bot.updates = [u for u in bot.updates if u["update_id"] >= offset]
    if not bot.updates and timeout > 0:
        bot.updates_ready.clear()
        try:
            await asyncio.wait_for(bot.updates_ready.wait(), timeout)
        except asyncio.TimeoutError:
            pass
    allowed = p.get("allowed_updates")
    return [u for u in bot.updates if not allowed or _update_type(u) in allowed][:limit]


def _update_type(update: dict[str, Any]) -> str:
    return next(k for k in update if k != "update_id")
