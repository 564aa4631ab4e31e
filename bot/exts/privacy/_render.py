"""Rendering for ``/privacy``: private, localized replies."""

from __future__ import annotations

from bot.domain.privacy import Erasure
from bot.i18n.localizer import Localizer
from bot.mentions import CommandMentions


def export_intro(localizer: Localizer, *, empty: bool) -> str:
    """The message the export file is attached to."""
    if empty:
        return localizer.gettext(
            "Nothing is stored about you in this server. The attached file shows it."
        )
    return localizer.gettext(
        "Here is everything stored about you in this server, including the original text of "
        "your strategies (also the anonymous ones)."
    )


def forget_question(localizer: Localizer) -> str:
    """Asked before erasing."""
    return localizer.gettext(
        "This erases every strategy you shared in this server, including the anonymous ones and "
        "the posts the bot made for you, and every endorsement you gave. Summaries stop counting "
        "them at once. This cannot be undone. Erase now?"
    )


def forget_confirm_label(localizer: Localizer) -> str:
    """The button that erases."""
    return localizer.gettext("Erase my data")


def forget_cancel_label(localizer: Localizer) -> str:
    """The button that keeps everything."""
    return localizer.gettext("Cancel")


def forget_done(localizer: Localizer, erased: Erasure, *, opted_out: bool) -> str:
    """The result of ``forget-me``."""
    strategies = localizer.ngettext("{n} strategy", "{n} strategies", erased.strategies)
    endorsements = localizer.ngettext("{n} endorsement", "{n} endorsements", erased.endorsements)
    text = localizer.gettext(
        "Done: {strategies} and {endorsements} were erased.",
        strategies=strategies,
        endorsements=endorsements,
    )
    if opted_out:
        text += " " + localizer.gettext(
            "You remain opted out, so your replies are still not collected."
        )
    return text


def forget_cancelled(localizer: Localizer) -> str:
    """The member cancelled."""
    return localizer.gettext("Nothing was erased.")


def forget_expired(localizer: Localizer) -> str:
    """The confirmation timed out."""
    return localizer.gettext("This request expired, so nothing was erased.")


def opted_out(localizer: Localizer, mentions: CommandMentions) -> str:
    """After ``opt-out``."""
    # TRANSLATORS: {command} is the clickable /privacy forget-me command.
    return localizer.gettext(
        "Your replies in dilemma threads are no longer collected in this server. What is "
        "already stored stays until you use {command}.",
        command=mentions.mention("privacy forget-me", localizer),
    )


def opted_in(localizer: Localizer) -> str:
    """After ``opt-in``."""
    return localizer.gettext(
        "Your replies in dilemma threads are collected again in this server. Thank you!"
    )


def retention_needs_permission(localizer: Localizer) -> str:
    """A member without Manage Server tried to change the retention."""
    return localizer.gettext("Only members who can manage this server can change the retention.")


def retention_status(localizer: Localizer, days: int | None) -> str:
    """The retention now in force."""
    if days is None:
        return localizer.gettext(
            "Strategies are kept until members erase them or the bot leaves the server."
        )
    return localizer.ngettext(
        "Strategies are deleted {n} day after they were written.",
        "Strategies are deleted {n} days after they were written.",
        days,
    )
