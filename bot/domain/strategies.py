"""Strategies: members' answers to a posted dilemma, and the rules for what counts as one."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

#: Discord's longest message (with Nitro) and the longest modal text input: both are accepted.
MAX_STRATEGY_LENGTH = 4000
UNDETERMINED_LANGUAGE = "und"


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the text analyzer found in one strategy."""

    language: str = UNDETERMINED_LANGUAGE  # ISO 639-1 code, or "und"
    themes: tuple[str, ...] = ()  # sorted theme ids
    evidence: tuple[tuple[str, str], ...] = ()  # (theme, the sentence that best supports it)


@dataclass(frozen=True, slots=True)
class Strategy:
    """A stored strategy. ``text`` is the author's original: show it only through masking.

    ``author_key`` is ``u:<user id>`` or, when ``anonymous``, ``h:<keyed hash>``; ``author_id`` is
    ``None`` for anonymous strategies (no user id in clear).
    """

    id: int
    guild_id: int
    post_id: int
    message_id: int
    author_key: str
    author_id: int | None
    anonymous: bool
    text: str
    language: str
    themes: tuple[str, ...]
    created_at: datetime
    edited_at: datetime | None = None
    shared: bool = False  # posted by the bot on the member's behalf


@dataclass(frozen=True, slots=True)
class NewStrategy:
    """A strategy about to be stored (the id is assigned by storage).

    ``member_key`` is the key the member is counted under (see
    :func:`bot.domain.privacy.counting_key`); ``quotes`` are (theme, sentence) pairs already
    masked for personal data: the only strategy text summaries may show.
    """

    guild_id: int
    post_id: int
    message_id: int
    author_key: str
    author_id: int | None
    anonymous: bool
    text: str
    analysis: Analysis
    created_at: datetime
    shared: bool = False
    member_key: str | None = None
    quotes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class ObservedMessage:
    """A Discord message as the collection service sees it (built by the extension).

    ``is_system`` is true for every non-default, non-reply message type (joins, pins, thread
    notices...). ``from_bot`` covers bots, webhooks and the bot itself.
    """

    guild_id: int
    channel_id: int
    message_id: int
    author_id: int
    from_bot: bool
    is_system: bool
    text: str
    created_at: datetime


MEMBER_PREFIX = "u:"


def member_key(user_id: int) -> str:
    """The ``author_key``/``member_key`` of a member who is identified in clear."""
    return f"{MEMBER_PREFIX}{user_id}"


def has_words(text: str) -> bool:
    """Whether ``text`` carries any letter or digit (empty and emoji-only messages do not)."""
    return any(unicodedata.category(char)[0] in "LN" for char in text)


def collectable(message: ObservedMessage) -> bool:
    """Whether a message in a dilemma's thread is a strategy: a human's text with some words."""
    return not message.from_bot and not message.is_system and has_words(message.text)


def clean_text(text: str) -> str:
    """The text as stored: surrounding whitespace removed, at most :data:`MAX_STRATEGY_LENGTH`."""
    return text.strip()[:MAX_STRATEGY_LENGTH]


@dataclass(frozen=True, slots=True)
class TopicStats:
    """What a guild's members contributed on one topic, counted at read time.

    Counted from the stored rows on every call, so an erased or deleted strategy stops counting
    at once.
    """

    strategies: int = 0
    members: int = 0  # distinct author keys (anonymous authors count once each)
    endorsements: int = 0
    themes: tuple[tuple[str, int], ...] = ()  # (theme id, strategies carrying it), most first


_SKIN_TONES = frozenset(chr(code) for code in range(0x1F3FB, 0x1F400))
_VARIATION_SELECTOR = "\ufe0f"
_CUSTOM_EMOJI = re.compile(r"<a?:\w+:(?P<id>\d+)>")


def same_emoji(reacted: str, configured: str) -> bool:
    """Whether a reaction is the guild's endorsement emoji (any skin tone, with or without the
    emoji variation selector; custom emoji compare as ``<:name:id>``)."""

    def bare(emoji: str) -> str:
        custom = _CUSTOM_EMOJI.fullmatch(emoji.strip())
        if custom:
            return custom["id"]
        return "".join(c for c in emoji if c != _VARIATION_SELECTOR and c not in _SKIN_TONES)

    return bare(reacted) == bare(configured)


def quotable(analysis: Analysis, mask: Callable[[str], str]) -> tuple[tuple[str, str], ...]:
    """The (theme, sentence) pairs summaries may quote: the analyzer's evidence, masked, and only
    sentences that still say something once personal data is removed."""
    quotes = []
    for theme, sentence in analysis.evidence:
        shown = mask(sentence.strip())
        if theme in analysis.themes and has_words(shown):
            quotes.append((theme, shown))
    return tuple(quotes)
