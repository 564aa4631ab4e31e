"""A posting of a dilemma: one scheduled (or manual) slot, its message and its thread."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class PostState(StrEnum):
    """``intent``: claimed, maybe sent; ``open``: thread collecting; ``closed``: archived."""

    INTENT = "intent"
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Post:
    """A row of the posts table. ``slot`` is the UTC instant the post belongs to."""

    id: int
    guild_id: int
    dilemma_id: int
    topic: str
    slot: datetime
    nonce: str
    state: PostState
    channel_id: int
    message_id: int | None = None
    thread_id: int | None = None
    last_message_id: int | None = None
    posted_at: datetime | None = None
    closed_at: datetime | None = None

    @property
    def discussion_id(self) -> int | None:
        """The channel where members answer: the thread (or forum post) once it exists."""
        return self.thread_id


#: custom_id of the "Share a strategy" button on a dilemma post. It doubles as the marker by
#: which a restarted bot recognizes a message it sent but did not get to record.
SHARE_CUSTOM_ID_TEMPLATE = r"intervision:share:(?P<post_id>[0-9]+)"


def share_custom_id(post_id: int) -> str:
    """The custom_id of the share button of post ``post_id``."""
    return f"intervision:share:{post_id}"
