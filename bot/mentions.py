"""Clickable slash-command mentions for replies that point members at a command.

Discord renders ``</dilemma resume:123>`` as a clickable ``/dilemma resume`` in each member's own
client language, but only with the command's id, which Discord assigns when the bot syncs its
command tree. Messages therefore take the mention as a placeholder (``{command}``): translators
never write command names, and the text stays right whatever the names become.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from discord import AppCommandType, app_commands

from bot.i18n.localizer import Localizer
from bot.i18n.translator import COMMAND_NAME


class CommandMentions:
    """Maps a command's qualified name (``"dilemma resume"``, ``"privacy opt-in"``, as written in
    the source) to its mention.

    The bot fills it once from the commands its tree sync returns (:meth:`learn`). A name with no
    known id (before the sync, or a command Discord did not return) falls back to plain text:
    ``/`` and the command's name as the reader's client shows it, localized through the
    ``command name`` catalog entries (``/datenschutz zustimmen`` in German).
    """

    def __init__(self) -> None:
        self._mentions: dict[str, str] = {}

    def learn(self, commands: Iterable[app_commands.AppCommand]) -> None:
        """Remember the mentions of ``commands`` and of all their subcommands (what
        ``CommandTree.sync`` or ``CommandTree.fetch_commands`` returns). Context-menu commands
        cannot be mentioned and are skipped."""
        for command in commands:
            if command.type is not AppCommandType.chat_input:
                continue
            self._mentions[command.name] = command.mention
            self._learn_options(command.options)

    def _learn_options(
        self, options: Sequence[app_commands.AppCommandGroup | app_commands.Argument]
    ) -> None:
        for option in options:
            if isinstance(option, app_commands.AppCommandGroup):
                self._mentions[option.qualified_name] = option.mention
                self._learn_options(option.options)

    def mention(self, name: str, localizer: Localizer) -> str:
        """The clickable mention of the command ``name``, else ``/name`` in ``localizer``'s
        language (each word of ``name`` is a command name in the catalogs)."""
        known = self._mentions.get(name)
        if known is not None:
            return known
        return "/" + " ".join(localizer.pgettext(COMMAND_NAME, part) for part in name.split())
