"""Prometheus metrics, in a registry of the app's own (several apps may share a process)."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.messages = Counter("hsl_broadcast_messages", "Broadcast messages by outcome",
                                ["outcome"], registry=self.registry)
        self.retry_after = Counter("hsl_telegram_retry_after", "429 answers from Telegram",
                                   ["bot", "method", "scope"], registry=self.registry)
        self.breaches_avoided = Counter(
            "hsl_telegram_breaches_avoided", "Requests held back because a 429 of their scope"
            " was still running", ["bot", "scope"], registry=self.registry)
        self.queue = Gauge("hsl_telegram_send_queue", "Requests waiting for a send slot",
                           ["bot", "priority"], registry=self.registry)
        self.pace = Gauge("hsl_broadcast_pace_per_second", "Current sending pace",
                          registry=self.registry)
        self.pending = Gauge("hsl_broadcast_pending_recipients",
                             "Recipients of sending broadcasts not resolved yet",
                             registry=self.registry)

    async def handler(self, request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(self.registry),
                            headers={"Content-Type": CONTENT_TYPE_LATEST})
