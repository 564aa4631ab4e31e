"""Members' privacy use cases: export, erase, opt out/in; retention and the purge of left guilds."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain.privacy import Erasure, anonymous_key, export_document, new_guild_secret
from bot.domain.strategies import member_key
from bot.services.ports import Clock, PrivacyStore

log = logging.getLogger(__name__)

DEFAULT_GUILD_DATA_RETENTION_DAYS = 30
MAX_RETENTION_DAYS = 3650


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class MemberExport:
    """The export document, and whether nothing at all is stored about the member."""

    document: dict[str, Any]
    empty: bool


@dataclass(frozen=True, slots=True)
class PurgeReport:
    """What one sweep deleted."""

    guilds: tuple[int, ...] = ()
    expired_strategies: int = 0


class PrivacyService:
    """Keys that identify members, their privacy choices and rights, and data retention."""

    def __init__(
        self,
        store: PrivacyStore,
        *,
        guild_data_retention_days: int = DEFAULT_GUILD_DATA_RETENTION_DAYS,
        clock: Clock = _utcnow,
    ) -> None:
        self._store = store
        self._grace = timedelta(days=guild_data_retention_days)
        self._clock = clock
        self._secrets: dict[int, bytes] = {}  # guild secrets never change until a purge

    async def anonymous_key(self, guild_id: int, user_id: int) -> str:
        """The key of the member's anonymous strategies in this guild (creates the guild secret
        on first use). Every strategy of the member is counted under it, named or not."""
        secret = self._secrets.get(guild_id)
        if secret is None:
            secret = await self._store.guild_secret(guild_id, new_guild_secret())
            self._secrets[guild_id] = secret
        return anonymous_key(secret, guild_id, user_id)

    async def author_keys(self, guild_id: int, user_id: int) -> tuple[str, str]:
        """Both keys the member's strategies can be stored under: in clear and anonymous."""
        return member_key(user_id), await self.anonymous_key(guild_id, user_id)

    async def opted_out(self, guild_id: int, user_id: int) -> bool:
        """Whether the member's replies must not be collected."""
        return await self._store.opted_out(guild_id, user_id)

    async def opt_out(self, guild_id: int, user_id: int) -> None:
        """Stop collecting the member's replies (what is stored stays until ``forget``)."""
        await self._store.set_opted_out(guild_id, user_id, True, self._clock())
        log.info("A member opted out of collection in guild %s", guild_id)

    async def opt_in(self, guild_id: int, user_id: int) -> None:
        """Resume collecting the member's replies."""
        await self._store.set_opted_out(guild_id, user_id, False, self._clock())
        log.info("A member opted back in to collection in guild %s", guild_id)

    async def export(self, guild_id: int, user_id: int) -> MemberExport:
        """The JSON document of everything stored about the member in this guild."""
        keys = await self.author_keys(guild_id, user_id)
        data = await self._store.member_data(guild_id, user_id, keys)
        return MemberExport(export_document(guild_id, user_id, data, self._clock()), data.empty)

    async def forget(self, guild_id: int, user_id: int) -> Erasure:
        """Erase the member's strategies and endorsements in this guild, at once.

        :attr:`Erasure.posted` lists the messages the bot posted on the member's behalf: the
        caller deletes them on Discord (the member cannot delete the bot's messages).
        """
        keys = await self.author_keys(guild_id, user_id)
        posted = await self._store.posted_for_member(guild_id, keys)
        erased = await self._store.forget_member(guild_id, user_id, keys)
        erased = replace(erased, posted=tuple(posted))
        log.info(
            "Erased a member's data in guild %s: %d strategies, %d endorsements",
            guild_id,
            erased.strategies,
            erased.endorsements,
        )
        return erased

    async def set_retention(self, guild_id: int, days: int | None) -> None:
        """Delete the guild's strategies after ``days`` days (``None``: keep them)."""
        if days is not None and not 1 <= days <= MAX_RETENTION_DAYS:
            raise ValueError(f"retention must be between 1 and {MAX_RETENTION_DAYS} days")
        await self._store.set_retention_days(guild_id, days)

    async def retention(self, guild_id: int) -> int | None:
        """The guild's retention in days, ``None`` when strategies are kept."""
        return await self._store.retention_days(guild_id)

    async def guild_left(self, guild_id: int) -> None:
        """The bot left (or was removed from) the guild: start the grace period."""
        await self._store.mark_guild_left(guild_id, self._clock())
        log.info("Left guild %s: its data will be purged in %d days", guild_id, self._grace.days)

    async def guild_joined(self, guild_id: int) -> None:
        """The bot is in the guild (again): nothing is purged."""
        await self._store.mark_guild_returned(guild_id)

    async def sync_guilds(self, present: Collection[int]) -> None:
        """At connection: the bot is in exactly the ``present`` guilds. Guilds it left while
        offline start their grace period; guilds it is back in are no longer purged."""
        now = self._clock()
        for guild_id, left in (await self._store.known_guilds()).items():
            if guild_id in present and left:
                await self._store.mark_guild_returned(guild_id)
            elif guild_id not in present and not left:
                await self._store.mark_guild_left(guild_id, now)
                log.info("Guild %s was left while offline: its data will be purged", guild_id)

    async def next_purge_at(self) -> datetime | None:
        """When :meth:`purge` next has something to delete; ``None``: not until something
        changes (the bot leaves a guild, a retention is set)."""
        schedule = await self._store.purge_schedule()
        due: list[datetime] = []
        if schedule.earliest_left_at is not None:
            due.append(schedule.earliest_left_at + self._grace)
        if schedule.earliest_expiry is not None:
            due.append(schedule.earliest_expiry)
        if schedule.shortest_retention_days is not None:
            # Strategies written from now on expire no sooner than this.
            due.append(self._clock() + timedelta(days=schedule.shortest_retention_days))
        return min(due, default=None)

    async def purge(self) -> PurgeReport:
        """Delete the data of guilds left longer than the grace period ago, and strategies older
        than their guild's retention."""
        now = self._clock()
        departed = await self._store.departed_guilds(now - self._grace)
        for guild_id in departed:
            await self._store.purge_guild(guild_id)
            self._secrets.pop(guild_id, None)
            log.info(
                "Purged all data of guild %s (left more than %d days ago)",
                guild_id,
                self._grace.days,
            )
        expired = await self._store.delete_expired_strategies(now)
        if expired:
            log.info("Deleted %d strategies past their guild's retention", expired)
        return PurgeReport(tuple(departed), expired)
