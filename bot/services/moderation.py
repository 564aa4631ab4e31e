"""Moderator use cases: the weekly schedule and the guild's dilemma queue."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from bot.domain.catalog import CatalogError, CatalogIssue, parse_catalog
from bot.domain.dilemmas import Dilemma, QueuedDilemma
from bot.domain.guilds import GuildSettings
from bot.domain.schedule import WeeklySlot, next_slot, parse_time, parse_zone, suggest_zones
from bot.i18n.locales import SUPPORTED_LOCALES
from bot.services.ports import Clock, Repository


class SetupProblem(Enum):
    """Why a schedule was refused."""

    BAD_TIME = "bad_time"
    BAD_ZONE = "bad_zone"


@dataclass(frozen=True, slots=True)
class SetupOutcome:
    """The saved settings, or the problem (with time-zone suggestions when relevant)."""

    settings: GuildSettings | None = None
    problem: SetupProblem | None = None
    suggestions: tuple[str, ...] = ()
    seeded: int = 0


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """Imported dilemmas, or every problem found (nothing is imported then)."""

    added: tuple[Dilemma, ...] = ()
    issues: tuple[CatalogIssue, ...] = ()
    duplicates: tuple[str, ...] = ()


class ModerationService:
    """Schedule and queue management for one guild at a time."""

    def __init__(self, repository: Repository, starter: Sequence[Dilemma], clock: Clock) -> None:
        self._repository = repository
        self._starter = tuple(starter)
        self._clock = clock

    async def setup(
        self,
        guild_id: int,
        *,
        channel_id: int,
        weekday: int,
        time_text: str,
        zone_text: str,
        ping_role_id: int | None,
        locale: str | None,
        seed_starter: bool,
    ) -> SetupOutcome:
        """Validate and save the weekly schedule; seed the queue from the starter catalog if asked
        and the guild has none of its dilemmas yet."""
        at = parse_time(time_text)
        if at is None:
            return SetupOutcome(problem=SetupProblem.BAD_TIME)
        zone = parse_zone(zone_text)
        if zone is None:
            return SetupOutcome(
                problem=SetupProblem.BAD_ZONE, suggestions=tuple(suggest_zones(zone_text))
            )
        current = await self._repository.guild_settings(guild_id)
        slot = WeeklySlot(weekday, at, zone.key)
        settings = dataclasses.replace(
            current,
            channel_id=channel_id,
            weekday=weekday,
            post_time=at,
            timezone=zone.key,
            ping_role_id=ping_role_id,
            locale=locale if locale in SUPPORTED_LOCALES else current.locale,
            next_post_at=None if current.paused else next_slot(slot, self._clock()),
        )
        await self._repository.save_guild_settings(settings)
        seeded = 0
        if seed_starter:
            existing = await self._repository.topics(guild_id)
            fresh = [d for d in self._starter if d.topic not in existing]
            if fresh and not existing:
                await self._repository.add_dilemmas(guild_id, fresh)
                seeded = len(fresh)
        return SetupOutcome(settings=settings, seeded=seeded)

    async def settings(self, guild_id: int) -> GuildSettings:
        """The guild's current settings."""
        return await self._repository.guild_settings(guild_id)

    async def pause(self, guild_id: int) -> GuildSettings | None:
        """Stop posting; ``None`` when there is no schedule to pause."""
        current = await self._repository.guild_settings(guild_id)
        if current.slot is None:
            return None
        paused = dataclasses.replace(current, paused=True, next_post_at=None)
        await self._repository.save_guild_settings(paused)
        return paused

    async def resume(self, guild_id: int) -> GuildSettings | None:
        """Post again from the next slot on (slots missed while paused are not made up)."""
        current = await self._repository.guild_settings(guild_id)
        if current.slot is None:
            return None
        resumed = dataclasses.replace(
            current, paused=False, next_post_at=next_slot(current.slot, self._clock())
        )
        await self._repository.save_guild_settings(resumed)
        return resumed

    async def queue(self, guild_id: int) -> tuple[list[QueuedDilemma], list[datetime]]:
        """The queued dilemmas and the dates of the upcoming slots, one per entry."""
        entries = await self._repository.queue(guild_id)
        settings = await self._repository.guild_settings(guild_id)
        upcoming: list[datetime] = []
        if settings.slot is not None and settings.next_post_at is not None:
            moment = settings.next_post_at
            for _ in entries:
                upcoming.append(moment)
                moment = next_slot(settings.slot, moment)
        return entries, upcoming

    async def add(self, guild_id: int, dilemma: Dilemma) -> bool:
        """Queue a new dilemma; ``False`` if the guild already has that topic."""
        if dilemma.topic in await self._repository.topics(guild_id):
            return False
        await self._repository.add_dilemmas(guild_id, [dilemma])
        return True

    async def import_catalog(self, guild_id: int, source: str) -> ImportOutcome:
        """Queue every dilemma of a catalog file, or none if anything is wrong with it.

        Imported dilemmas need only one locale; missing locales fall back when shown.
        """
        try:
            dilemmas = parse_catalog(source, (), known=SUPPORTED_LOCALES)
        except CatalogError as error:
            return ImportOutcome(issues=error.issues)
        existing = await self._repository.topics(guild_id)
        duplicates = tuple(d.topic for d in dilemmas if d.topic in existing)
        if duplicates:
            return ImportOutcome(duplicates=duplicates)
        await self._repository.add_dilemmas(guild_id, dilemmas)
        return ImportOutcome(added=dilemmas)

    async def remove(self, guild_id: int, topic: str) -> bool:
        """Delete a queued (never posted) dilemma."""
        return await self._repository.remove_queued(guild_id, topic)

    async def skip(self, guild_id: int) -> QueuedDilemma | None:
        """Send the head of the queue to the back; returns the skipped entry."""
        entries = await self._repository.queue(guild_id)
        if not entries:
            return None
        await self._repository.move_to_back(guild_id, entries[0].dilemma.topic)
        return entries[0]
