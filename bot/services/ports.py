"""The storage port: what services need from a database, named for each use.

Implementations live in :mod:`bot.storage` (SQLite today, PostgreSQL later); services and cogs
depend only on this protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.domain.dilemmas import Dilemma
from bot.domain.guilds import GuildSettings


class Repository(Protocol):
    """Guild-scoped persistence. Every method takes the guild id: no query spans guilds."""

    async def guild_settings(self, guild_id: int) -> GuildSettings:
        """The guild's settings, or defaults when the guild never configured anything."""
        ...

    async def save_guild_settings(self, settings: GuildSettings) -> None:
        """Insert or update the guild's settings."""
        ...

    async def guild_dilemmas(self, guild_id: int) -> Sequence[Dilemma]:
        """The guild's own dilemmas in queue order."""
        ...

    async def add_dilemmas(self, guild_id: int, dilemmas: Sequence[Dilemma]) -> None:
        """Append dilemmas to the guild's queue, all or none; raises on a duplicate topic."""
        ...
