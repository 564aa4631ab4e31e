"""``/healthz`` and ``/metrics`` on a real socket, and nothing served without ``METRICS_PORT``."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import socket
from collections.abc import Iterable

import aiohttp
import pytest
from aiohttp import web

from bot.metrics import Metrics, Sample
from bot.observability import (
    PROMETHEUS_CONTENT_TYPE,
    BotProbe,
    Health,
    MetricsPortError,
    MetricsServer,
    rate_limit_trace,
    serve_metrics,
)


class StubProbe:
    def __init__(self, health: Health) -> None:
        self.state = health

    async def health(self) -> Health:
        return self.state

    def gauges(self) -> Iterable[Sample]:
        return [Sample("intervision_guilds", "Guilds.", 3)]


async def _get(port: int, path: str) -> tuple[int, str, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}{path}") as response,
    ):
        return response.status, response.headers["Content-Type"], await response.text()


async def test_both_routes_answer_on_a_random_port() -> None:
    metrics = Metrics()
    metrics.post_published()
    probe = StubProbe(Health(gateway=True, database=True))
    async with serve_metrics(metrics, probe, host="127.0.0.1", port=0) as server:
        assert server is not None
        assert server.port
        status, kind, body = await _get(server.port, "/healthz")
        assert (status, kind) == (200, "application/json; charset=utf-8")
        assert json.loads(body) == {"status": "ok", "gateway": True, "database": True}

        probe.state = Health(gateway=False, database=True)
        status, _, body = await _get(server.port, "/healthz")
        assert status == 503
        assert json.loads(body)["gateway"] is False

        status, kind, body = await _get(server.port, "/metrics")
        assert (status, kind) == (200, PROMETHEUS_CONTENT_TYPE)
        assert "intervision_posts_total 1\n" in body
        assert "# TYPE intervision_guilds gauge\nintervision_guilds 3\n" in body
        port = server.port
    with pytest.raises(aiohttp.ClientConnectionError):
        await _get(port, "/healthz")  # stopped on exit


async def test_without_a_port_nothing_is_served() -> None:
    async with serve_metrics(
        Metrics(), StubProbe(Health(True, True)), host="127.0.0.1", port=None
    ) as server:
        assert server is None


async def test_a_taken_port_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = MetricsServer(
            Metrics(), StubProbe(Health(True, True)), host="127.0.0.1", port=port
        )
        with pytest.raises(
            MetricsPortError, match=f"127.0.0.1:{port} \\(METRICS_HOST, METRICS_PORT\\)"
        ):
            await server.start()


class FakeClient:
    def __init__(self, *, ready: bool = True, latency: float = 0.05) -> None:
        self.guilds = [object(), object()]
        self.latency = latency
        self._ready = ready

    def is_ready(self) -> bool:
        return self._ready

    def is_closed(self) -> bool:
        return False


class FakeShardedClient(FakeClient):
    @property
    def latencies(self) -> list[tuple[int, float]]:
        return [(2, 0.1), (3, self.latency)]


async def _answers() -> int:
    return 1


async def _fails() -> int:
    raise ConnectionRefusedError("database down")


async def _hangs() -> int:
    await asyncio.sleep(10)
    return 1


async def test_the_probe_needs_a_connected_gateway_and_an_answering_database(
    caplog: pytest.LogCaptureFixture,
) -> None:
    probe = BotProbe(_answers)
    assert await probe.health() == Health(gateway=False, database=True)  # no bot yet
    assert list(probe.gauges()) == []
    probe.bot = FakeClient()
    assert (await probe.health()).ok
    probe.bot = FakeClient(latency=math.nan)  # the connection is gone
    assert not (await probe.health()).gateway
    probe.bot = FakeClient(ready=False)
    assert not (await probe.health()).gateway
    probe.bot = FakeClient()
    with caplog.at_level(logging.WARNING):
        probe.database_check = _fails
        assert await probe.health() == Health(gateway=True, database=False)
        probe = BotProbe(_hangs, timeout=0.05)
        assert not (await probe.health()).database
    assert "database does not answer" in caplog.text


def test_gauges_report_guilds_and_the_latency_of_each_shard() -> None:
    probe = BotProbe(_answers)
    probe.bot = FakeShardedClient(latency=math.inf)
    samples = list(probe.gauges())
    text = Metrics().render(samples)
    assert "intervision_guilds 2\n" in text
    assert 'intervision_shard_latency_seconds{shard="2"} 0.1\n' in text
    assert 'intervision_shard_latency_seconds{shard="3"} +Inf\n' in text
    assert text.count("# TYPE intervision_shard_latency_seconds gauge") == 1
    probe.bot = FakeClient()
    assert 'intervision_shard_latency_seconds{shard="0"} 0.05' in Metrics().render(probe.gauges())


async def test_http_429_answers_are_counted_by_scope() -> None:
    async def limited(request: web.Request) -> web.Response:
        headers = {"X-RateLimit-Global": "true"} if request.path == "/global" else {}
        return web.json_response({"retry_after": 0.1}, status=429, headers=headers)

    app = web.Application()
    app.router.add_get("/route", limited)
    app.router.add_get("/global", limited)
    app.router.add_get("/fine", _fine)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    metrics = Metrics()
    try:
        async with aiohttp.ClientSession(trace_configs=[rate_limit_trace(metrics)]) as session:
            for path in ("/route", "/route", "/global", "/fine"):
                async with session.get(f"http://127.0.0.1:{port}{path}") as response:
                    await response.read()
    finally:
        await runner.cleanup()
    assert dict(metrics.rate_limits) == {"route": 2, "global": 1}


async def _fine(request: web.Request) -> web.Response:
    return web.Response(text="ok")
