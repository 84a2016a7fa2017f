"""Tracked link buttons under load: the bot's real web app (the webhook server, started as the
tests start it) answers `GET /r/<token>` with valid tokens of a broadcast's recipients at a
fixed rate, from a client in a process of its own (open loop: a request goes out at its time
whether or not the earlier ones are answered, and its latency counts from that time). Prints
p50 / p95 / p99, errors, and whether every click was recorded.

    .venv/bin/python -m bench.redirect                        # 500 clicks/s for 5 s
    .venv/bin/python -m bench.redirect --rate 1000 --seconds 10
    .venv/bin/python -m bench.redirect --forged              # a flood of forged tokens
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import psutil
from aiohttp import ClientSession, TCPConnector

from bench.common import database
from bench.outcomes import generate
from bot.db import secrets
from bot.db.pool import create_pool
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import ADMIN_TOKEN, BotHarness, make_settings
from bot.services.links import LinkSigner


async def client(urls: list[str], rate: int, seconds: float, warmup: float,
                 expected: int) -> dict:
    """Request `urls` in turn, `rate` a second; each one's latency from its scheduled time
    (the first `warmup` seconds' not kept)."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    async with ClientSession(connector=TCPConnector(limit=0)) as http:
        async def one(url: str, due: float) -> None:
            try:
                async with http.get(url, allow_redirects=False) as response:
                    await response.read()
                    if response.status != expected:
                        errors[str(response.status)] = errors.get(str(response.status), 0) + 1
            except Exception as exc:  # noqa: BLE001 - counted, whatever it is
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            if due >= start + warmup:
                latencies.append(time.perf_counter() - due)

        tasks = []
        start = time.perf_counter() + 0.2
        for i in range(int(rate * (warmup + seconds))):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(urls[i % len(urls)], due)))
        await asyncio.gather(*tasks)
        took = time.perf_counter() - start - warmup
    return {"latencies": latencies, "errors": errors, "took": took}


def percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=500, help="requests a second")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--warmup", type=float, default=1, help="seconds not counted")
    parser.add_argument("--recipients", type=int, default=20_000)
    parser.add_argument("--forged", action="store_true",
                        help="tokens with a wrong signature instead (each answered 404)")
    parser.add_argument("--client", help=argparse.SUPPRESS)  # the client process: a URL file
    args = parser.parse_args()
    if args.client:
        urls = json.loads(Path(args.client).read_text())
        print(json.dumps(await client(urls, args.rate, args.seconds, args.warmup,
                                      404 if args.forged else 302)))
        return

    print(f"sizes: a broadcast to {args.recipients:,} recipients with two link buttons;"
          f" {args.rate} clicks/s for {args.seconds:g} s")
    async with database() as dsn:
        pool = await create_pool(dsn, max_size=2)
        async with pool.acquire() as conn:
            await generate(conn, args.recipients, 0, 0, 10)
        rows = await pool.fetch("SELECT id FROM message_recipients WHERE delivery_status = 'sent'"
                                " AND message_id = (SELECT max(id) FROM message_history)")
        before = await pool.fetchval("SELECT count(*) FROM broadcast_clicks")
        emulator = Emulator()
        emulator.add_bot(ADMIN_TOKEN, "hsl_admin_bot")
        await emulator.start()
        harness = await BotHarness(emulator, make_settings(dsn, emulator.base_url)).start()
        try:
            signer = LinkSigner(await secrets.key(pool, "links"))  # the key the app signs with
            rng = random.Random(16)
            urls = [signer.url(harness.url, rng.choice(rows)["id"], rng.randint(0, 1))
                    for _ in range(int(args.rate * (args.warmup + args.seconds)))]
            if args.forged:
                urls = [url[:-2] + ("AA" if not url.endswith("AA") else "BB") for url in urls]
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
                json.dump(urls, file)
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.redirect", "--client", file.name,
                "--rate", str(args.rate), "--seconds", str(args.seconds),
                "--warmup", str(args.warmup), *(["--forged"] if args.forged else []),
                stdout=asyncio.subprocess.PIPE)
            cpu = psutil.Process().cpu_times()
            lags: list[float] = []

            async def watch_loop() -> None:  # how late the bot's event loop wakes up
                while True:
                    started = time.perf_counter()
                    await asyncio.sleep(0.005)
                    lags.append(time.perf_counter() - started - 0.005)
            watcher = asyncio.create_task(watch_loop())
            out, _ = await process.communicate()
            watcher.cancel()
            after = psutil.Process().cpu_times()
            server_cpu = after.user + after.system - cpu.user - cpu.system
            Path(file.name).unlink()
            result = json.loads(out)
            await asyncio.sleep(0.5)  # clicks written in the background, if any
            recorded = await pool.fetchval("SELECT count(*) FROM broadcast_clicks") - before
        finally:
            await harness.stop()
            await emulator.stop()
            await pool.close()
    ordered = sorted(result["latencies"])
    p50, p95, p99 = (percentile(ordered, s) * 1000 for s in (0.5, 0.95, 0.99))
    sent = len(ordered)
    print(f"\n{sent:,} requests in {result['took']:.1f} s ({sent / result['took']:.0f}/s);"
          f" errors: {sum(result['errors'].values())} {result['errors'] or ''}")
    print(f"latency ms: p50 {p50:.1f}  p95 {p95:.1f}  p99 {p99:.1f}  max {ordered[-1] * 1000:.1f}"
          f"   target p95 < 20 ms at 500/s: " + ("met" if p95 < 20 else "MISSED"))
    total = int(args.rate * (args.warmup + args.seconds))
    print(f"clicks recorded: {recorded:,} of {total:,} (warm-up included)")
    print(f"the bot's process: {server_cpu / total * 1000:.2f} ms CPU a click"
          f" ({server_cpu / (args.warmup + args.seconds) * 100:.0f} % of a core);"
          f" load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    lags.sort()
    print(f"its event loop woke late by: p50 {percentile(lags, 0.5) * 1000:.1f}"
          f"  p95 {percentile(lags, 0.95) * 1000:.1f}  max {lags[-1] * 1000:.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
