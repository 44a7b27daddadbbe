"""Entry point: `python -m bot` runs the bot; `parse FILE` prints a parsed resolution as JSON;
`orgs import FILE` loads the organisation directory."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from bot.settings import Settings

EXIT_CONFIG = 2


def _settings_or_exit() -> Settings:
    """Load settings; on a bad value print one line naming the setting and exit with status 2."""
    try:
        return Settings()  # values come from the environment
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "?"
        reason = "не задан" if first["type"] == "missing" else first["msg"].removeprefix("Value error, ")
        print(f"Ошибка настройки {name}: {reason}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def _database_unavailable(reason: object) -> int:
    print(f"Ошибка настройки DATABASE_URL: база данных недоступна — {reason}", file=sys.stderr)
    return EXIT_CONFIG


def cmd_run() -> int:
    settings = _settings_or_exit()  # before importing aiogram (seconds): a bad setting is reported at once
    from bot import logs
    from bot.app import DatabaseUnavailableError, TokenRejectedError
    from bot.webhook import run

    logs.configure(settings.log_level, settings.log_format)
    try:
        asyncio.run(run(settings))  # long polling, or the webhook server when WEBHOOK_URL is set
    except KeyboardInterrupt:  # Ctrl+C before polling took over the signals (e.g. while waiting for Telegram)
        return 0
    except TokenRejectedError:
        print("Ошибка настройки BOT_TOKEN: Telegram не принял токен — проверьте его у @BotFather", file=sys.stderr)
        return EXIT_CONFIG
    except DatabaseUnavailableError as exc:
        return _database_unavailable(exc)
    return 0


def cmd_parse(path: str) -> int:
    from models.parsing import ParseError, parse_file

    try:
        parsed = parse_file(path)
    except ParseError as exc:
        print(f"Ошибка: {exc.message}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"Ошибка: не удалось открыть файл {path}: {exc.strerror}", file=sys.stderr)
        return 1
    print(json.dumps(parsed.to_json_dict(), ensure_ascii=False, indent=2))
    return 0


def cmd_orgs_import(path: str, *, prune: bool, dry_run: bool) -> int:
    """Load the organisation directory into the configured database (migrating it first)."""
    settings = _settings_or_exit()
    from bot.app import DatabaseUnavailableError, open_database
    from models import directory
    from ui import texts

    async def run() -> str:
        from models import migrate
        from models.db import create_session_factory

        engine = await open_database(settings)
        try:
            await migrate.upgrade(engine)
            async with create_session_factory(engine)() as session:
                report = await directory.import_file(session, path, prune=prune, dry_run=dry_run)
            return texts.directory_report(report, html=False)
        finally:
            await engine.dispose()

    try:
        print(asyncio.run(run()))
    except DatabaseUnavailableError as exc:
        return _database_unavailable(exc)
    except directory.DirectoryError as exc:
        print(f"Ошибка: {exc.message}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"Ошибка: не удалось открыть файл {path}: {exc.strerror}", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Адресат — Telegram-бот резолюций")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="запустить бота (long polling или webhook); это действие по умолчанию")
    parse = sub.add_parser("parse", help="разобрать резолюцию и напечатать JSON")
    parse.add_argument("file")
    orgs = sub.add_parser("orgs", help="справочник организаций")
    orgs_sub = orgs.add_subparsers(dest="orgs_command", required=True)
    orgs_import = orgs_sub.add_parser("import", help="загрузить справочник из .csv или .xlsx")
    orgs_import.add_argument("file")
    orgs_import.add_argument("--prune", action="store_true", help="удалить организации, которых нет в файле")
    orgs_import.add_argument("--dry-run", action="store_true", help="только проверить, ничего не сохранять")
    args = parser.parse_args(argv)
    if args.command == "parse":
        return cmd_parse(args.file)
    if args.command == "orgs":
        return cmd_orgs_import(args.file, prune=args.prune, dry_run=args.dry_run)
    return cmd_run()


if __name__ == "__main__":
    sys.exit(main())
