"""Start the real bot process (``python -m bot``) against a :class:`FakeDiscord` over any
database URL, and read what it stored. Used by the fault tests and ``scripts/load.py``."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg

from bot.__main__ import load_starter_catalog
from bot.settings import database_backend, database_path
from bot.storage import open_repository

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping

    from .fake_discord import FakeDiscord

REPO_ROOT = Path(__file__).resolve().parents[2]
WAIT = 10.0
# Variables the bot reads; never inherited from the developer's shell.
BOT_VARIABLES = ("DISCORD_", "DATABASE_URL", "DEV_GUILD_ID", "LOG_LEVEL", "DEFAULT_LOCALE")
TOPIC = "confidentiality"
PROBLEM = re.compile(r"\b(ERROR|CRITICAL)\b|Traceback")


class BotProcess:
    """A running ``python -m bot`` whose combined stdout/stderr is collected line by line."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._pump = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))

    @property
    def output(self) -> str:
        """Everything the process printed so far."""
        return "\n".join(self.lines)

    def tail(self, count: int = 40) -> str:
        """The last ``count`` lines, for failure messages."""
        return "\n".join(self.lines[-count:])

    async def terminate(self) -> int:
        """SIGTERM, wait up to 10 s (then SIGKILL); return the exit code."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(self.process.wait(), timeout=WAIT)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise
        finally:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._pump, timeout=WAIT)
        return code


@contextlib.asynccontextmanager
async def run_bot(
    fake: FakeDiscord,
    workdir: Path,
    database_url: str,
    *,
    dev_guild: bool = True,
    extra_env: Mapping[str, str] | None = None,
) -> AsyncIterator[BotProcess]:
    """The bot pointed at ``fake`` and ``database_url``, run in ``workdir`` (no ``.env`` read);
    SIGTERM (then SIGKILL) on exit if still running."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(BOT_VARIABLES)}
    env.update(
        DISCORD_TOKEN=fake.token,
        DISCORD_API_BASE_URL=fake.api_base,
        DISCORD_GATEWAY_URL=fake.gateway_url,
        DATABASE_URL=database_url,
        LOG_LEVEL="INFO",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")])),
        PYTHONUNBUFFERED="1",
    )
    if dev_guild:
        env["DEV_GUILD_ID"] = str(fake.guild_id)
    env.update(extra_env or {})
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=workdir,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    bot = BotProcess(process)
    try:
        yield bot
    finally:
        if process.returncode is None:
            with contextlib.suppress(TimeoutError):
                await bot.terminate()


def problems(lines: list[str]) -> list[str]:
    """Lines that log an ERROR, CRITICAL or a traceback."""
    return [line for line in lines if PROBLEM.search(line)]


async def open_post_on_thread(
    database_url: str, guild_id: int, channel_id: int, thread_id: int, *, nonce: str = "wire"
) -> int:
    """Leave the database as posting does: the starter dilemma ``TOPIC`` posted in
    ``channel_id`` with its thread ``thread_id`` open. Returns the post id."""
    [dilemma] = [d for d in load_starter_catalog() if d.topic == TOPIC]
    async with await open_repository(database_url) as repository:
        await repository.add_dilemmas(guild_id, [dilemma])
        claim = await repository.claim_post(
            guild_id,
            slot=datetime.now(UTC),
            nonce=f"{nonce}{guild_id}",
            channel_id=channel_id,
            expected_next=None,
            next_post_at=None,
            topic=TOPIC,
        )
        assert claim.post is not None, claim.outcome
        await repository.mark_post_open(
            claim.post.id, message_id=thread_id, thread_id=thread_id, posted_at=datetime.now(UTC)
        )
        return claim.post.id


async def stored_message_ids(database_url: str) -> list[int]:
    """The message id of every stored strategy (duplicates kept, so doubles show)."""
    if database_backend(database_url) == "postgresql":
        connection = await asyncpg.connect(database_url)
        try:
            rows = await connection.fetch("SELECT message_id FROM strategies")
        finally:
            await connection.close()
        return [int(row["message_id"]) for row in rows]
    path = database_path(database_url)
    if not await asyncio.to_thread(path.exists):
        return []
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return [int(mid) for (mid,) in db.execute("SELECT message_id FROM strategies")]


async def wait_for_strategies(
    database_url: str, expected: set[int], *, within: float = 10.0
) -> list[int]:
    """Wait up to ``within`` seconds until every id of ``expected`` is stored; return all
    stored ids (possibly incomplete after the wait)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        stored = await stored_message_ids(database_url)
        if expected <= set(stored) or asyncio.get_running_loop().time() > deadline:
            return stored
        await asyncio.sleep(0.05)
