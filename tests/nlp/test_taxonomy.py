"""The fixed taxonomy and the shipped model agree."""

from __future__ import annotations

from bot.domain.taxonomy import THEME_DEFINITIONS, THEMES, Theme, get_theme, is_theme
from bot.nlp.themes import ThemeModel


def test_themes_fixed_order() -> None:
    assert THEMES == (
        "agreement",
        "explore_motives",
        "consequences",
        "alternatives",
        "legal_duty",
        "consent",
        "rehearse",
        "proper_channels",
        "empathy",
        "supervision",
        "boundaries",
        "document",
    )
    assert all(isinstance(t, Theme) and t.description_en for t in THEME_DEFINITIONS)
    assert get_theme("consent").id == "consent"
    assert is_theme("rehearse")
    assert not is_theme("nonsense")


def test_shipped_model_matches_taxonomy() -> None:
    model = ThemeModel.load()
    assert model.themes == THEMES
    members, d, hidden = model.hidden_weights.shape
    assert model.output_weights.shape == (members, hidden, len(THEMES))
    assert model.n_features == d
    assert model.thresholds.shape == (len(THEMES),)
    assert model.metadata.get("training_size", 0) > 0
