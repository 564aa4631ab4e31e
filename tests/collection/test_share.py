"""The "Share a strategy" button: a modal, then the bot posts the strategy for the member."""

from __future__ import annotations

from typing import Any

from bot.client import IntervisionBot
from bot.domain.posts import share_custom_id
from bot.domain.privacy import ANONYMOUS_PREFIX
from bot.domain.strategies import MAX_STRATEGY_LENGTH, member_key
from bot.storage.sqlite import SqliteRepository
from tests.collection.conftest import World
from tests.mentions import command_mention

STRATEGY = "Ask about the need behind it. Reach me at ana@example.com or +49 170 1234567."


async def _share(world: World, member: Any, text: str, *, anonymous: bool) -> Any:
    shown = await member.click(
        world.dilemma.message, custom_id=share_custom_id(world.dilemma.post.id)
    )
    assert shown.modal is not None, shown
    return await member.submit_modal(shown, {"strategy": text, "anonymous": anonymous})


async def test_sharing_posts_the_strategy_in_the_thread_and_stores_it(
    world: World, repository: SqliteRepository, simcord_env: Any
) -> None:
    result = await _share(world, world.ana, STRATEGY, anonymous=False)

    posted = world.thread.last_message
    assert posted.author.id == simcord_env.bot.user.id
    embed = posted.embeds[0]
    assert embed.title == "Strategy shared by ana"
    # The bot never repeats personal data, even the author's own.
    assert embed.description == "Ask about the need behind it. Reach me at [email] or [phone]."
    strategy = await repository.strategy_by_message(world.guild.id, posted.id)
    assert strategy is not None
    assert strategy.text == STRATEGY  # the original, for classification and the author's export
    assert strategy.author_id == world.ana.id
    assert strategy.author_key == member_key(world.ana.id)
    assert not strategy.anonymous
    assert strategy.shared
    thanks = result.response  # the deferred ("thinking") reply, completed by the first followup
    assert thanks.ephemeral
    assert posted.jump_url in thanks.content


async def test_an_anonymous_strategy_stores_no_user_id(
    world: World, repository: SqliteRepository, simcord_env: Any
) -> None:
    result = await _share(world, world.ana, "I would consult my supervisor.", anonymous=True)

    posted = world.thread.last_message
    embed = posted.embeds[0]
    assert embed.title == "Strategy shared anonymously"
    assert "ana" not in str(embed.to_dict())
    assert str(world.ana.id) not in str(embed.to_dict())
    strategy = await repository.strategy_by_message(world.guild.id, posted.id)
    assert strategy is not None
    assert strategy.anonymous
    assert strategy.author_id is None
    assert strategy.author_key.startswith(ANONYMOUS_PREFIX)
    assert str(world.ana.id) not in strategy.author_key
    assert "anonymously" in result.response.content


async def test_anonymous_authors_are_still_counted_once_each(
    world: World, repository: SqliteRepository
) -> None:
    await _share(world, world.ana, "I would consult my supervisor.", anonymous=True)
    await _share(world, world.ana, "And I would review the agreement.", anonymous=True)
    await _share(world, world.ben, "I would ask for consent.", anonymous=True)
    stats = await repository.topic_stats(world.guild.id, "confidentiality")
    assert stats.strategies == 3
    assert stats.members == 2


async def test_a_strategy_of_4000_characters_can_be_shared(
    world: World, repository: SqliteRepository
) -> None:
    text = ("I would review the agreement with my coachee. " * 100)[:MAX_STRATEGY_LENGTH]
    await _share(world, world.ana, text, anonymous=False)
    strategy = await repository.strategy_by_message(world.guild.id, world.thread.last_message.id)
    assert strategy is not None
    assert strategy.text == text.strip()


async def test_the_shared_post_pings_nobody(world: World, simcord_env: Any) -> None:
    await _share(world, world.ana, "@everyone I would ask <@123456789012345678>.", anonymous=False)
    posts = [
        r
        for r in simcord_env.http_requests
        if r.method == "POST" and r.path == f"/channels/{world.thread.id}/messages"
    ]
    assert posts[-1].json["allowed_mentions"] == {"parse": []}
    assert world.thread.last_message.embeds[0].description == "[mention] I would ask [mention]."


async def test_words_are_required(world: World, repository: SqliteRepository) -> None:
    result = await _share(world, world.ana, "\N{THUMBS UP SIGN}", anonymous=False)
    assert result.ephemeral
    assert "few words" in result.response.content
    assert await repository.post_strategies(world.guild.id, world.dilemma.post.id) == []


async def test_a_closed_dilemma_refuses_politely(
    world: World, repository: SqliteRepository, simcord_env: Any
) -> None:
    await repository.mark_post_closed(world.dilemma.post.id, simcord_env.now())
    result = await world.ana.click(
        world.dilemma.message, custom_id=share_custom_id(world.dilemma.post.id)
    )
    assert result.modal is None
    assert result.ephemeral
    assert "closed" in result.response.content


async def test_an_opted_out_member_is_told_how_to_opt_in(
    world: World, member_locales: dict[int, str], simcord_env: Any
) -> None:
    member_locales[world.ana.id] = "de"
    await world.ana.slash(world.channel, "privacy opt-out")
    result = await world.ana.click(
        world.dilemma.message, custom_id=share_custom_id(world.dilemma.post.id)
    )
    assert result.modal is None
    assert result.ephemeral
    # Clickable; Discord shows it as the German member's client names it (/datenschutz zustimmen).
    assert f"Mit {command_mention(simcord_env, 'privacy opt-in')} machen" in result.response.content


async def test_the_modal_speaks_the_members_language(
    world: World, member_locales: dict[int, str]
) -> None:
    member_locales[world.ana.id] = "fr"
    shown = await world.ana.click(
        world.dilemma.message, custom_id=share_custom_id(world.dilemma.post.id)
    )
    assert shown.modal is not None
    assert shown.modal["title"] == "Partager une stratégie"


async def test_the_button_still_works_after_a_restart(
    world: World, repository: SqliteRepository, simcord_env: Any, simcord_bot: Any
) -> None:
    fresh = IntervisionBot(services=simcord_bot.services, catalogs=simcord_bot.catalogs)
    await simcord_env.restart_bot(fresh)
    await _share(world, world.ben, "I would ask for consent first.", anonymous=False)
    strategy = await repository.strategy_by_message(world.guild.id, world.thread.last_message.id)
    assert strategy is not None
    assert strategy.author_id == world.ben.id
