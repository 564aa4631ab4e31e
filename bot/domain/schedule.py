"""The weekly posting rhythm: local weekday and time in an IANA zone, computed in UTC.

Pure code. Local-time rules, chosen deliberately:

- a **nonexistent** local time (the clock jumps forward, e.g. 02:30 on the spring DST day in
  Europe/Berlin) is posted at the same UTC instant the pre-transition offset gives, which is
  *after* the gap (03:30 local): the post is late by the gap, never skipped;
- an **ambiguous** local time (the clock falls back, 02:30 happens twice) is posted at its first
  occurrence (``fold=0``), once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import Enum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

#: A post this late (or less) after downtime is still made; later ones are skipped.
CATCH_UP_WINDOW = timedelta(days=1)
_TIME = re.compile(r"^\s*([01]?\d|2[0-3])\s*[:h.]\s*([0-5]\d)\s*$")


@dataclass(frozen=True, slots=True)
class WeeklySlot:
    """Monday=0 ... Sunday=6, a local wall-clock time, and an IANA zone name."""

    weekday: int
    at: time
    timezone: str

    @property
    def zone(self) -> ZoneInfo:
        """The zone object (validated on construction by :func:`parse_zone`)."""
        return ZoneInfo(self.timezone)


class Due(Enum):
    """What to do about a slot at a given moment."""

    WAIT = "wait"
    POST = "post"
    SKIP = "skip"


def parse_time(text: str) -> time | None:
    """``"09:00"``, ``"9:00"``, ``"21h30"`` or ``"7.15"`` -> a time; anything else -> ``None``."""
    match = _TIME.match(text)
    if match is None:
        return None
    return time(int(match[1]), int(match[2]))


def parse_zone(name: str) -> ZoneInfo | None:
    """The IANA zone called ``name`` (exact spelling), or ``None`` if there is none."""
    candidate = name.strip()
    if not candidate or candidate.startswith("/") or ".." in candidate:
        return None
    try:
        return ZoneInfo(candidate)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone_names() -> list[str]:
    """Every IANA zone name this system knows, sorted (for autocomplete and suggestions)."""
    return sorted(available_timezones())


def suggest_zones(query: str, limit: int = 5) -> list[str]:
    """Zone names that contain ``query`` (case- and space-insensitive), best first."""
    needle = query.strip().casefold().replace(" ", "_")
    if not needle:
        return []
    names = zone_names()
    exact_city = [n for n in names if n.casefold().rsplit("/", 1)[-1] == needle]
    contains = [n for n in names if needle in n.casefold() and n not in exact_city]
    found = exact_city + contains
    if not found:
        import difflib  # noqa: PLC0415 (only needed on the rare misspelling path)

        lowered = {n.casefold(): n for n in names}
        found = [lowered[m] for m in difflib.get_close_matches(needle, list(lowered), limit, 0.6)]
    return found[:limit]


def local_occurrence(slot: WeeklySlot, day: datetime) -> datetime:
    """The UTC instant of the slot's wall-clock time on ``day``'s date (see module rules)."""
    local = datetime.combine(day.date(), slot.at, tzinfo=slot.zone).replace(fold=0)
    return local.astimezone(UTC)


def next_slot(slot: WeeklySlot, after: datetime) -> datetime:
    """The first slot strictly after the aware instant ``after``, in UTC."""
    local_now = after.astimezone(slot.zone)
    days_ahead = (slot.weekday - local_now.weekday()) % 7
    for extra in (0, 7, 14):
        day = local_now + timedelta(days=days_ahead + extra)
        candidate = local_occurrence(slot, day)
        if candidate > after:
            return candidate
    raise AssertionError("unreachable: a weekly slot always recurs within two weeks")


def due(slot_at: datetime, now: datetime, window: timedelta = CATCH_UP_WINDOW) -> Due:
    """Whether a slot at ``slot_at`` is to be posted ``now``, waited for, or skipped (too late)."""
    if now < slot_at:
        return Due.WAIT
    return Due.POST if now - slot_at < window else Due.SKIP
