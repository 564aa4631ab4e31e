"""What the bot counts and logs while it works (the real bot under simcord), and the exposition
format of the counters."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import discord
import pytest

from bot.client import IntervisionBot
from bot.domain.posts import share_custom_id
from bot.metrics import Metrics
from bot.observability import current_guild, log_handler, shard_of
from bot.storage.sqlite import SqliteRepository
from tests.collection.helpers import open_dilemma

pytestmark = pytest.mark.simcord(settle_timeout=120)


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Everything logged during the test, as ``python -m bot`` formats it (text)."""
    stream = io.StringIO()
    handler = log_handler("text", shard_count=1)
    handler.setStream(stream)  # type: ignore[attr-defined]
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


async def test_a_post_a_reply_and_guidance_are_counted_and_logged_with_the_guild(
    simcord_env: Any, simcord_bot: IntervisionBot, log_lines: io.StringIO
) -> None:
    metrics = simcord_bot.services.metrics
    guild = simcord_env.create_guild("Coaches")
    channel = guild.create_text_channel("dilemmas")
    mods = guild.create_role("Mods", permissions=discord.Permissions(manage_guild=True))
    mod = guild.add_member(simcord_env.create_user("mod"), roles=[mods])
    member = guild.add_member(simcord_env.create_user("ana"))

    await mod.slash(
        channel, "dilemma setup", channel=channel, weekday=0, time="09:00", timezone="Europe/Berlin"
    )
    await mod.slash(channel, "dilemma post")
    assert metrics.posts == 1
    (thread,) = channel.threads
    await member.send(thread, "I would ask my supervisor and review the agreement.")
    await member.send(thread, "I would ask my supervisor and review the agreement.")  # 2nd reply
    assert metrics.strategies == 2
    result = await member.slash(channel, "guidance", topic="confidentiality")
    assert result.response is not None

    assert dict(metrics.interactions) == {
        ("dilemma setup", "ok"): 1,
        ("dilemma post", "ok"): 1,
        ("guidance", "ok"): 1,
    }
    text = metrics.render()
    assert 'intervision_interactions_total{command="guidance",outcome="ok"} 1' in text
    assert "intervision_interaction_duration_seconds_count 3" in text
    assert "intervision_strategies_total 2" in text

    posted = [line for line in log_lines.getvalue().splitlines() if ": posted " in line]
    assert len(posted) == 1
    assert f"guild={guild.id} shard=0:" in posted[0]


async def test_listeners_log_with_the_guild_of_their_event(
    simcord_env: Any, simcord_bot: IntervisionBot, log_lines: io.StringIO
) -> None:
    seen: list[int | None] = []

    async def on_message(message: discord.Message) -> None:
        seen.append(current_guild.get())
        logging.getLogger("tests.ops").info("saw a message")

    simcord_bot.add_listener(on_message)
    guild = simcord_env.create_guild("Coaches")
    channel = guild.create_text_channel("general")
    await guild.add_member(simcord_env.create_user("ana")).send(channel, "hello")
    assert seen == [guild.id]
    assert current_guild.get() is None  # the test's own context is untouched
    (line,) = [x for x in log_lines.getvalue().splitlines() if "saw a message" in x]
    assert f"guild={guild.id} shard=0" in line


async def test_buttons_and_modals_log_with_their_guild(
    simcord_env: Any,
    simcord_bot: IntervisionBot,
    repository: SqliteRepository,
    log_lines: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The share button (a persistent dynamic item), its modal, and the buttons of a view run in
    tasks discord.py starts itself: their log lines name the guild as slash commands' do."""
    seen: list[tuple[str, int | None]] = []

    def spy(name: str, method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def spied(*args: Any, **kwargs: Any) -> Any:
            seen.append((name, current_guild.get()))
            logging.getLogger("tests.ops").info("handling %s", name)
            return await method(*args, **kwargs)

        return spied

    collection, privacy = simcord_bot.services.collection, simcord_bot.services.privacy
    monkeypatch.setattr(collection, "share_target", spy("share", collection.share_target))
    monkeypatch.setattr(privacy, "forget", spy("forget", privacy.forget))
    guild = simcord_env.create_guild("Coaches")
    channel = guild.create_text_channel("dilemmas")
    ana = guild.add_member(simcord_env.create_user("ana"))
    dilemma = await open_dilemma(simcord_env, repository, guild, channel)

    shown = await ana.click(dilemma.message, custom_id=share_custom_id(dilemma.post.id))
    await ana.submit_modal(shown, {"strategy": "I would ask my supervisor.", "anonymous": False})
    asked = await ana.slash(channel, "privacy forget-me")
    await ana.click(asked.response, label="Erase my data")

    # The button's and the modal's share checks, then the confirmation button of forget-me.
    assert seen == [("share", guild.id), ("share", guild.id), ("forget", guild.id)]
    lines = [x for x in log_lines.getvalue().splitlines() if "handling" in x]
    assert len(lines) == 3
    assert all(f"guild={guild.id} shard=0:" in line for line in lines)
    assert current_guild.get() is None


def test_json_lines_carry_guild_and_shard() -> None:
    stream = io.StringIO()
    handler = log_handler("json", shard_count=4)
    handler.setStream(stream)  # type: ignore[attr-defined]
    logger = logging.getLogger("tests.ops.json")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        guild_id = (12345 << 22) | 1
        logger.warning("posting %s failed", "x", extra={"guild": guild_id})
        token = current_guild.set(7 << 22)
        try:
            logger.warning("from the context")
        finally:
            current_guild.reset(token)
        logger.warning("no guild")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    first, second, third = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "posting x failed"
    assert (first["guild"], first["shard"]) == (guild_id, shard_of(guild_id, 4))
    assert (second["guild"], second["shard"]) == (7 << 22, 3)
    assert (third["guild"], third["shard"]) == ("-", "-")
    assert first["level"] == "WARNING"


def test_the_exposition_format() -> None:
    metrics = Metrics(buckets=(0.1, 1.0))
    metrics.interaction('say "hi"', 0.05)
    metrics.interaction("guidance", 0.5, outcome="error")
    metrics.rate_limited("global")
    lines = metrics.render().splitlines()
    assert "# TYPE intervision_posts_total counter" in lines
    assert 'intervision_interactions_total{command="say \\"hi\\"",outcome="ok"} 1' in lines
    assert 'intervision_rate_limits_total{scope="global"} 1' in lines
    assert 'intervision_rate_limits_total{scope="route"} 0' in lines
    assert 'intervision_interaction_duration_seconds_bucket{le="0.1"} 1' in lines
    assert 'intervision_interaction_duration_seconds_bucket{le="1"} 2' in lines
    assert 'intervision_interaction_duration_seconds_bucket{le="+Inf"} 2' in lines
    assert "intervision_interaction_duration_seconds_sum 0.55" in lines
