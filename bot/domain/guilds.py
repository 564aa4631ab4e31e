"""Per-guild configuration as the domain sees it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from bot.domain.schedule import WeeklySlot

DEFAULT_ENDORSEMENT_EMOJI = "\N{THUMBS UP SIGN}"


@dataclass(frozen=True, slots=True)
class GuildSettings:
    """A guild's choices. ``locale`` is ``None`` until a moderator picks the guild's language;
    the schedule fields are ``None`` until ``/dilemma setup``."""

    guild_id: int
    locale: str | None = None
    timezone: str = "UTC"
    endorsement_emoji: str = DEFAULT_ENDORSEMENT_EMOJI
    channel_id: int | None = None
    weekday: int | None = None
    post_time: time | None = None
    ping_role_id: int | None = None
    paused: bool = False
    next_post_at: datetime | None = None
    empty_queue_notified: bool = False

    @property
    def slot(self) -> WeeklySlot | None:
        """The weekly slot, once the schedule is set up."""
        if self.weekday is None or self.post_time is None:
            return None
        return WeeklySlot(self.weekday, self.post_time, self.timezone)

    @property
    def zone(self) -> ZoneInfo:
        """The guild's time zone (``UTC`` until set up)."""
        return ZoneInfo(self.timezone)
