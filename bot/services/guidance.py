"""The ``/guidance`` use case: find a dilemma and choose the language to answer in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.dilemmas import Dilemma
from bot.domain.search import closest_topics
from bot.domain.summary import QUOTED_THEMES, Summary, from_snapshot
from bot.i18n.locales import negotiate
from bot.services.ports import Repository

AUTOCOMPLETE_LIMIT = 25  # Discord's maximum number of autocomplete choices


@dataclass(frozen=True, slots=True)
class TopicChoice:
    """One autocomplete entry: the topic slug and its title in the member's locale."""

    topic: str
    title: str


class GuidanceService:
    """Looks dilemmas up for a guild: the guild's own queue first, then the built-in catalog."""

    def __init__(
        self, repository: Repository, catalog: Sequence[Dilemma], default_locale: str
    ) -> None:
        self._repository = repository
        self._catalog = tuple(catalog)
        self.default_locale = default_locale

    async def reply_locale(self, guild_id: int | None, member_locale: str | None) -> str:
        """The locale to answer in: the member's, else the guild's configured one, else default."""
        guild_locale = None
        if guild_id is not None:
            guild_locale = (await self._repository.guild_settings(guild_id)).locale
        return negotiate((member_locale, guild_locale), self.default_locale)

    async def dilemmas(self, guild_id: int | None) -> list[Dilemma]:
        """Every dilemma the guild can ask about; a guild's own version of a topic wins."""
        own = list(await self._repository.guild_dilemmas(guild_id)) if guild_id else []
        topics = {d.topic for d in own}
        return own + [d for d in self._catalog if d.topic not in topics]

    async def find(self, guild_id: int | None, topic: str) -> Dilemma | None:
        """The dilemma with exactly this topic slug, if any."""
        wanted = topic.strip().casefold()
        for dilemma in await self.dilemmas(guild_id):
            if dilemma.topic == wanted:
                return dilemma
        return None

    async def suggest(self, guild_id: int | None, query: str) -> list[Dilemma]:
        """Close matches for an unknown topic, best first."""
        return closest_topics(query, await self.dilemmas(guild_id))

    async def summary(self, guild_id: int | None, dilemma: Dilemma, locale: str) -> Summary | None:
        """What the guild's members said on the dilemma, quotes preferring ``locale``'s language.

        ``None`` outside a guild. Reads the incrementally maintained counts: no recount.
        """
        if guild_id is None:
            return None
        order = dilemma.theme_order()
        snapshot = await self._repository.topic_snapshot(
            guild_id, dilemma.topic, locale[:2], order, QUOTED_THEMES
        )
        return from_snapshot(snapshot, order, locale[:2])

    async def choices(self, guild_id: int | None, query: str, locale: str) -> list[TopicChoice]:
        """Autocomplete entries matching ``query``, titled in ``locale``."""
        found = [d for d in await self.dilemmas(guild_id) if d.matches(query)]
        return [
            TopicChoice(d.topic, d.text(locale, self.default_locale).title)
            for d in found[:AUTOCOMPLETE_LIMIT]
        ]
