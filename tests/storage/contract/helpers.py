"""Builders shared by the contract tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bot.domain.dilemmas import CustomTheme, Dilemma, DilemmaText
from bot.domain.posts import Post
from bot.domain.strategies import Analysis, NewStrategy, member_key
from bot.services.ports import ClaimOutcome, Repository

#: Real Discord ids are 64-bit snowflakes; these do not fit in 32 bits.
GUILD = 1_180_000_000_000_000_001
OTHER_GUILD = 1_180_000_000_000_000_002
SLOT = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
T0 = datetime(2026, 1, 5, 9, 30, 15, 123456, tzinfo=UTC)


def dilemma(topic: str, *, custom_themes: bool = False) -> Dilemma:
    """A dilemma with two locales (in a non-alphabetical order), tags and references."""
    texts = {
        "pt-BR": DilemmaText("Título", "Pergunta?", ("um", "dois", "três")),
        "en-US": DilemmaText("Title", "Prompt?", ("one", "two", "three")),
    }
    themes = (
        (CustomTheme("discretion", {"en-US": "Discretion", "de": "Diskretion"}, ("quiet",)),)
        if custom_themes
        else ()
    )
    return Dilemma(topic, texts, tags=("ethics", "ICF"), references=("ICF 4.1",), themes=themes)


async def open_post(
    store: Repository,
    topic: str,
    *,
    thread_id: int,
    guild_id: int = GUILD,
    slot: datetime | None = None,
) -> Post:
    """A post of ``topic`` (added to the queue if needed) whose thread ``thread_id`` is open."""
    if topic not in await store.topics(guild_id):
        await store.add_dilemmas(guild_id, [dilemma(topic)])
    claim = await store.claim_post(
        guild_id,
        slot=slot or SLOT + timedelta(minutes=thread_id % 100_000),
        nonce=f"nonce-{guild_id}-{thread_id}",
        channel_id=10,
        expected_next=None,
        next_post_at=None,
        topic=topic,
    )
    assert claim.outcome is ClaimOutcome.CLAIMED, claim
    assert claim.post is not None
    await store.mark_post_open(
        claim.post.id, message_id=thread_id, thread_id=thread_id, posted_at=T0
    )
    post = await store.open_post_by_thread(guild_id, thread_id)
    assert post is not None
    return post


def strategy(
    post: Post,
    message_id: int,
    user_id: int,
    *,
    themes: Sequence[str] = (),
    language: str = "en",
    created_at: datetime = T0,
    author_key: str | None = None,
    counted_as: str | None = None,
    quotes: Sequence[tuple[str, str]] = (),
    anonymous: bool = False,
    shared: bool = False,
    text: str = "Ask your supervisor and review the agreement.",
) -> NewStrategy:
    """A new strategy on ``post`` by member ``user_id`` (named unless ``author_key`` says)."""
    return NewStrategy(
        guild_id=post.guild_id,
        post_id=post.id,
        message_id=message_id,
        author_key=author_key or member_key(user_id),
        author_id=None if anonymous else user_id,
        anonymous=anonymous,
        text=text,
        analysis=Analysis(language, tuple(sorted(themes))),
        created_at=created_at,
        shared=shared,
        member_key=counted_as,
        quotes=tuple(quotes),
    )
