"""What collection feeds the /guidance summaries: one count per member, masked quotes, kept in
step with edits, deletions and erasure."""

from __future__ import annotations

import json
from typing import Any

from bot.domain.posts import share_custom_id
from tests.collection.conftest import World

TOPIC = "confidentiality"


async def _guidance(world: World, member: Any) -> str:
    result = await member.slash(world.channel, "guidance", topic=TOPIC)
    return json.dumps([e.to_dict() for e in result.response.embeds], ensure_ascii=False)


async def test_a_member_counts_once_whether_named_or_anonymous(world: World) -> None:
    await world.ana.send(world.thread, "I would ask my supervisor.")
    shown = await world.ana.click(
        world.dilemma.message, custom_id=share_custom_id(world.dilemma.post.id)
    )
    await world.ana.submit_modal(
        shown, {"strategy": "I would also review the agreement.", "anonymous": True}
    )
    assert "1 member \u00b7 2 strategies" in await _guidance(world, world.ben)


async def test_quotes_are_masked_and_follow_edits_and_erasure(world: World) -> None:
    message = await world.ana.send(
        world.thread, "Mail me at ana@example.com. I would talk to my supervisor first."
    )
    shown = await _guidance(world, world.ben)
    assert "I would talk to my supervisor first." in shown
    assert "ana@example.com" not in shown

    await world.ana.edit(message, "I would ask my supervisor, call +49 170 1234567.")
    shown = await _guidance(world, world.ben)
    assert "I would talk to my supervisor first." not in shown
    assert "I would ask my supervisor, call [phone]." in shown

    asked = await world.ana.slash(world.channel, "privacy forget-me")
    await world.ana.click(asked.response, label="Erase my data")
    shown = await _guidance(world, world.ben)
    assert "No strategies have been shared" in shown
    assert "supervisor" not in shown
