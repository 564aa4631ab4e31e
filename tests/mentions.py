"""The clickable mention of a slash command, with the id simcord gave it when the bot synced."""

from __future__ import annotations

from typing import Any


def command_mention(env: Any, name: str) -> str:
    """``</dilemma resume:<id>>`` for ``name`` ("dilemma resume"), as Discord renders it."""
    command = env.backend.find_command(name.split(maxsplit=1)[0], None)
    assert command is not None, f"simcord has no command {name!r}"
    return f"</{name}:{command['id']}>"
