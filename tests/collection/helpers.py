"""Arranging an open dilemma post with its thread, the way the posting code leaves it."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import discord
from simcord.builders import ChannelHandle
from simcord.results import to_discord_message

from bot.__main__ import load_starter_catalog
from bot.domain.posts import Post, share_custom_id
from bot.services.ports import Repository

_nonces = itertools.count(1)


@dataclass(frozen=True)
class OpenDilemma:
    """A posted dilemma: the post row, its message in the channel and its discussion thread."""

    post: Post
    message: discord.Message
    thread: ChannelHandle


async def open_dilemma(
    env: Any, repository: Repository, guild: Any, channel: Any, topic: str = "confidentiality"
) -> OpenDilemma:
    """Queue ``topic`` in the guild, post it in ``channel`` as the bot, open its thread."""
    [dilemma] = [d for d in load_starter_catalog() if d.topic == topic]
    if topic not in await repository.topics(guild.id):
        await repository.add_dilemmas(guild.id, [dilemma])
    claim = await repository.claim_post(
        guild.id,
        slot=env.now() + timedelta(minutes=next(_nonces)),  # one post per slot
        nonce=f"test-{uuid.uuid4()}",
        channel_id=channel.id,
        expected_next=None,
        next_post_at=None,
        topic=topic,
    )
    assert claim.post is not None
    backend = env.backend
    title = dilemma.text("en-US", "en-US").title
    button = {
        "type": 2,
        "style": 1,
        "label": "Share a strategy",
        "custom_id": share_custom_id(claim.post.id),
    }
    message = backend.create_message(
        channel.id,
        backend.bot_user.id,
        "",
        embeds=[{"title": title}],
        components=[{"type": 1, "components": [button]}],
    )
    thread = backend.create_thread(channel.id, title, backend.bot_user.id, message_id=message.id)
    await repository.mark_post_open(
        claim.post.id, message_id=message.id, thread_id=thread.id, posted_at=env.now()
    )
    await env.settle()
    post = await repository.open_post_by_thread(guild.id, thread.id)
    assert post is not None
    return OpenDilemma(post, to_discord_message(env, message), ChannelHandle(env, guild, thread))
