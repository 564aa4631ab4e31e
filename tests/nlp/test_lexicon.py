"""Cue lexicon and negation scope."""

from __future__ import annotations

from bot.domain.taxonomy import THEMES
from bot.nlp.lexicon import N_CUE_FEATURES, cue_features, cue_themes, fold, has_negation


def _negated(text: str) -> set[str]:
    vec = cue_features(text)
    n = len(THEMES)
    return {t for k, t in enumerate(THEMES) if vec[n + k] > 0}


def test_fold() -> None:
    assert fold("Überprüfen CONSEQUÊNCIAS") == "uberprufen consequencias"


def test_cues_multilingual() -> None:
    assert "supervision" in cue_themes("Ich würde das in die Supervision bringen.")
    assert "rehearse" in cue_themes("Offer to role-play the conversation.")
    assert "consent" in cue_themes("Pediría su consentimiento primero.")


def test_negation_scope() -> None:
    assert cue_features("x").shape == (N_CUE_FEATURES,)
    assert "rehearse" in _negated("I would not role-play this.")
    assert "rehearse" not in cue_themes("I would not role-play this.")
    # scope ends at "but": the second clause is not negated
    text = "No need to involve HR here, but talk to your supervisor."
    assert "proper_channels" in _negated(text)
    assert "supervision" in cue_themes(text)
    assert has_negation("Je ne ferais pas ça.")
    assert not has_negation("Ask her first.")
