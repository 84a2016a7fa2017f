"""Run the Bot API emulator on its own: python -m bot.sandbox --token T [--token T2] ..."""

from __future__ import annotations

import argparse
import asyncio
import signal

from bot.sandbox.emulator import Emulator


async def serve(args: argparse.Namespace) -> None:
    emulator = Emulator(record_params=False)
    for token in args.token:
        bot = emulator.add_bot(token)
        bot.limits.config.per_second = args.per_second
        bot.limits.config.paid_per_second = args.paid_per_second
        bot.limits.config.count_edits = args.count_edits
        bot.faults.latency = args.latency
    url = await emulator.start(args.host, args.port)
    print(f"emulator listening on {url}", flush=True)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    await stop.wait()
    await emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox")
    parser.add_argument("--token", action="append", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--per-second", type=int, default=30)
    parser.add_argument("--paid-per-second", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each answer")
    parser.add_argument("--count-edits", action="store_true",
                        help="edits of messages count against the limits, as sends do")
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
