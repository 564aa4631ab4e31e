"""Load test: the real bot process against the wire-level fake Discord, over 127.0.0.1 only.

Sets up ``--guilds`` guilds, each with a posted dilemma whose thread is open (seeded in the
database before the bot starts), then sends ``--per-guild`` member replies into every thread
concurrently (MESSAGE_CREATE over the gateway) while ``--rate`` ``/guidance`` interactions per
second arrive. Waits until the bot has stored every reply (or is idle), then prints JSON:

- ``throughput_strategies_per_s``: strategies stored / seconds from the first reply sent to the
  last one stored;
- ``interaction_latency_ms``: p50/p99/max from INTERACTION_CREATE sent to the callback received;
- ``errors``: unanswered or failed interactions, ERROR lines of the bot, fake-side failures;
- ``strategies_sent`` / ``strategies_stored`` (rows in the database; they must be equal).

Usage::

    .venv/bin/python scripts/load.py --backend sqlite --guilds 5 --per-guild 100 --rate 20
    .venv/bin/python scripts/load.py --backend postgresql  # 50 x 1000, 20/s (the full run)

PostgreSQL: a fresh schema in ``--postgres-url`` (default the test server), dropped afterwards.
Exit status 0 when stored == sent and there were no errors, 1 otherwise, 2 on the hard timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import asyncpg  # noqa: E402

from tests.wire.bot_runner import (  # noqa: E402
    open_post_on_thread,
    problems,
    run_bot,
    stored_message_ids,
)
from tests.wire.fake_discord import FakeDiscord, InteractionHandle  # noqa: E402

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
MEMBERS_PER_GUILD = 20
REPLIES = (
    "I would remind them of our confidentiality agreement and ask what is driving this.",
    "Ich würde zuerst nach den Beweggründen fragen und die Folgen gemeinsam abwägen.",
    "Eu conversaria com meu supervisor antes de agir e documentaria a conversa.",
    "Stay calm and empathic, then explore alternatives that respect the boundary.",
    "Check the legal duty first: harm to others is where confidentiality ends.",
    "Je proposerais de répéter ensemble comment en parler, avec son accord explicite.",
)


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return round(ordered[index], 1)


@contextlib.asynccontextmanager
async def _database(backend: str, workdir: Path, postgres_url: str) -> AsyncIterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'load.db'}"
        return
    schema = f"load_{secrets.token_hex(5)}"
    admin = await asyncpg.connect(postgres_url, timeout=5)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        yield f"{postgres_url}?search_path={schema}"
    finally:
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.close()


def _build_world(fake: FakeDiscord, guilds: int) -> list[tuple[int, int, int, list[int]]]:
    """``guilds`` guilds, each (guild id, channel id, thread id, member ids)."""
    world = []
    for g in range(guilds):
        guild_id = int(fake.add_guild(f"Circle {g}")["id"])
        members = []
        for m in range(MEMBERS_PER_GUILD):
            uid = int(fake.add_user(f"coach{g}_{m}")["id"])
            fake.add_member(guild_id, uid)
            members.append(uid)
        channel_id = int(fake.add_channel(guild_id, "dilemmas")["id"])
        thread_id = int(fake.add_thread(channel_id, "Confidentiality")["id"])
        world.append((guild_id, channel_id, thread_id, members))
    return world


async def _replies(
    fake: FakeDiscord, thread_id: int, members: list[int], count: int, sent: list[int]
) -> None:
    for n in range(count):
        message = await fake.user_message(
            thread_id, members[n % len(members)], f"{REPLIES[n % len(REPLIES)]} ({n})"
        )
        sent.append(int(message["id"]))
        if n % 50 == 49:
            await asyncio.sleep(0)  # let the other guilds and the fake's server run


async def _guidance_load(
    fake: FakeDiscord,
    world: list[tuple[int, int, int, list[int]]],
    rate: float,
    stop: asyncio.Event,
    handles: list[tuple[float, InteractionHandle]],
) -> None:
    if rate <= 0:
        return
    topics = ("confidentiality", "gifts", "dual_relationship", "therapy_boundary")
    interval, n = 1.0 / rate, 0
    start = time.monotonic()
    while not stop.is_set():
        guild_id, channel_id, _thread, members = world[n % len(world)]
        sent_at = time.monotonic()
        handle = await fake.slash(
            guild_id,
            channel_id,
            members[n % len(members)],
            "guidance",
            {"topic": topics[n % len(topics)]},
            locale="en-US",
        )
        handles.append((sent_at, handle))
        n += 1
        await asyncio.sleep(max(0.0, start + n * interval - time.monotonic()))


async def _wait_stored(url: str, expected: int, idle: float, deadline: float) -> list[int]:
    """Poll the database until ``expected`` rows, or no progress for ``idle`` s, or deadline."""
    stored: list[int] = []
    last_change, last_count = time.monotonic(), -1
    while time.monotonic() < deadline:
        stored = await stored_message_ids(url)
        if len(stored) != last_count:
            last_change, last_count = time.monotonic(), len(stored)
        if len(stored) >= expected or time.monotonic() - last_change > idle:
            break
        await asyncio.sleep(0.25)
    return stored


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """One load run; returns the report."""
    deadline = time.monotonic() + args.timeout
    report: dict[str, Any] = {
        "backend": args.backend,
        "guilds": args.guilds,
        "per_guild": args.per_guild,
        "guidance_rate_per_s": args.rate,
    }
    with tempfile.TemporaryDirectory(prefix="intervision-load-") as tmp:
        workdir = Path(tmp)
        async with (
            FakeDiscord(seed=False, interaction_deadline=3.0) as fake,
            _database(args.backend, workdir, args.postgres_url) as url,
        ):
            world = _build_world(fake, args.guilds)
            for guild_id, channel_id, thread_id, _members in world:
                await open_post_on_thread(url, guild_id, channel_id, thread_id)
            async with run_bot(fake, workdir, url, dev_guild=False) as bot:
                started = time.monotonic()
                await fake.wait_for_request("PUT", r"/applications/\d+/commands", timeout=60)
                await fake.wait_for_session(timeout=60)
                # Let the start-up catch-up finish before the clock starts.
                await fake.wait_until(
                    lambda: any("Connected as" in line for line in bot.lines),
                    timeout=60,
                    what="the bot's ready log line",
                )
                report["startup_s"] = round(time.monotonic() - started, 2)
                sent: list[int] = []
                handles: list[tuple[float, InteractionHandle]] = []
                stop = asyncio.Event()
                t0 = time.monotonic()
                guidance = asyncio.create_task(
                    _guidance_load(fake, world, args.rate, stop, handles)
                )
                await asyncio.gather(
                    *(
                        _replies(fake, thread_id, members, args.per_guild, sent)
                        for _g, _c, thread_id, members in world
                    )
                )
                report["send_s"] = round(time.monotonic() - t0, 2)
                stored = await _wait_stored(url, len(sent), args.idle, deadline)
                t_stored = time.monotonic()
                stop.set()
                await guidance
                await asyncio.sleep(3.5)  # the last interactions' deadline
                timed_out = time.monotonic() >= deadline
                code = await bot.terminate()
            callbacks = {
                r.path.split("/")[2]: r.at
                for r in fake.requests
                if r.path.startswith("/interactions/") and r.path.endswith("/callback")
            }
            latencies, unanswered, failed = [], 0, 0
            for sent_at, handle in handles:
                at = callbacks.get(handle.payload["id"])
                if at is None:
                    unanswered += 1
                else:
                    latencies.append((at - sent_at) * 1000)
                failed += bool(handle.errors)
            elapsed = max(t_stored - t0, 1e-9)
            bot_errors = problems(bot.lines)
            report.update(
                strategies_sent=len(sent),
                strategies_stored=len(stored),
                strategies_distinct=len(set(stored)),
                missing=len(set(sent) - set(stored)),
                seconds=round(elapsed, 2),
                throughput_strategies_per_s=round(len(stored) / elapsed, 1),
                interactions=len(handles),
                interaction_latency_ms={
                    "p50": _percentile(latencies, 0.5),
                    "p99": _percentile(latencies, 0.99),
                    "max": round(max(latencies), 1) if latencies else None,
                    "mean": round(statistics.fmean(latencies), 1) if latencies else None,
                },
                errors={
                    "interactions_unanswered": unanswered,
                    "interactions_failed": failed,
                    "bot_error_lines": len(bot_errors),
                    "fake_errors": len(fake.fake_errors),
                    "unhandled_routes": len(fake.unhandled),
                    "bot_exit_code": code,
                    "hard_timeout": timed_out,
                },
                bot_error_sample=bot_errors[:5],
            )
    return report


def main(argv: list[str] | None = None) -> int:
    """Parse options, run once, print the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--guilds", type=int, default=50)
    parser.add_argument("--per-guild", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20.0, help="/guidance calls per second")
    parser.add_argument("--timeout", type=float, default=900.0, help="hard limit, seconds")
    parser.add_argument("--idle", type=float, default=30.0, help="stop waiting after no progress")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    args = parser.parse_args(argv)
    try:
        report = asyncio.run(asyncio.wait_for(run(args), timeout=args.timeout + 60))
    except TimeoutError:
        print(json.dumps({"error": "hard timeout", "timeout_s": args.timeout}))
        return 2
    print(json.dumps(report, indent=2, ensure_ascii=False))
    errors = report["errors"]
    clean = not any(errors.values())
    exact = (
        report["strategies_stored"] == report["strategies_distinct"] == report["strategies_sent"]
    )
    return 0 if clean and exact else 1


if __name__ == "__main__":
    raise SystemExit(main())
