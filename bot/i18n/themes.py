"""Localized labels and one-line descriptions of the strategy themes.

The msgids are marked with :func:`N_` so that the extractor finds them; they are translated at
the moment of use with ``localizer.gettext(label)``.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.i18n.localizer import Localizer


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now."""
    return message


#: theme id -> (label, description), in the taxonomy's order.
THEME_TEXTS: dict[str, tuple[str, str]] = {
    "agreement": (
        N_("Revisit the agreement"),
        N_("Reaffirm or review the coaching or confidentiality agreement and the ethics code."),
    ),
    "explore_motives": (
        N_("Explore motives"),
        N_("Explore the reasons, needs and feelings behind the intention; invite reflection."),
    ),
    "consequences": (
        N_("Weigh consequences"),
        N_("Discuss the consequences and risks for everyone involved."),
    ),
    "alternatives": (
        N_("Find alternatives"),
        N_("Brainstorm other ways to meet the underlying need within the boundary."),
    ),
    "legal_duty": (
        N_("Legal duties and limits"),
        N_("Mandatory obligations and the limits of confidentiality: harm, law, duty to report."),
    ),
    "consent": (
        N_("Ask for consent"),
        N_("Get explicit permission from the person concerned before sharing or acting."),
    ),
    "rehearse": (
        N_("Rehearse the conversation"),
        N_("Role-play or practise how to say or share something appropriately."),
    ),
    "proper_channels": (
        N_("Use proper channels"),
        N_("HR, ombudsperson, compliance, legal counsel, professional body or a referral."),
    ),
    "empathy": (
        N_("Stay calm and empathic"),
        N_("Stay calm and non-judgmental; acknowledge feelings."),
    ),
    "supervision": (
        N_("Seek supervision"),
        N_("Consult a coaching supervisor, peer group, mentor or ethics committee."),
    ),
    "boundaries": (
        N_("Clarify roles and boundaries"),
        N_("Clarify what coaching is and is not, dual relationships, pausing or ending."),
    ),
    "document": (
        N_("Document it"),
        N_("Record the conversation, the decision or the agreement."),
    ),
}


def theme_label(
    localizer: Localizer, theme: str, custom: Mapping[str, Mapping[str, str]] | None = None
) -> str:
    """The theme's label in the localizer's language.

    ``custom`` holds the labels of a dilemma's own themes (theme id -> locale -> label).
    """
    if theme in THEME_TEXTS:
        return localizer.gettext(THEME_TEXTS[theme][0])
    labels = (custom or {}).get(theme, {})
    return labels.get(localizer.locale) or next(iter(labels.values()), theme.replace("_", " "))


def theme_description(localizer: Localizer, theme: str) -> str:
    """One line on what the theme means ("" for a dilemma's own themes)."""
    return localizer.gettext(THEME_TEXTS[theme][1]) if theme in THEME_TEXTS else ""
