"""Offline language identification restricted to the languages a community is likely to use.

Wraps ``py3langid`` (naive Bayes over byte n-grams; its model ships inside the wheel, nothing is
downloaded). Contract of :meth:`LanguageIdentifier.identify`: return an ISO 639-1 code from the
configured set, or ``"und"`` when the text is empty, has no letters (emoji, numbers, links,
Discord mentions only), is too short, or the classifier's confidence is below the floor. A
wrong guess is worse than ``"und"``: callers fall back to the thread's or guild's language.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Final

from py3langid.langid import MODEL_FILE
from py3langid.langid import LanguageIdentifier as _PyLangId

logger = logging.getLogger(__name__)

UNDETERMINED: Final = "und"
DEFAULT_LANGUAGES: Final[tuple[str, ...]] = ("en", "de", "pt", "es", "fr", "it", "nl", "pl")

# Things that carry no language signal: URLs, Discord mentions/custom emoji/timestamps,
# :shortcodes:, inline and fenced code.
_NOISE = re.compile(
    r"https?://\S+|www\.\S+|<a?:\w+:\d+>|<[@#&!]*\d+>|<t:\d+(?::\w)?>|:[a-z0-9_+-]+:"
    r"|```.*?```|`[^`]*`",
    re.DOTALL | re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_]{2,}")


class LanguageIdentifier:
    """Thread-safe language identifier over a fixed set of candidate languages.

    ``languages``: ISO 639-1 codes the answer is restricted to (must be known to py3langid).
    ``min_confidence``: normalised-probability floor; below it the answer is ``"und"``.
    ``min_letters``: texts with fewer letters (after removing links, mentions, emoji) are
    ``"und"``. ``short_words``/``short_confidence``: texts with fewer than ``short_words`` words
    need the stricter ``short_confidence`` (short texts are where wrong guesses come from).
    """

    def __init__(
        self,
        languages: Sequence[str] = DEFAULT_LANGUAGES,
        *,
        min_confidence: float = 0.5,
        min_letters: int = 6,
        short_words: int = 4,
        short_confidence: float = 0.9,
    ) -> None:
        if not languages:
            raise ValueError("languages must not be empty")
        self.languages: tuple[str, ...] = tuple(dict.fromkeys(languages))
        self.min_confidence = min_confidence
        self.min_letters = min_letters
        self.short_words = short_words
        self.short_confidence = short_confidence
        model = _PyLangId.from_model_file(MODEL_FILE, norm_probs=True)
        model.set_languages(list(self.languages))
        # keep only the columns of the configured languages (frees ~25 MB of the full model)
        try:
            model._full_model = (model.nb_ptc.copy(), model.nb_pc, model.nb_classes)
            model.nb_ptc = model._full_model[0]
        except AttributeError:  # pragma: no cover - depends on py3langid internals
            logger.debug("py3langid internals changed; keeping the full model")
        self._model = model

    @staticmethod
    def clean(text: str) -> str:
        """Return ``text`` without links, mentions, emoji shortcodes and code (no-signal parts)."""
        return _NOISE.sub(" ", text)

    def scores(self, text: str) -> list[tuple[str, float]]:
        """Return ``(language, probability)`` for every configured language, best first."""
        return [(lang, float(p)) for lang, p in self._model.rank(self.clean(text))]

    def identify_with_confidence(self, text: str) -> tuple[str, float]:
        """Return ``(code, confidence)``; code is ``"und"`` when undetermined (see module doc)."""
        cleaned = self.clean(text)
        words = _WORD.findall(cleaned)
        letters = sum(len(w) for w in words)
        if letters < self.min_letters:
            return UNDETERMINED, 0.0
        lang, conf = self._model.classify(cleaned)
        floor = self.short_confidence if len(words) < self.short_words else self.min_confidence
        if conf < floor:
            return UNDETERMINED, float(conf)
        return str(lang), float(conf)

    def identify(self, text: str) -> str:
        """Return the ISO 639-1 code of ``text``'s language, or ``"und"`` (see module doc)."""
        return self.identify_with_confidence(text)[0]
