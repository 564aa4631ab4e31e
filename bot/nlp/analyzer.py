"""Facade of the NLP package: language + themes for batches of member replies.

Usage (load once at startup, then call from a worker thread)::

    analyzer = Analyzer.load()                       # ~1-2 s, ~170 MB resident
    results = await asyncio.to_thread(analyzer.analyze, texts)

Contract of :meth:`Analyzer.analyze`: one :class:`Analysis` per input text, in order; the
result for a text does not depend on the rest of the batch (batching only changes speed);
deterministic; safe to call concurrently from several threads (models are read-only, the
encoder's caches are lock-protected). Everything runs offline from files shipped in the package.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

from bot.nlp.embedding import SentenceEncoder
from bot.nlp.language import DEFAULT_LANGUAGES, LanguageIdentifier
from bot.nlp.text import sentences as _sentences
from bot.nlp.themes import ThemeClassifier, ThemeModel

logger = logging.getLogger(__name__)

__all__ = ["Analysis", "Analyzer", "sentences"]


@dataclass(frozen=True, slots=True)
class Analysis:
    """Result for one reply: ISO 639-1 language (or ``"und"``) and sorted theme ids.

    ``evidence``: ``(theme id, sentence)`` pairs in the order of ``themes``: the sentence of the
    reply that best supports each theme (for quotes); ``""`` if no single sentence applies.
    """

    language: str
    themes: tuple[str, ...]
    evidence: tuple[tuple[str, str], ...] = ()


def sentences(text: str) -> list[str]:
    """Split ``text`` into sentences (same splitter the theme classifier uses)."""
    return _sentences(text)


def _return_freed_memory() -> None:
    """Hand the heap freed by model loading (decompression buffers, replaced layers, ~10 MB)
    back to the OS. glibc keeps it otherwise; elsewhere this does nothing."""
    gc.collect()
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc
        return
    libc.malloc_trim(0)


class Analyzer:
    """Language identification + theme classification (see module docstring)."""

    def __init__(
        self,
        language_identifier: LanguageIdentifier,
        classifier: ThemeClassifier,
        cache_size: int = 8192,
    ) -> None:
        self.language_identifier = language_identifier
        self.classifier = classifier
        # results of recently analysed texts (re-reads after a restart, edits back and forth,
        # summaries of stored replies); the analysis is a pure function of text + extra themes
        self._cache: OrderedDict[tuple[str, Hashable], Analysis] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @classmethod
    def load(cls, languages: Sequence[str] = DEFAULT_LANGUAGES) -> Analyzer:
        """Load the shipped models (takes ~1-2 s); call once at startup and share the instance."""
        # language ID first: its transient load peak then happens while the process is small
        language_identifier = LanguageIdentifier(languages)
        gc.collect()
        model = ThemeModel.load()
        classifier = ThemeClassifier(model, SentenceEncoder(weights=model.encoder_weights))
        analyzer = cls(language_identifier, classifier)
        _return_freed_memory()
        logger.info(
            "NLP analyzer loaded: %d themes, languages %s",
            len(classifier.model.themes),
            ",".join(languages),
        )
        return analyzer

    def sentences(self, text: str) -> list[str]:
        """Split ``text`` into sentences (see :func:`bot.nlp.text.sentences`)."""
        return _sentences(text)

    def analyze(
        self,
        texts: Sequence[str],
        extra_themes: Mapping[str, Sequence[str]] | None = None,
    ) -> list[Analysis]:
        """Analyze a batch of reply texts (see module docstring for the contract).

        ``extra_themes``: custom theme id -> example phrases, matched by embedding similarity
        (no training needed); their ids are returned alongside the built-in ones.
        """
        if not texts:
            return []
        extras_key: Hashable = (
            tuple(sorted((k, tuple(v)) for k, v in extra_themes.items())) if extra_themes else ()
        )
        results: list[Analysis | None] = [None] * len(texts)
        todo: dict[str, list[int]] = {}
        with self._lock:
            for i, text in enumerate(texts):
                hit = self._cache.get((text, extras_key))
                if hit is not None:
                    self._cache.move_to_end((text, extras_key))
                    results[i] = hit
                else:
                    todo.setdefault(text, []).append(i)
        if todo:
            fresh = list(todo)
            found = self.classifier.classify_with_evidence(fresh, extra_themes)
            with self._lock:
                for text, evidence in zip(fresh, found, strict=True):
                    themes = tuple(sorted(evidence))
                    analysis = Analysis(
                        self.language_identifier.identify(text),
                        themes,
                        tuple((t, evidence[t]) for t in themes),
                    )
                    for i in todo[text]:
                        results[i] = analysis
                    if self._cache_size > 0:
                        self._cache[(text, extras_key)] = analysis
                        if len(self._cache) > self._cache_size:
                            self._cache.popitem(last=False)
        return [r for r in results if r is not None]
