"""Replies point at commands with clickable mentions built from the ids of the tree sync, and
fall back to the command as the reader's client names it when an id is unknown."""

from __future__ import annotations

from typing import Any

import pytest

from bot.client import IntervisionBot, Services
from bot.domain.posts import share_custom_id
from bot.i18n.catalogs import Catalogs
from bot.i18n.localizer import Localizer
from bot.mentions import CommandMentions
from tests.collection.conftest import World, world
from tests.mentions import command_mention

__all__ = ["world"]

WITHOUT_IDS = "the sync returns no command ids"


@pytest.fixture
def simcord_bot(
    services: Services,
    catalogs: Catalogs,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> IntervisionBot:
    """The real bot; parametrized with :data:`WITHOUT_IDS`, Discord's sync answer has no
    commands in it, so no mention is known."""
    bot = IntervisionBot(services=services, catalogs=catalogs)
    if getattr(request, "param", None) == WITHOUT_IDS:
        sync = bot.tree.sync

        async def sync_without_ids(**options: Any) -> list[Any]:
            await sync(**options)
            return []

        monkeypatch.setattr(bot.tree, "sync", sync_without_ids)
    return bot


def test_without_an_id_the_command_is_named_as_the_readers_client_names_it(
    catalogs: Catalogs,
) -> None:
    mentions = CommandMentions()
    assert mentions.mention("dilemma resume", Localizer(catalogs, "en-US")) == "/dilemma resume"
    assert mentions.mention("privacy opt-in", Localizer(catalogs, "de")) == "/datenschutz zustimmen"
    assert mentions.mention("guidance", Localizer(catalogs, "pt-BR")) == "/orientação"
    assert mentions.mention("privacy forget-me", Localizer(catalogs, "fr")) == (
        "/confidentialité oubliez-moi"
    )


async def test_every_command_and_subcommand_has_its_mention_after_the_sync(
    simcord_env: Any, simcord_bot: IntervisionBot, catalogs: Catalogs
) -> None:
    localizer = Localizer(catalogs, "de")
    names = [command.qualified_name for command in simcord_bot.tree.walk_commands()]
    assert {"guidance", "dilemma", "dilemma resume", "privacy", "privacy opt-in"} <= set(names)
    for name in names:
        assert simcord_bot.command_mentions.mention(name, localizer) == command_mention(
            simcord_env, name
        )


async def test_replies_mention_the_command_they_point_at(world: World, simcord_env: Any) -> None:
    result = await world.mod.slash(world.channel, "dilemma pause")
    setup = command_mention(simcord_env, "dilemma setup")
    assert result.response.content == f"There is no schedule yet. Start with {setup}."


@pytest.mark.parametrize("simcord_bot", [WITHOUT_IDS], indirect=True)
async def test_without_ids_replies_name_the_command_in_the_members_language(
    world: World, member_locales: dict[int, str]
) -> None:
    result = await world.mod.slash(world.channel, "dilemma pause")
    assert result.response.content == "There is no schedule yet. Start with /dilemma setup."

    member_locales[world.mod.id] = "de"
    result = await world.mod.slash(world.channel, "dilemma pause")
    assert "Beginnen Sie mit /dilemma einrichten." in result.response.content

    member_locales[world.ana.id] = "de"
    opted_out = await world.ana.slash(world.channel, "privacy opt-out")
    assert "bis Sie /datenschutz vergiss-mich verwenden." in opted_out.response.content
    refused = await world.ana.click(
        world.dilemma.message, custom_id=share_custom_id(world.dilemma.post.id)
    )
    assert "Mit /datenschutz zustimmen machen Sie wieder mit." in refused.response.content
