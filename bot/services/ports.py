"""The ports services depend on: storage, named for each use, and the clock.

Implementations live in :mod:`bot.storage` (SQLite and PostgreSQL) and in the Discord
adapters under :mod:`bot.exts`; services depend only on these protocols. Every storage method
takes the guild id (or a post id owned by one guild): no query spans guilds.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol

from bot.domain.dilemmas import Dilemma, DilemmaStatus, QueuedDilemma
from bot.domain.guilds import GuildSettings
from bot.domain.posts import Post, PostState
from bot.domain.privacy import Erasure, MemberData, PostedForMember, PurgeSchedule
from bot.domain.strategies import Analysis, NewStrategy, Strategy, TopicStats
from bot.domain.summary import TopicSnapshot

#: Returns the current aware UTC time. Production passes ``discord.utils.utcnow``.
Clock = Callable[[], datetime]


class ClaimOutcome(Enum):
    """Result of trying to claim a posting slot."""

    CLAIMED = "claimed"
    TAKEN = "taken"  # another process (or an earlier run) already claimed this slot
    EMPTY = "empty"  # nothing queued
    UNKNOWN_TOPIC = "unknown_topic"


@dataclass(frozen=True, slots=True)
class Claim:
    """A claim's outcome; ``post`` is the new intent when ``CLAIMED``."""

    outcome: ClaimOutcome
    post: Post | None = None


class GuildStore(Protocol):
    """Guild settings."""

    async def guild_settings(self, guild_id: int) -> GuildSettings:
        """The guild's settings, or defaults when the guild never configured anything."""
        ...

    async def save_guild_settings(self, settings: GuildSettings) -> None:
        """Insert or update every field of the guild's settings."""
        ...

    async def scheduled_guilds(self) -> list[GuildSettings]:
        """Every guild with a running (not paused) schedule, soonest first."""
        ...

    async def advance_schedule(
        self, guild_id: int, expected: datetime, following: datetime
    ) -> bool:
        """Move ``next_post_at`` from ``expected`` to ``following``; ``False`` if it had moved."""
        ...


class DilemmaStore(Protocol):
    """A guild's queue of dilemmas."""

    async def guild_dilemmas(self, guild_id: int) -> Sequence[Dilemma]:
        """The guild's own dilemmas in queue order."""
        ...

    async def queue(
        self, guild_id: int, statuses: Sequence[DilemmaStatus] | None = ...
    ) -> list[QueuedDilemma]:
        """The guild's dilemmas with the given statuses (``None``: all), in queue order."""
        ...

    async def add_dilemmas(self, guild_id: int, dilemmas: Sequence[Dilemma]) -> None:
        """Append dilemmas to the guild's queue, all or none; raises on a duplicate topic."""
        ...

    async def topics(self, guild_id: int) -> set[str]:
        """Every topic the guild stores, whatever its status."""
        ...

    async def remove_queued(self, guild_id: int, topic: str) -> bool:
        """Delete a dilemma that was never posted; ``False`` if there is no such queued topic."""
        ...

    async def move_to_back(self, guild_id: int, topic: str) -> bool:
        """Move a queued dilemma to the end of the queue; ``False`` if it is not queued."""
        ...


class PostStore(Protocol):
    """Posts of dilemmas and their threads."""

    async def claim_post(
        self,
        guild_id: int,
        *,
        slot: datetime,
        nonce: str,
        channel_id: int,
        expected_next: datetime | None,
        next_post_at: datetime | None,
        topic: str | None = None,
    ) -> Claim:
        """Atomically claim a slot and record the intent to post (see the SQLite docstring)."""
        ...

    async def mark_post_open(
        self, post_id: int, *, message_id: int, thread_id: int | None, posted_at: datetime
    ) -> None:
        """Record the sent message and its thread."""
        ...

    async def mark_post_closed(self, post_id: int, closed_at: datetime) -> None:
        """The post's thread was recapped and archived."""
        ...

    async def abandon_post(self, post_id: int) -> None:
        """Forget an intent that never became a message; its dilemma returns to the queue."""
        ...

    async def posts_in_state(
        self, state: PostState, guild_ids: Collection[int] | None = None
    ) -> list[Post]:
        """Posts in ``state`` (for the given guilds, or all), oldest first."""
        ...

    async def open_posts(self, guild_ids: Collection[int] | None = None) -> list[Post]:
        """Posts whose thread is collecting strategies."""
        ...

    async def open_post_by_thread(self, guild_id: int, thread_id: int) -> Post | None:
        """The open post whose thread (or forum post) is ``thread_id`` in this guild."""
        ...

    async def latest_post(self, guild_id: int, topic: str) -> Post | None:
        """The most recent post of ``topic`` in the guild (any state)."""
        ...

    async def set_backfill_mark(self, post_id: int, message_id: int) -> None:
        """Remember the newest message seen in the post's thread (only moves forward)."""
        ...

    async def mark_empty_queue_notified(self, guild_id: int) -> None:
        """Moderators were told that the queue is empty."""
        ...


class StrategyStore(Protocol):
    """Strategies and their endorsements. Every lookup is scoped to one guild."""

    async def add_strategies(self, new: Sequence[NewStrategy]) -> list[Strategy | None]:
        """Store strategies and their quotes in one transaction (all or nothing); one result per
        item, in order: the stored strategy, or ``None`` (and no change for it) if its message
        is already stored (also by an earlier item of ``new``) or its post is not the guild's."""
        ...

    async def strategy_by_message(self, guild_id: int, message_id: int) -> Strategy | None:
        """The guild's strategy stored for ``message_id``, if any."""
        ...

    async def update_strategy(
        self,
        guild_id: int,
        message_id: int,
        text: str,
        analysis: Analysis,
        edited_at: datetime,
        quotes: Sequence[tuple[str, str]] = (),
    ) -> bool:
        """Replace a strategy's text, analysis and (masked) quotes; ``False`` if there is no
        such strategy."""
        ...

    async def delete_strategies(self, guild_id: int, message_ids: Collection[int]) -> int:
        """Delete the guild's strategies stored for these messages; returns how many."""
        ...

    async def post_strategies(self, guild_id: int, post_id: int) -> list[Strategy]:
        """Every strategy of one post, oldest message first."""
        ...

    async def delete_thread_strategies(self, guild_id: int, thread_id: int) -> int:
        """Delete every strategy of the posts discussed in ``thread_id``; returns how many."""
        ...

    async def add_endorsement(
        self, guild_id: int, message_id: int, member_key: str, created_at: datetime
    ) -> bool:
        """Record that a member endorses the strategy of ``message_id``; ``False`` if there is
        no such strategy or the member already endorses it."""
        ...

    async def remove_endorsement(self, guild_id: int, message_id: int, member_key: str) -> bool:
        """Withdraw a member's endorsement; ``False`` if there was none."""
        ...

    async def clear_endorsements(self, guild_id: int, message_id: int) -> int:
        """Withdraw every endorsement of one strategy; returns how many."""
        ...

    async def topic_stats(self, guild_id: int, topic: str) -> TopicStats:
        """Counts over the guild's strategies on ``topic`` (all its posts)."""
        ...


class PrivacyStore(Protocol):
    """Members' privacy choices, their data, and the guild-wide retention rules."""

    async def guild_secret(self, guild_id: int, candidate: bytes) -> bytes:
        """The guild's secret for anonymous keys, storing ``candidate`` if it has none yet."""
        ...

    async def opted_out(self, guild_id: int, user_id: int) -> bool:
        """Whether the member asked not to have their replies collected."""
        ...

    async def set_opted_out(
        self, guild_id: int, user_id: int, opted_out: bool, at: datetime
    ) -> None:
        """Record the member's collection choice."""
        ...

    async def member_data(
        self, guild_id: int, user_id: int, author_keys: Collection[str]
    ) -> MemberData:
        """Everything stored about the member: strategies under any of ``author_keys``, the
        endorsements they gave, their collection choice."""
        ...

    async def posted_for_member(
        self, guild_id: int, author_keys: Collection[str]
    ) -> list[PostedForMember]:
        """The bot's messages carrying the member's shared strategies (under ``author_keys``)."""
        ...

    async def forget_member(
        self, guild_id: int, user_id: int, author_keys: Collection[str]
    ) -> Erasure:
        """Erase the member's strategies (under any of ``author_keys``) and endorsements, all or
        nothing. An opt-out is kept (it is what stops collection); any other choice is erased."""
        ...

    async def mark_guild_left(self, guild_id: int, at: datetime) -> None:
        """The bot left the guild at ``at``: its data is purged after the grace period."""
        ...

    async def mark_guild_returned(self, guild_id: int) -> None:
        """The bot is back in the guild: cancel the pending purge."""
        ...

    async def known_guilds(self) -> dict[int, bool]:
        """Every guild with settings, mapped to whether the bot has left it."""
        ...

    async def departed_guilds(self, left_before: datetime) -> list[int]:
        """Guilds the bot left before ``left_before``."""
        ...

    async def purge_guild(self, guild_id: int) -> None:
        """Delete every row of the guild in every table, all or nothing."""
        ...

    async def set_retention_days(self, guild_id: int, days: int | None) -> None:
        """Keep the guild's strategies ``days`` days (``None``: keep them)."""
        ...

    async def retention_days(self, guild_id: int) -> int | None:
        """The guild's retention in days; ``None`` means strategies are kept."""
        ...

    async def delete_expired_strategies(self, now: datetime) -> int:
        """Delete strategies older than their guild's retention; returns how many."""
        ...

    async def purge_schedule(self) -> PurgeSchedule:
        """What is next due for deletion."""
        ...


class AnalysisResult(Protocol):
    """One text's analysis, as any analyzer returns it (:class:`Analysis` is one)."""

    @property
    def language(self) -> str:
        """ISO 639-1 code, or ``und``."""
        ...

    @property
    def themes(self) -> Sequence[str]:
        """Theme ids."""
        ...

    @property
    def evidence(self) -> Sequence[tuple[str, str]]:
        """(theme, sentence) pairs: the sentence of the text that best supports each theme."""
        ...


class TextAnalyzer(Protocol):
    """Language identification and theme classification (CPU-bound: call it in a thread)."""

    def analyze(
        self, texts: Sequence[str], extra_themes: Mapping[str, Sequence[str]] | None = None
    ) -> Sequence[AnalysisResult]:
        """One analysis per text, in order; ``extra_themes`` are a dilemma's own themes
        (``id -> cue phrases``). Must be safe to call from a worker thread."""
        ...


class SummaryStore(Protocol):
    """The incremental per-topic summaries behind ``/guidance``."""

    async def topic_snapshot(
        self,
        guild_id: int,
        topic: str,
        language: str,
        order: Sequence[str],
        quoted_themes: int,
    ) -> TopicSnapshot:
        """Counts of ``topic`` in the guild and quote candidates of its top themes."""
        ...


class Repository(
    GuildStore, DilemmaStore, PostStore, StrategyStore, PrivacyStore, SummaryStore, Protocol
):
    """Everything the bot stores."""
