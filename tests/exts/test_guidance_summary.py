"""``/guidance`` with the community's strategies: the real language and theme models, replies in
several languages, answers in the asker's language."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from bot.nlp.analyzer import Analyzer
from bot.services.ports import TextAnalyzer

REPLIES = {
    "ana": "First, stay calm and listen without judging. Then remind them of the confidentiality "
    "agreement we signed at the start of the coaching.",
    "ben": "Ich würde die Vereinbarung zur Vertraulichkeit noch einmal gemeinsam durchgehen und "
    "fragen, was hinter dem Wunsch steckt.",
    "caio": "Eu levaria o caso para a minha supervisora antes de qualquer decisão. Pode me "
    "ligar: +55 11 98765-4321 ou escrever para caio@example.com.",
    "dana": "I would explore what is driving the wish to share: what need is behind it?",
    "eli": "Thanks for the post, great topic!",
}
EMAIL, PHONE = "caio@example.com", "98765-4321"


@pytest.fixture
def text_analyzer(analyzer: Analyzer) -> TextAnalyzer:
    return analyzer


@pytest.fixture
async def discussed(simcord_env: Any) -> dict[str, Any]:
    """A guild whose confidentiality thread holds five replies in three languages."""
    guild = simcord_env.create_guild("Coaches")
    channel = guild.create_text_channel("dilemmas")
    mods = guild.create_role("Mods", permissions=discord.Permissions(manage_guild=True))
    mod = guild.add_member(simcord_env.create_user("mod"), roles=[mods])
    await mod.slash(
        channel,
        "dilemma setup",
        channel=channel,
        weekday=0,
        time="09:00",
        timezone="Europe/Berlin",
    )
    await mod.slash(channel, "dilemma post", topic="confidentiality")
    (thread,) = channel.threads
    members = {name: guild.add_member(simcord_env.create_user(name)) for name in REPLIES}
    messages = {}
    for name, text in REPLIES.items():
        messages[name] = await members[name].send(thread, text)
    return {
        "guild": guild,
        "channel": channel,
        "thread": thread,
        "members": members,
        "messages": messages,
        "mod": mod,
        "env": simcord_env,
    }


def _fields(result: Any) -> dict[str, str]:
    (embed,) = result.response.embeds
    return {field.name: field.value for field in embed.fields}


async def test_guidance_in_german_merges_all_languages(
    discussed: dict[str, Any], member_locales: dict[int, str]
) -> None:
    asker = discussed["members"]["ben"]
    member_locales[asker.id] = "de"
    fields = _fields(await asker.slash(discussed["channel"], "guidance", topic="confidentiality"))
    assert "Kernpunkte" in fields
    community = fields["Die Strategien der Community (Mitglieder)"]
    assert "Vereinbarung" in community  # "Revisit the agreement", in German
    assert "**2**" in community  # ana and ben both reaffirm the agreement
    participation = fields["Beteiligung"]
    assert "5 Mitglieder" in participation
    assert "5 Strategien" in participation
    assert f"https://discord.com/channels/{discussed['guild'].id}/{discussed['thread'].id}" in (
        participation
    )


async def test_quotes_prefer_the_askers_language_and_tag_others(
    discussed: dict[str, Any], member_locales: dict[int, str]
) -> None:
    asker = discussed["members"]["dana"]
    member_locales[asker.id] = "pt-BR"
    result = await asker.slash(discussed["channel"], "guidance", topic="confidentiality")
    text = "\n".join(_fields(result).values())
    assert "Pontos-chave" in _fields(result)
    assert "(EN)" in text or "(DE)" in text  # quotes in other languages carry their language
    for line in text.splitlines():
        if line.startswith("> ") and "(EN)" not in line and "(DE)" not in line:
            assert "supervisora" in line  # an untagged quote is in Portuguese


async def test_quotes_never_show_personal_data(
    discussed: dict[str, Any], member_locales: dict[int, str]
) -> None:
    for locale in ("en-US", "de", "pt-BR"):
        asker = discussed["members"]["eli"]
        member_locales[asker.id] = locale
        result = await asker.slash(discussed["channel"], "guidance", topic="confidentiality")
        (embed,) = result.response.embeds
        rendered = str(embed.to_dict())
        assert EMAIL not in rendered
        assert PHONE not in rendered


async def test_english_guidance_counts_distinct_members(discussed: dict[str, Any]) -> None:
    ana = discussed["members"]["ana"]
    await ana.send(discussed["thread"], "And I would remind them of the agreement once more.")
    fields = _fields(await ana.slash(discussed["channel"], "guidance", topic="confidentiality"))
    community = fields["The community's strategies (members)"]
    agreement = next(line for line in community.splitlines() if "Revisit the agreement" in line)
    assert "**2**" in agreement  # ana twice, ben once: two members
    assert "6 strategies" in fields["Participation"]


async def test_a_deleted_reply_stops_counting_at_once(discussed: dict[str, Any]) -> None:
    ben = discussed["members"]["ben"]
    await ben.delete(discussed["messages"]["ben"])
    fields = _fields(await ben.slash(discussed["channel"], "guidance", topic="confidentiality"))
    assert "4 members" in fields["Participation"]


async def test_no_answers_yet_is_a_friendly_invitation(
    discussed: dict[str, Any], member_locales: dict[int, str]
) -> None:
    asker = discussed["members"]["ana"]
    member_locales[asker.id] = "de"
    fields = _fields(await asker.slash(discussed["channel"], "guidance", topic="gifts"))
    (invitation,) = [v for k, v in fields.items() if k.startswith("Die Strategien der Community")]
    assert "Noch" in invitation or "noch" in invitation


async def test_other_guilds_never_see_these_strategies(
    discussed: dict[str, Any], simcord_env: Any
) -> None:
    other = simcord_env.create_guild("Elsewhere")
    channel = other.create_text_channel("general")
    member = other.add_member(simcord_env.create_user("zoe"))
    result = await member.slash(channel, "guidance", topic="confidentiality")
    rendered = str(result.response.embeds[0].to_dict())
    assert "No strategies have been shared" in rendered
    assert "supervisora" not in rendered
    assert "stay calm" not in rendered.casefold()
