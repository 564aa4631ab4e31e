"""The ports services depend on: storage, named for each use, and the clock.

Implementations live in :mod:`bot.storage` (SQLite today, PostgreSQL later) and in the Discord
adapters under :mod:`bot.exts`; services depend only on these protocols. Every storage method
takes the guild id (or a post id owned by one guild): no query spans guilds.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol

from bot.domain.dilemmas import Dilemma, DilemmaStatus, QueuedDilemma
from bot.domain.guilds import GuildSettings
from bot.domain.posts import Post, PostState

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


class Repository(GuildStore, DilemmaStore, PostStore, Protocol):
    """Everything the bot stores."""
