"""``/guidance`` through the real bot under simcord."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from bot.domain.guilds import GuildSettings
from bot.storage.sqlite import SqliteRepository

GERMAN_POINT = "Bekräftigen Sie die Bedeutung der Vertraulichkeit"
ENGLISH_POINT = "Reaffirm the importance of confidentiality"


@pytest.fixture
def world(simcord_env: Any) -> tuple[Any, Any, Any]:
    guild = simcord_env.create_guild("Coaches")
    channel = guild.create_text_channel("ethics")
    member = guild.add_member(simcord_env.create_user("ana"))
    return guild, channel, member


def _embed(result: Any) -> discord.Embed:
    assert result.response is not None
    assert result.response.embeds, result.response.content
    return result.response.embeds[0]


async def test_guidance_in_english_by_default(world: tuple[Any, Any, Any]) -> None:
    _, channel, member = world
    result = await member.slash(channel, "guidance", topic="confidentiality")
    embed = _embed(result)
    assert not result.ephemeral
    assert embed.title == "A coachee wants to breach confidentiality"
    key_points = embed.fields[0]
    assert key_points.name == "Key points"
    assert ENGLISH_POINT in key_points.value
    assert key_points.value.count("\N{BULLET}") == 3


@pytest.mark.parametrize(
    ("discord_locale", "heading", "fragment"),
    [
        ("de", "Kernpunkte", GERMAN_POINT),
        ("pt-BR", "Pontos-chave", "Reforce a importância da confidencialidade"),
        ("es-ES", "Puntos clave", "confidencialidad"),
        ("es-419", "Puntos clave", "confidencialidad"),
        ("fr", "Points clés", "confidentialité"),
        ("en-GB", "Key points", ENGLISH_POINT),
    ],
)
async def test_guidance_speaks_the_members_language(
    world: tuple[Any, Any, Any],
    member_locales: dict[int, str],
    discord_locale: str,
    heading: str,
    fragment: str,
) -> None:
    _, channel, member = world
    member_locales[member.id] = discord_locale
    embed = _embed(await member.slash(channel, "guidance", topic="confidentiality"))
    assert embed.fields[0].name == heading
    assert fragment in embed.fields[0].value


async def test_unsupported_member_locale_falls_back_to_the_guild_language(
    world: tuple[Any, Any, Any], member_locales: dict[int, str], repository: SqliteRepository
) -> None:
    guild, channel, member = world
    await repository.save_guild_settings(GuildSettings(guild_id=guild.id, locale="fr"))
    member_locales[member.id] = "ja"
    embed = _embed(await member.slash(channel, "guidance", topic="confidentiality"))
    assert embed.fields[0].name == "Points clés"


async def test_unsupported_locale_without_guild_language_uses_the_default(
    world: tuple[Any, Any, Any], member_locales: dict[int, str]
) -> None:
    _, channel, member = world
    member_locales[member.id] = "ja"
    embed = _embed(await member.slash(channel, "guidance", topic="confidentiality"))
    assert embed.fields[0].name == "Key points"


async def test_private_guidance_is_ephemeral(world: tuple[Any, Any, Any]) -> None:
    _, channel, member = world
    result = await member.slash(channel, "guidance", topic="confidentiality", private=True)
    assert result.ephemeral
    assert _embed(result).title


async def test_unknown_topic_suggests_close_matches(
    world: tuple[Any, Any, Any], member_locales: dict[int, str]
) -> None:
    _, channel, member = world
    member_locales[member.id] = "de"
    result = await member.slash(channel, "guidance", topic="confidentialty")
    assert result.ephemeral
    content = result.response.content
    assert "confidentialty" in content
    assert "`confidentiality`" in content
    assert "Meinten Sie" in content


async def test_echoed_text_never_pings(world: tuple[Any, Any, Any], simcord_env: Any) -> None:
    _, channel, member = world
    result = await member.slash(channel, "guidance", topic="@everyone zzzz")
    assert "@everyone" in result.response.content
    callback = next(r for r in reversed(simcord_env.http_requests) if r.path.endswith("/callback"))
    assert callback.json["data"]["allowed_mentions"] == {"parse": []}


async def test_autocomplete_lists_localized_titles(
    world: tuple[Any, Any, Any], member_locales: dict[int, str]
) -> None:
    _, channel, member = world
    member_locales[member.id] = "de"
    everything = await member.autocomplete(channel, "guidance", "topic", "")
    assert len(everything) >= 8
    german = {c["value"]: c["name"] for c in everything}
    assert "Vertraulichkeit" in german["confidentiality"]
    narrowed = await member.autocomplete(channel, "guidance", "topic", "geschenk")
    assert [c["value"] for c in narrowed] == ["gifts"]


async def test_command_sync_carries_localizations(simcord_env: Any) -> None:
    puts = [
        r for r in simcord_env.http_requests if r.method == "PUT" and r.path.endswith("/commands")
    ]
    assert puts, "the bot never synced its commands"
    guidance = next(c for c in puts[-1].json if c["name"] == "guidance")
    assert set(guidance["name_localizations"]) >= {"de", "pt-BR", "es-ES", "es-419", "fr"}
    assert set(guidance["description_localizations"]) >= {"de", "pt-BR", "es-ES", "fr"}
    topic = next(o for o in guidance["options"] if o["name"] == "topic")
    assert topic["autocomplete"] is True
    assert set(topic["name_localizations"]) >= {"de", "pt-BR", "es-ES", "fr"}
