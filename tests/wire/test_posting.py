"""Posting a dilemma through the real HTTP path: the message (with nonce) and its thread."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

import discord
import pytest

from .bot_runner import WAIT
from .fake_discord import FakeDiscord
from .spec import assert_requests_valid
from .test_bot_process import bot_process

if TYPE_CHECKING:
    from .spec import SpecValidator

pytestmark = pytest.mark.asyncio
MODERATOR = discord.Permissions(
    manage_guild=True, view_channel=True, send_messages=True, use_application_commands=True
).value


async def test_manual_post_sends_message_with_nonce_and_opens_thread(
    tmp_path: Path, spec_validator: SpecValidator | None
) -> None:
    async with (
        FakeDiscord(token=f"fake.token.{secrets.token_hex(12)}") as fake,
        bot_process(fake, tmp_path) as bot,
    ):
        try:
            await fake.wait_for_request(
                "PUT",
                rf"/applications/{fake.application_id}/guilds/{fake.guild_id}/commands",
                timeout=WAIT,
            )
            await fake.wait_for_session(timeout=WAIT)
            mod = fake.member_ids["mod"]
            setup = await fake.slash(
                fake.guild_id,
                fake.general_id,
                mod,
                "dilemma setup",
                {
                    "channel": fake.general_id,
                    "weekday": 0,
                    "time": "09:00",
                    "timezone": "Europe/Berlin",
                },
                locale="en-US",
                permissions=MODERATOR,
            )
            await setup.wait_response(timeout=WAIT)
            assert "I'll post the next dilemma" in setup.text(), setup.text()
            post = await fake.slash(
                fake.guild_id,
                fake.general_id,
                mod,
                "dilemma post",
                {},
                locale="en-US",
                permissions=MODERATOR,
            )
            await post.wait_text("Posted `confidentiality`", timeout=WAIT)
            sent = await fake.wait_for_request(
                "POST", rf"/channels/{fake.general_id}/messages", timeout=WAIT
            )
            assert sent.json["enforce_nonce"] is True
            assert re.fullmatch(r"[0-9a-f]{20}", sent.json["nonce"])
            assert sent.json["components"][0]["components"][0]["custom_id"].startswith(
                "intervision:share:"
            )
            assert sent.json["allowed_mentions"] == {"parse": []}
            await fake.wait_for_request(
                "POST", rf"/channels/{fake.general_id}/messages/\d+/threads", timeout=WAIT
            )
        except (AssertionError, TimeoutError, LookupError, ValueError) as exc:
            raise AssertionError(f"{exc}\n--- bot output ---\n{bot.tail()}") from exc
        code = await bot.terminate()
    assert code == 0, bot.tail()
    assert not [line for line in bot.lines if re.search(r"\b(ERROR|CRITICAL)\b|Traceback", line)]
    assert not fake.unhandled, [str(r) for r in fake.unhandled]
    assert_requests_valid(spec_validator, fake.requests)
