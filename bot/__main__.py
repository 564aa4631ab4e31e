"""Composition root: settings, logging, database, services, bot.

Run as ``python -m bot`` or ``intervision``.

Exit status: 0 after a clean shutdown (SIGINT/SIGTERM), 2 for a configuration error (one line on
stderr naming the setting), 1 when Discord refuses the login.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path

import aiohttp
import discord
import yarl
from pydantic import ValidationError

from bot.client import IntervisionBot, Services, create_bot
from bot.domain.catalog import CatalogError, parse_catalog
from bot.domain.dilemmas import Dilemma
from bot.i18n.catalogs import Catalogs
from bot.i18n.locales import SUPPORTED_LOCALES
from bot.metrics import Metrics
from bot.nlp.analyzer import Analyzer
from bot.observability import BotProbe, LogFormat, MetricsPortError, log_handler, serve_metrics
from bot.services.collection import CollectionService
from bot.services.guidance import GuidanceService
from bot.services.moderation import ModerationService
from bot.services.privacy import PrivacyService
from bot.settings import Settings
from bot.storage import open_repository

log = logging.getLogger("bot")

STARTER_CATALOG = Path(__file__).with_name("data") / "dilemmas.toml"
EXIT_CONFIG = 2


def configuration_error(error: ValidationError) -> str:
    """One line naming the first bad setting and how to fix it (the value itself is not shown)."""
    first = error.errors()[0]
    name = str(first["loc"][0]).upper() if first.get("loc") else "settings"
    if first.get("type") == "missing":
        return (
            f"intervision: {name} is not set. Put {name}=... in .env or the environment "
            "(see .env.example)."
        )
    reason = str(first.get("msg", "is invalid")).removeprefix("Value error, ")
    return f"intervision: {name} is invalid: {reason} (see .env.example)."


def load_settings() -> Settings:
    """Read settings from the environment and ``.env``; exit 2 with one clear line if they fail."""
    try:
        return Settings()  # type: ignore[call-arg]  # values come from the environment
    except ValidationError as error:
        sys.stderr.write(configuration_error(error) + "\n")
        raise SystemExit(EXIT_CONFIG) from None


def configure_logging(level: int, log_format: LogFormat = "text", shard_count: int = 1) -> None:
    """One line per record on stderr, naming the guild and shard (see :mod:`bot.observability`)."""
    root = logging.getLogger()
    root.handlers[:] = [log_handler(log_format, shard_count)]
    root.setLevel(level)
    logging.getLogger("discord").setLevel(max(level, logging.INFO))
    # The bot has no voice features; silence the warnings about voice libraries.
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False


def point_at_discord(settings: Settings) -> None:
    """Send REST and gateway traffic to the configured endpoints (a proxy or a test double).

    discord.py reads both from class attributes, so this is process-wide by nature.
    """
    if settings.discord_api_base_url:
        discord.http.Route.BASE = settings.discord_api_base_url
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def load_starter_catalog(path: Path = STARTER_CATALOG) -> tuple[Dilemma, ...]:
    """The built-in dilemmas shipped with the bot."""
    return parse_catalog(path.read_text(encoding="utf-8"), SUPPORTED_LOCALES)


async def run_bot(settings: Settings) -> int:
    """Run until SIGINT/SIGTERM or a fatal login error; returns the exit status."""
    catalogs = Catalogs.load()
    catalog = load_starter_catalog()
    # The language models take a second or two and ~150 MB; load them off the event loop.
    analyzer = await asyncio.to_thread(Analyzer.load)
    metrics = Metrics()
    probe = BotProbe()
    async with (
        await open_repository(settings.database_url) as repository,
        serve_metrics(metrics, probe, host=settings.metrics_host, port=settings.metrics_port),
    ):
        probe.database_check = lambda: repository.guild_settings(0)  # any cheap query
        clock = discord.utils.utcnow
        privacy = PrivacyService(
            repository,
            guild_data_retention_days=settings.guild_data_retention_days,
            clock=clock,
        )
        services = Services(
            guidance=GuidanceService(repository, catalog, settings.default_locale),
            moderation=ModerationService(repository, catalog, clock),
            repository=repository,
            clock=clock,
            collection=CollectionService(
                repository, privacy, analyzer=analyzer, clock=clock, metrics=metrics
            ),
            privacy=privacy,
            metrics=metrics,
        )
        # Without the privileged Message Content intent Discord refuses the connection: run
        # again without it (the bot then collects only strategies shared with the button).
        for message_content in (True, False):
            bot = create_bot(
                shard_count=settings.shard_count,
                shard_ids=settings.shard_ids,
                services=services,
                catalogs=catalogs,
                default_locale=settings.default_locale,
                dev_guild_id=settings.dev_guild_id,
                message_content=message_content,
            )
            probe.bot = bot
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError):  # not on Windows
                    loop.add_signal_handler(signum, lambda s=signum, b=bot: _shutdown(b, s))
            async with bot:
                try:
                    await bot.start(settings.discord_token.get_secret_value())
                    break
                except discord.LoginFailure:
                    log.critical("Discord refused the token: check DISCORD_TOKEN")
                    return 1
                except (aiohttp.ClientError, OSError) as error:
                    log.critical("Cannot reach Discord: %s", error)
                    return 1
                except discord.PrivilegedIntentsRequired:
                    if not message_content:
                        log.critical("Discord refused the gateway intents the bot needs")
                        return 1
                    log.warning(
                        "The Message Content intent is not enabled for this application; "
                        "starting without it"
                    )
    log.info("Shut down cleanly")
    return 0


def _shutdown(bot: IntervisionBot, signum: int) -> None:
    log.info("Received %s; shutting down", signal.Signals(signum).name)
    asyncio.get_running_loop().create_task(bot.close())


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m bot`` and the ``intervision`` console script.

    ``intervision`` runs the bot; ``intervision summarize ...`` summarizes a JSONL file of
    replies (see :mod:`bot.summarize`).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["summarize"]:
        # Loaded on demand: the command needs the language models, not the Discord client.
        from bot.summarize import run  # noqa: PLC0415

        return run(args[1:], sys.stdout, sys.stderr, load_starter_catalog())
    parser = argparse.ArgumentParser(
        prog="intervision",
        description="Run the Intervision bot (settings come from the environment and .env).",
        epilog="Other commands: intervision summarize --help",
    )
    parser.parse_args(args)
    settings = load_settings()
    configure_logging(settings.log_level_number, settings.log_format, settings.shard_count or 1)
    point_at_discord(settings)
    try:
        return asyncio.run(run_bot(settings))
    except CatalogError as error:
        log.critical("The built-in dilemma catalog is invalid: %s", error)
        return 1
    except MetricsPortError as error:
        log.critical("%s", error)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
