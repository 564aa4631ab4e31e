"""Operations: structured logs, the rate-limit trace, and the ``/healthz`` + ``/metrics`` server.

**Logs.** One line per record. Every line names the guild and the shard it concerns
(``guild=- shard=-`` when none): a record's ``extra={"guild": id}`` wins, else the guild of the
event being handled, which :class:`bot.client.IntervisionBot` puts in :data:`current_guild` when
it dispatches an event, runs a slash command or receives a button, select menu or modal
interaction (asyncio copies the context into each listener's and each interaction's task, so
everything logged while handling that event carries it). The shard is derived from the
guild id as Discord does: ``(guild_id >> 22) % shard_count``. ``LOG_FORMAT=json`` writes one JSON
object per line instead of text.

**Metrics server** (opt-in, ``METRICS_PORT``): ``GET /healthz`` answers 200 with
``{"status": "ok", ...}`` when the gateway is connected and the database answers, else 503;
``GET /metrics`` is :meth:`bot.metrics.Metrics.render` plus gauges read at scrape time.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, Literal, Protocol

import aiohttp
from aiohttp import web

from bot.metrics import Metrics, Sample

log = logging.getLogger(__name__)

LogFormat = Literal["text", "json"]
TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s guild=%(guild)s shard=%(shard)s: %(message)s"

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

#: The guild whose event is being handled (set by the bot's dispatch, its command tree and its
#: interaction parser).
current_guild: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "intervision_guild", default=None
)


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord routes ``guild_id`` to."""
    return (guild_id >> 22) % shard_count


class GuildContext(logging.Filter):
    """Adds ``guild`` and ``shard`` to every record (``"-"`` when no guild is known).

    Install it on the handler so records of every logger get the fields. It never drops a record.
    """

    def __init__(self, shard_count: int = 1) -> None:
        super().__init__()
        self._shard_count = shard_count

    def filter(self, record: logging.LogRecord) -> bool:
        """Fill in the fields; always keep the record."""
        guild = getattr(record, "guild", None)
        if not isinstance(guild, int):
            guild = current_guild.get()
        record.guild = "-" if guild is None else guild
        shard = getattr(record, "shard", None)
        if not isinstance(shard, int):
            shard = "-" if guild is None else shard_of(guild, self._shard_count)
        record.shard = shard
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, guild, shard (and the traceback
    as ``exc`` when there is one)."""

    def format(self, record: logging.LogRecord) -> str:
        """Serialize ``record``; the message is formatted with its arguments first."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "guild": getattr(record, "guild", "-"),
            "shard": getattr(record, "shard", "-"),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def log_handler(log_format: LogFormat = "text", shard_count: int = 1) -> logging.Handler:
    """A stderr handler writing one line per record with the guild and shard."""
    handler = logging.StreamHandler()
    handler.addFilter(GuildContext(shard_count))
    formatter = JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(formatter)
    return handler


def guild_of(args: Iterable[Any]) -> int | None:
    """The guild id an event's arguments belong to, if any: the first argument with an int
    ``guild_id`` (raw payloads, interactions) or a ``guild`` with an ``id`` (messages, members)."""
    for arg in args:
        guild_id = getattr(arg, "guild_id", None)
        if isinstance(guild_id, int):
            return guild_id
        guild = getattr(arg, "guild", None)
        guild_id = getattr(guild, "id", None)
        if isinstance(guild_id, int):
            return guild_id
    return None


# -- rate limits -----------------------------------------------------------------------------


def rate_limit_trace(metrics: Metrics) -> aiohttp.TraceConfig:
    """An aiohttp trace (discord.py's ``http_trace`` option) counting HTTP 429 answers, global
    (``X-RateLimit-Global``) or per route. discord.py retries them itself."""
    trace = aiohttp.TraceConfig()

    async def on_request_end(
        session: aiohttp.ClientSession,
        context: SimpleNamespace,
        params: aiohttp.TraceRequestEndParams,
    ) -> None:
        if params.response.status == 429:
            is_global = params.response.headers.get("X-RateLimit-Global", "").lower() == "true"
            metrics.rate_limited("global" if is_global else "route")

    trace.on_request_end.append(on_request_end)
    return trace


# -- the HTTP endpoint -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Health:
    """What ``/healthz`` reports."""

    gateway: bool
    database: bool

    @property
    def ok(self) -> bool:
        """Both the gateway and the database are fine."""
        return self.gateway and self.database


class Probe(Protocol):
    """Reads the live state the endpoint reports (see :class:`BotProbe`)."""

    async def health(self) -> Health:
        """Gateway connected and database answering?"""
        ...

    def gauges(self) -> Iterable[Sample]:
        """Gauges measured now (guilds, shard latency)."""
        ...


class _Client(Protocol):
    """The parts of the discord.py client the probe reads (``latencies`` too when sharded)."""

    @property
    def guilds(self) -> Any: ...

    @property
    def latency(self) -> float: ...

    def is_ready(self) -> bool: ...

    def is_closed(self) -> bool: ...


class BotProbe:
    """The probe of a running bot. ``bot`` is set once it is built (``None``: not connected);
    ``database_check`` is any cheap query (``None``: no database yet), bounded by ``timeout``
    seconds."""

    def __init__(
        self,
        database_check: Callable[[], Awaitable[object]] | None = None,
        *,
        timeout: float = 2.0,
    ) -> None:
        self.bot: _Client | None = None
        self.database_check = database_check
        self._timeout = timeout

    async def health(self) -> Health:
        """Connected: ready, not closed, and every shard's latency measured (a closed gateway
        connection has none). Database: the check query answers in time."""
        gateway = False
        bot = self.bot
        if bot is not None and bot.is_ready() and not bot.is_closed():
            gateway = all(math.isfinite(latency) for _, latency in self._latencies(bot))
        if self.database_check is None:
            return Health(gateway, database=False)
        try:
            await asyncio.wait_for(self.database_check(), self._timeout)
        except Exception as error:  # any failure means "not healthy", and is reported
            log.warning("Health check: the database does not answer: %r", error)
            database = False
        else:
            database = True
        return Health(gateway, database)

    def gauges(self) -> Iterable[Sample]:
        """``intervision_guilds`` and ``intervision_shard_latency_seconds{shard=...}``."""
        bot = self.bot
        if bot is None:
            return []
        samples = [Sample("intervision_guilds", "Guilds this process serves.", len(bot.guilds))]
        for shard, latency in self._latencies(bot):
            samples.append(
                Sample(
                    "intervision_shard_latency_seconds",
                    "Gateway heartbeat latency, by shard.",
                    latency,
                    (("shard", str(shard)),),
                )
            )
        return samples

    @staticmethod
    def _latencies(bot: _Client) -> list[tuple[int, float]]:
        latencies = getattr(bot, "latencies", None)  # AutoShardedClient: one per shard
        if latencies is None:
            return [(getattr(bot, "shard_id", None) or 0, float(bot.latency))]
        return [(int(shard), float(latency)) for shard, latency in latencies]


class MetricsPortError(Exception):
    """The metrics server could not listen on its address; the message names the settings."""


class MetricsServer:
    """``GET /healthz`` and ``GET /metrics`` on ``host:port`` (port 0: any free port, see
    :attr:`port`). :meth:`start` binds; :meth:`stop` closes the socket and open requests."""

    def __init__(self, metrics: Metrics, probe: Probe, *, host: str, port: int) -> None:
        self._metrics = metrics
        self._probe = probe
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self) -> None:
        """Serve until :meth:`stop`; raises :class:`MetricsPortError` when the address cannot
        be bound (port taken, unknown host)."""
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._render)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        try:
            await site.start()
        except OSError as error:
            await self.stop()
            raise MetricsPortError(
                f"Cannot serve metrics on {self._host}:{self._port} (METRICS_HOST, METRICS_PORT):"
                f" {error.strerror or error}"
            ) from error
        self.port = int(self._runner.addresses[0][1])
        log.info("Metrics and health served on http://%s:%s", self._host, self.port)

    async def stop(self) -> None:
        """Stop serving (idempotent)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, request: web.Request) -> web.Response:
        health = await self._probe.health()
        body = {
            "status": "ok" if health.ok else "unavailable",
            "gateway": health.gateway,
            "database": health.database,
        }
        return web.json_response(body, status=200 if health.ok else 503)

    async def _render(self, request: web.Request) -> web.Response:
        text = self._metrics.render(self._probe.gauges())
        return web.Response(body=text.encode(), headers={"Content-Type": PROMETHEUS_CONTENT_TYPE})


@contextlib.asynccontextmanager
async def serve_metrics(
    metrics: Metrics, probe: Probe, *, host: str, port: int | None
) -> AsyncIterator[MetricsServer | None]:
    """Serve ``/healthz`` and ``/metrics`` while the block runs; nothing when ``port`` is
    ``None`` (``METRICS_PORT`` unset). Stopped on exit, also on errors and cancellation."""
    if port is None:
        yield None
        return
    server = MetricsServer(metrics, probe, host=host, port=port)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
