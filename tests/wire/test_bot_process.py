"""The unmodified bot process (``python -m bot``) against the fake Discord, over real sockets."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .fake_discord import FakeDiscord
from .spec import assert_requests_valid

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from .spec import SpecValidator

pytestmark = pytest.mark.asyncio

REPO_ROOT = Path(__file__).resolve().parents[2]
WAIT = 10.0
COMMAND_LOCALES = ("de", "pt-BR", "es-ES", "fr")
GERMAN_KEY_POINT = "Bekräftigen Sie die Bedeutung der Vertraulichkeit"
PORTUGUESE_KEY_POINT = "Reforce a importância da confidencialidade"
# Variables the bot reads; never inherited from the developer's shell.
BOT_VARIABLES = ("DISCORD_", "DATABASE_URL", "DEV_GUILD_ID", "LOG_LEVEL", "DEFAULT_LOCALE")

if not (REPO_ROOT / "bot" / "__main__.py").is_file():
    pytest.skip("bot/__main__.py does not exist yet", allow_module_level=True)


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
async def bot_process(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[BotProcess]:
    """Start the bot pointed at ``fake``, in ``tmp_path`` (so no developer ``.env`` is read)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(BOT_VARIABLES)}
    env.update(
        DISCORD_TOKEN=fake.token,
        DISCORD_API_BASE_URL=fake.api_base,
        DISCORD_GATEWAY_URL=fake.gateway_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
        DEV_GUILD_ID=str(fake.guild_id),
        LOG_LEVEL="INFO",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")])),
        PYTHONUNBUFFERED="1",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
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


async def test_bot_process_end_to_end(tmp_path: Path, spec_validator: SpecValidator | None) -> None:
    # A distinctive token, so that any leak into the logs is unmistakable.
    async with (
        FakeDiscord(token=f"fake.token.{secrets.token_hex(12)}") as fake,
        bot_process(fake, tmp_path) as bot,
    ):
        try:
            sync = await fake.wait_for_request(
                "PUT",
                rf"/applications/{fake.application_id}/guilds/{fake.guild_id}/commands",
                timeout=WAIT,
            )
            assert sync.status == 200, sync.response
            guidance = next(c for c in sync.json if c["name"] == "guidance")
            for key in ("name_localizations", "description_localizations"):
                missing = [loc for loc in COMMAND_LOCALES if loc not in (guidance[key] or {})]
                assert not missing, f"/guidance {key} lacks {missing}"

            await fake.wait_for_session(timeout=WAIT)

            german = await fake.slash(
                fake.guild_id,
                fake.general_id,
                fake.member_ids["anna"],
                "guidance",
                {"topic": "confidentiality"},
                locale="de",
            )
            await german.wait_text(GERMAN_KEY_POINT, timeout=WAIT)

            await fake.user_message(
                fake.thread_id,
                fake.member_ids["claire"],
                "First, stay calm. Remind them gently about our confidentiality agreement "
                "and ask what's driving this.",
            )

            portuguese = await fake.slash(
                fake.guild_id,
                fake.thread_id,
                fake.member_ids["joao"],
                "guidance",
                {"topic": "confidentiality"},
                locale="pt-BR",
            )
            await portuguese.wait_text(PORTUGUESE_KEY_POINT, timeout=WAIT)
            assert GERMAN_KEY_POINT not in portuguese.text()

            choices = await fake.autocomplete(
                fake.guild_id,
                fake.general_id,
                fake.member_ids["maria"],
                "guidance",
                {"topic": "confid"},
                focused="topic",
                locale="es-ES",
            )
            callback = await choices.wait_callback(timeout=WAIT)
            assert callback["type"] == 8
            assert "confidentiality" in [c["value"] for c in callback["data"]["choices"]]

            for handle in (german, portuguese, choices):
                assert handle.errors == [], handle.errors
        except (AssertionError, TimeoutError, LookupError, ValueError) as exc:
            raise AssertionError(f"{exc}\n--- bot output ---\n{bot.tail()}") from exc
        code = await bot.terminate()

    output = bot.output
    assert code == 0, f"exit code {code}\n{bot.tail()}"
    problems = [line for line in bot.lines if re.search(r"\b(ERROR|CRITICAL)\b|Traceback", line)]
    assert not problems, "\n".join(problems)
    assert fake.token not in output, "the bot printed its token"
    assert not fake.unhandled, [str(r) for r in fake.unhandled]
    assert not fake.fake_errors, fake.fake_errors
    assert_requests_valid(spec_validator, fake.requests)
