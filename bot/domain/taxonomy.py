"""The fixed strategy taxonomy: theme ids a member reply ("strategy") may carry.

Pure module (no I/O, no third-party imports). A reply may carry 0, 1 or several themes.
The ids are stable identifiers stored in the database and used as keys of the trained model;
user-visible labels are translated elsewhere (locales), ``description_en`` is documentation only.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Theme:
    """A strategy theme: stable ``id`` and an English description (documentation only)."""

    id: str
    description_en: str


THEME_DEFINITIONS: tuple[Theme, ...] = (
    Theme(
        "agreement",
        "Reaffirm or review the confidentiality/coaching agreement, contract, NDA or code of "
        "ethics.",
    ),
    Theme(
        "explore_motives",
        "Explore the reasons, needs, feelings or motives behind the intention; ask why; invite "
        "reflection.",
    ),
    Theme(
        "consequences",
        "Discuss or weigh consequences and risks for the people involved.",
    ),
    Theme(
        "alternatives",
        "Brainstorm alternative ways to meet the underlying need within the boundary.",
    ),
    Theme(
        "legal_duty",
        "Legal or mandatory obligations and the limits of confidentiality (harm, law, duty to "
        "report).",
    ),
    Theme(
        "consent",
        "Get explicit permission or consent from the person concerned before sharing or acting.",
    ),
    Theme(
        "rehearse",
        "Role-play or rehearse how to say or share something appropriately.",
    ),
    Theme(
        "proper_channels",
        "HR, ombudsperson, compliance, legal counsel, whistleblowing line, professional body, "
        "referral to another professional.",
    ),
    Theme(
        "empathy",
        "Stay calm, empathic, non-judgmental; acknowledge feelings.",
    ),
    Theme(
        "supervision",
        "Consult a coaching supervisor, peer group, mentor or ethics committee.",
    ),
    Theme(
        "boundaries",
        "Clarify roles and boundaries of the relationship (what coaching is and is not, dual "
        "relationships, pausing or ending).",
    ),
    Theme(
        "document",
        "Document or record the conversation, decision or agreement.",
    ),
)

#: The 12 theme ids, in canonical order (this order is also the column order of the model).
THEMES: tuple[str, ...] = tuple(t.id for t in THEME_DEFINITIONS)

_BY_ID: dict[str, Theme] = {t.id: t for t in THEME_DEFINITIONS}


def get_theme(theme_id: str) -> Theme:
    """Return the :class:`Theme` with ``theme_id``; raise ``KeyError`` if it is unknown."""
    return _BY_ID[theme_id]


def is_theme(theme_id: str) -> bool:
    """Return True iff ``theme_id`` is one of the fixed :data:`THEMES`."""
    return theme_id in _BY_ID
