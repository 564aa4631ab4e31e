"""Localized slash commands: a :class:`discord.app_commands.Translator` over our catalogs.

Command texts are written with :func:`cmd`, which carries a gettext context so that a command
name ("topic") never shares a translation with a sentence that happens to use the same word.
Write the context as a string literal (``cmd("option name", "topic")``) so that Babel's extractor
records it; the constants below name the contexts the catalog checks know.
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.i18n.catalogs import Catalogs
from bot.i18n.locales import SUPPORTED_LOCALES, supported

#: gettext contexts of command texts. Translations of ``*_NAME`` contexts must be valid Discord
#: names (lowercase, no spaces, <= 32 characters); descriptions and choices <= 100 characters.
COMMAND_NAME = "command name"
OPTION_NAME = "option name"
COMMAND_DESCRIPTION = "command description"
OPTION_DESCRIPTION = "option description"
CHOICE = "choice"
NAME_CONTEXTS = (COMMAND_NAME, OPTION_NAME)


def cmd(context: str, message: str) -> app_commands.locale_str:
    """A command text (name, description or choice) to be localized under ``context``."""
    return app_commands.locale_str(message, context=context)


class CatalogTranslator(app_commands.Translator):
    """Looks command texts up in the gettext catalogs; ``None`` means "use the source text"."""

    def __init__(self, catalogs: Catalogs) -> None:
        self._catalogs = catalogs

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        """Translate for every Discord locale one of our catalogs covers (es-419 -> es-ES...)."""
        target = supported(locale.value)
        if target is None or target == SUPPORTED_LOCALES[0]:
            return None
        return self._catalogs.lookup(target, string.message, string.extras.get("context"))
