"""The unmodified bot process (``python -m bot``) against the fake Discord, over real sockets."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .bot_runner import WAIT, BotProcess, problems, run_bot
from .fake_discord import FakeDiscord
from .spec import assert_requests_valid

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    from .spec import SpecValidator

pytestmark = pytest.mark.asyncio

COMMAND_LOCALES = ("de", "pt-BR", "es-ES", "fr")
GERMAN_KEY_POINT = "Bekräftigen Sie die Bedeutung der Vertraulichkeit"
PORTUGUESE_KEY_POINT = "Reforce a importância da confidencialidade"


def bot_process(fake: FakeDiscord, tmp_path: Path) -> AbstractAsyncContextManager[BotProcess]:
    """Start the bot pointed at ``fake``, in ``tmp_path`` (so no developer ``.env`` is read),
    with a SQLite file there."""
    return run_bot(fake, tmp_path, f"sqlite:///{tmp_path / 'x.db'}")


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
    logged = problems(bot.lines)
    assert not logged, "\n".join(logged)
    assert fake.token not in output, "the bot printed its token"
    assert not fake.unhandled, [str(r) for r in fake.unhandled]
    assert not fake.fake_errors, fake.fake_errors
    assert_requests_valid(spec_validator, fake.requests)
