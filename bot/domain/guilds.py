"""Per-guild configuration as the domain sees it."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_ENDORSEMENT_EMOJI = "\N{THUMBS UP SIGN}"


@dataclass(frozen=True, slots=True)
class GuildSettings:
    """A guild's choices. ``locale`` is ``None`` until a moderator picks the guild's language."""

    guild_id: int
    locale: str | None = None
    timezone: str = "UTC"
    endorsement_emoji: str = DEFAULT_ENDORSEMENT_EMOJI
