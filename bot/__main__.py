"""python -m bot run | sandbox | migrate | demo-data | doctor"""

from __future__ import annotations

import argparse
import sys

from bot.loop import run_main
from bot.config import ConfigError, load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="hsl-admin-bot")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the bot (webhook if WEBHOOK_BASE_URL is set, else polling)")
    sandbox = commands.add_parser(
        "sandbox", help="everything offline: the bot, a Telegram emulator and a chat page")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8081, help="of the chat page")
    commands.add_parser("migrate", help="apply pending database migrations")
    demo = commands.add_parser("demo-data", help="fill the platform's tables with demo data")
    demo.add_argument("--users", type=int, default=1000)
    demo.add_argument("--events", type=int, default=None, help="default: 10 per user")
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--replace", action="store_true",
                      help="empty the platform's tables first (they must be empty otherwise)")
    commands.add_parser("doctor", help="check settings, database and Telegram; say what to fix")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        from bot.logs import setup_logging

        setup_logging(settings.log_level, settings.log_format, settings.secrets())
        if args.command == "run":
            from bot.app import run

            run(settings)
        elif args.command == "sandbox":
            from bot.sandbox.run import serve

            run_main(serve(settings, args.host, args.port))
        elif args.command == "migrate":
            from bot.cli import migrate

            run_main(migrate(settings))
        elif args.command == "demo-data":
            from bot.cli import demo_data

            run_main(demo_data(settings, args.users, args.events, args.seed, args.replace))
        elif args.command == "doctor":
            from bot.doctor import run_doctor

            return run_main(run_doctor(settings))
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
