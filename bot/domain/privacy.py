"""Pseudonymous member keys for anonymous strategies.

An anonymous strategy stores ``h:<HMAC-SHA256(guild secret, "guild:user")>`` instead of the user
id. The per-guild secret lives only in the database, so the key cannot be reversed by guessing ids
(Discord ids are public), yet the same member always gets the same key in the same guild: distinct
members stay countable and the author can still export or erase their anonymous strategies.
Deleting the secret (when a guild's data is purged) makes every remaining key meaningless.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.strategies import MEMBER_PREFIX, Strategy

SECRET_BYTES = 32
ANONYMOUS_PREFIX = "h:"


def new_guild_secret() -> bytes:
    """A fresh random secret for one guild."""
    return secrets.token_bytes(SECRET_BYTES)


def anonymous_key(secret: bytes, guild_id: int, user_id: int) -> str:
    """The ``author_key`` of ``user_id``'s anonymous strategies in ``guild_id``."""
    digest = hmac.new(secret, f"{guild_id}:{user_id}".encode("ascii"), hashlib.sha256)
    return ANONYMOUS_PREFIX + digest.hexdigest()


def counting_key(secret: bytes | None, guild_id: int, author_key: str) -> str:
    """The key a member is counted under when counting distinct members.

    A member who shared both in their name (``u:<id>``) and anonymously (``h:...``) must count
    once, so clear keys map to their anonymous form. Without a guild secret nobody has shared
    anonymously yet, and the key is its own counting key.
    """
    if secret is None or not author_key.startswith(MEMBER_PREFIX):
        return author_key
    return anonymous_key(secret, guild_id, int(author_key.removeprefix(MEMBER_PREFIX)))


@dataclass(frozen=True, slots=True)
class AuthoredStrategy:
    """One of the member's own strategies, as exported to them."""

    strategy: Strategy
    topic: str
    endorsements: int  # how many members endorsed it (never who)


@dataclass(frozen=True, slots=True)
class GivenEndorsement:
    """An endorsement the member gave (which strategy, never its text: that is others' data)."""

    message_id: int
    topic: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class MemberData:
    """Everything stored about one member in one guild."""

    strategies: tuple[AuthoredStrategy, ...] = ()
    endorsements: tuple[GivenEndorsement, ...] = ()
    opted_out: bool = False
    preference_updated_at: datetime | None = None

    @property
    def empty(self) -> bool:
        """Whether nothing at all is stored about the member."""
        return not self.strategies and not self.endorsements and self.preference_updated_at is None


@dataclass(frozen=True, slots=True)
class PostedForMember:
    """A message the bot posted on the member's behalf: ``forget-me`` deletes it on Discord."""

    thread_id: int
    message_id: int


@dataclass(frozen=True, slots=True)
class Erasure:
    """What ``forget-me`` erased, and the bot's messages to delete on Discord as well."""

    strategies: int
    endorsements: int
    posted: tuple[PostedForMember, ...] = ()


EXPORT_FORMAT = "intervision-member-export/1"


def export_document(
    guild_id: int, user_id: int, data: MemberData, generated_at: datetime
) -> dict[str, Any]:
    """The JSON document ``/privacy export`` sends: the member's data with their original texts."""
    return {
        "format": EXPORT_FORMAT,
        "generated_at": generated_at.isoformat(),
        "guild_id": str(guild_id),
        "user_id": str(user_id),
        "collection": {
            "opted_out": data.opted_out,
            "updated_at": _iso(data.preference_updated_at),
        },
        "strategies": [
            {
                "message_id": str(item.strategy.message_id),
                "topic": item.topic,
                "anonymous": item.strategy.anonymous,
                "text": item.strategy.text,
                "language": item.strategy.language,
                "themes": list(item.strategy.themes),
                "endorsements": item.endorsements,
                "created_at": item.strategy.created_at.isoformat(),
                "edited_at": _iso(item.strategy.edited_at),
            }
            for item in data.strategies
        ],
        "endorsements_given": [
            {
                "message_id": str(given.message_id),
                "topic": given.topic,
                "created_at": given.created_at.isoformat(),
            }
            for given in data.endorsements
        ],
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


@dataclass(frozen=True, slots=True)
class PurgeSchedule:
    """When stored data next becomes due for deletion (what the purge task sleeps until)."""

    earliest_left_at: datetime | None = None  # the guild the bot left longest ago
    earliest_expiry: datetime | None = None  # the oldest strategy's end of retention
    shortest_retention_days: int | None = None  # for guilds whose strategies are yet to come
