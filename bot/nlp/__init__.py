"""Offline NLP for Intervision: language identification and multilingual theme detection.

Public API: :class:`Analyzer` (load once, then ``analyze(texts)``), :class:`Analysis` and
:func:`sentences`. Models ship inside the package (``bot/nlp/models``); nothing is downloaded.
"""

from bot.nlp.analyzer import Analysis, Analyzer, sentences

__all__ = ["Analysis", "Analyzer", "sentences"]
