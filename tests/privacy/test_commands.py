"""``/privacy export|forget-me|opt-out|opt-in``: private, localized, and effective at once."""

from __future__ import annotations

import json
from typing import Any

from bot.domain.posts import share_custom_id
from bot.storage.sqlite import SqliteRepository
from tests.mentions import command_mention
from tests.privacy.conftest import World

THUMBS_UP = "\N{THUMBS UP SIGN}"
TOPIC = "confidentiality"
PRIVATE_TEXT = "Call me on +49 170 1234567: I would ask my supervisor."


async def _share_anonymously(world: World, member: Any, text: str) -> None:
    shown = await member.click(
        world.dilemma.message, custom_id=share_custom_id(world.dilemma.post.id)
    )
    await member.submit_modal(shown, {"strategy": text, "anonymous": True})


async def _export(world: World, member: Any) -> tuple[Any, dict[str, Any]]:
    result = await member.slash(world.channel, "privacy export")
    assert result.ephemeral
    [attachment] = result.response.attachments
    assert attachment.filename.endswith(".json")
    return result, json.loads(await attachment.read())


async def test_export_holds_everything_about_the_member_and_nothing_about_others(
    world: World, repository: SqliteRepository
) -> None:
    mine = await world.ana.send(world.thread, PRIVATE_TEXT)
    await _share_anonymously(world, world.ana, "Anonymously: I would ask for consent.")
    others = await world.ben.send(world.thread, "Ben's own view: review the agreement.")
    await world.ana.react(others, THUMBS_UP)
    await world.ben.react(mine, THUMBS_UP)

    result, document = await _export(world, world.ana)

    assert "everything stored about you" in result.response.content
    assert document["user_id"] == str(world.ana.id)
    assert document["guild_id"] == str(world.guild.id)
    texts = {s["text"]: s for s in document["strategies"]}
    assert set(texts) == {PRIVATE_TEXT, "Anonymously: I would ask for consent."}
    assert texts[PRIVATE_TEXT]["endorsements"] == 1  # a count, never who
    assert texts[PRIVATE_TEXT]["topic"] == TOPIC
    assert texts["Anonymously: I would ask for consent."]["anonymous"] is True
    assert document["endorsements_given"] == [
        {
            "message_id": str(others.id),
            "topic": TOPIC,
            "created_at": document["endorsements_given"][0]["created_at"],
        }
    ]
    dumped = json.dumps(document)
    assert "Ben's own view" not in dumped
    assert str(world.ben.id) not in dumped


async def test_export_of_a_member_with_no_data(world: World) -> None:
    result, document = await _export(world, world.ben)
    assert "Nothing is stored about you" in result.response.content
    assert document["strategies"] == []
    assert document["endorsements_given"] == []


async def test_forget_me_erases_after_confirmation_and_summaries_stop_counting(
    world: World, repository: SqliteRepository
) -> None:
    await world.ana.send(world.thread, "I would stay calm.")
    await _share_anonymously(world, world.ana, "I would consult my supervisor.")
    posted_for_ana = world.thread.last_message.id
    others = await world.ben.send(world.thread, "I would review the agreement.")
    await world.ana.react(others, THUMBS_UP)
    before = await repository.topic_stats(world.guild.id, TOPIC)
    assert (before.strategies, before.members, before.endorsements) == (3, 2, 1)

    asked = await world.ana.slash(world.channel, "privacy forget-me")
    assert asked.ephemeral
    assert "the posts the bot made for you" in asked.response.content
    assert (await repository.topic_stats(world.guild.id, TOPIC)).strategies == 3
    done = await world.ana.click(asked.response, label="Erase my data")

    assert "2 strategies and 1 endorsement were erased" in done.response.content
    after = await repository.topic_stats(world.guild.id, TOPIC)
    assert (after.strategies, after.members, after.endorsements) == (1, 1, 0)
    assert await repository.strategy_by_message(world.guild.id, others.id) is not None
    # The bot's post of her anonymous strategy is gone from the thread too.
    assert posted_for_ana not in {m.id for m in world.thread.history()}
    assert others.id in {m.id for m in world.thread.history()}
    _, document = await _export(world, world.ana)
    assert document["strategies"] == []
    assert document["endorsements_given"] == []


async def test_forget_me_can_be_cancelled(world: World, repository: SqliteRepository) -> None:
    await world.ana.send(world.thread, "I would stay calm.")
    asked = await world.ana.slash(world.channel, "privacy forget-me")
    cancelled = await world.ana.click(asked.response, label="Cancel")
    assert cancelled.response.content == "Nothing was erased."
    assert (await repository.topic_stats(world.guild.id, TOPIC)).strategies == 1


async def test_forget_me_keeps_an_opt_out(world: World, repository: SqliteRepository) -> None:
    await world.ana.send(world.thread, "I would stay calm.")
    await world.ana.slash(world.channel, "privacy opt-out")
    asked = await world.ana.slash(world.channel, "privacy forget-me")
    done = await world.ana.click(asked.response, label="Erase my data")
    assert "remain opted out" in done.response.content
    assert await repository.opted_out(world.guild.id, world.ana.id)


async def test_an_unanswered_confirmation_expires(
    world: World, repository: SqliteRepository, simcord_env: Any
) -> None:
    await world.ana.send(world.thread, "I would stay calm.")
    asked = await world.ana.slash(world.channel, "privacy forget-me")
    await simcord_env.advance_time(121)
    assert "expired" in asked.response.content
    assert asked.response.components == []
    assert (await repository.topic_stats(world.guild.id, TOPIC)).strategies == 1


async def test_privacy_replies_are_localized(
    world: World, member_locales: dict[int, str], simcord_env: Any
) -> None:
    member_locales[world.ana.id] = "de"
    result = await world.ana.slash(world.channel, "privacy opt-out")
    assert result.ephemeral
    assert "nicht mehr" in result.response.content
    # The command is a clickable mention: the client shows it in German, translators never
    # write it.
    forget_me = command_mention(simcord_env, "privacy forget-me")
    assert f"bis Sie {forget_me} verwenden." in result.response.content


async def test_privacy_replies_never_ping(world: World, simcord_env: Any) -> None:
    await world.ana.slash(world.channel, "privacy opt-in")
    callback = next(r for r in reversed(simcord_env.http_requests) if r.path.endswith("/callback"))
    assert callback.json["data"]["allowed_mentions"] == {"parse": []}


async def test_only_moderators_change_the_retention(
    world: World, repository: SqliteRepository
) -> None:
    refused = await world.ana.slash(world.channel, "privacy retention", days=30)
    assert "manage this server" in refused.response.content
    assert await repository.retention_days(world.guild.id) is None

    shown = await world.ana.slash(world.channel, "privacy retention")
    assert "kept until" in shown.response.content

    changed = await world.mod.slash(world.channel, "privacy retention", days=30)
    assert "30 days" in changed.response.content
    assert await repository.retention_days(world.guild.id) == 30
    await world.mod.slash(world.channel, "privacy retention", days=0)
    assert await repository.retention_days(world.guild.id) is None


async def test_the_retention_deletes_old_strategies(
    world: World, repository: SqliteRepository, simcord_env: Any
) -> None:
    await world.mod.slash(world.channel, "privacy retention", days=7)
    old = await world.ana.send(world.thread, "I would stay calm.")
    await simcord_env.advance_time(3 * 86400)
    recent = await world.ben.send(world.thread, "I would ask why.")
    await simcord_env.advance_time(4 * 86400 + 3600)
    assert await repository.strategy_by_message(world.guild.id, old.id) is None
    assert await repository.strategy_by_message(world.guild.id, recent.id) is not None


async def test_the_privacy_commands_are_localized(simcord_env: Any) -> None:
    puts = [
        r for r in simcord_env.http_requests if r.method == "PUT" and r.path.endswith("/commands")
    ]
    privacy = next(c for c in puts[-1].json if c["name"] == "privacy")
    assert privacy["name_localizations"]["de"] == "datenschutz"
    assert set(privacy["description_localizations"]) >= {"de", "pt-BR", "es-ES", "fr"}
    names = {o["name"]: o["name_localizations"] for o in privacy["options"]}
    assert set(names) == {"export", "forget-me", "opt-out", "opt-in", "retention"}
    assert names["forget-me"]["fr"] == "oubliez-moi"
