"""Start-up time of `python -m bot run` with embedded PostgreSQL (cold: new data folder;
warm: the same folder again), and demo-data speed. Prints its figures.

    .venv/bin/python -m bench.startup [--events 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import ClientError, ClientSession

from bot.sandbox.emulator import Emulator

TOKEN = "1000001:" + "A" * 35


async def _time_to_healthy(data_dir: Path, emulator_url: str, port: int) -> float:
    env = {"PATH": os.environ.get("PATH", ""), "BOT_TOKEN": TOKEN, "ADMIN_IDS": "1",
           "TELEGRAM_API_URL": emulator_url, "EMBEDDED_PG_DIR": str(data_dir),
           "WEB_HOST": "127.0.0.1", "WEB_PORT": str(port),
           "WEBHOOK_BASE_URL": f"http://127.0.0.1:{port}", "LOG_LEVEL": "WARNING"}
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", env=env)
    try:
        async with ClientSession() as http:
            while True:
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                        if response.status == 200:
                            return time.perf_counter() - started
                except ClientError:
                    pass
                if proc.returncode is not None:
                    raise RuntimeError("the bot exited during start-up")
                await asyncio.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGTERM)
        await proc.wait()


async def startup(runs: int) -> None:
    emulator = Emulator()
    emulator.add_bot(TOKEN)
    url = await emulator.start()
    cold, warm = [], []
    try:
        for run in range(runs):
            folder = Path(tempfile.mkdtemp(prefix="bench-startup-"))
            try:
                cold.append(await _time_to_healthy(folder / "pg", url, 18600 + run))
                warm.append(await _time_to_healthy(folder / "pg", url, 18700 + run))
            finally:
                shutil.rmtree(folder, ignore_errors=True)
    finally:
        await emulator.stop()
    print(f"start-up to healthy, embedded PostgreSQL, {runs} runs:")
    print(f"  cold (new data folder: initdb, migrations): median {statistics.median(cold):.2f} s"
          f"  [{', '.join(f'{t:.2f}' for t in cold)}]")
    print(f"  warm (existing data folder):                 median {statistics.median(warm):.2f} s"
          f"  [{', '.join(f'{t:.2f}' for t in warm)}]")


def demo_speed(events: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-demo-"))
    env = {"PATH": os.environ.get("PATH", ""), "EMBEDDED_PG_DIR": str(folder / "pg"),
           "LOG_LEVEL": "WARNING"}
    try:
        subprocess.run([sys.executable, "-m", "bot", "migrate"], env=env, check=True,
                       capture_output=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "bot", "demo-data", "--users",
                                 str(max(events // 10, 1)), "--events", str(events)],
                                env=env, check=True, capture_output=True, text=True)
        took = time.perf_counter() - started
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"demo-data, {events:,} events: {took:.1f} s for the whole command "
          f"({events / took:,.0f} events/s)\n  {result.stdout.strip()}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    asyncio.run(startup(args.runs))
    demo_speed(args.events)


if __name__ == "__main__":
    main()
