"""Evaluate the shipped NLP models (themes + language ID) on a labelled JSONL set.

Usage::

    .venv/bin/python scripts/evaluate.py [--data eval/dev.jsonl] [--json] [--bench]

Input lines: ``{"id", "lang", "text", "themes", ["tags"]}`` (``--data`` may be a glob).
Prints micro precision/recall/F1 overall, per theme, per tag (paraphrase, negation, multi,
none, ...) and per language, the share of theme-less texts that got no theme, language-ID
accuracy on texts of >= 5 words, and, for comparison, the leave-one-author-out training score
stored in ``bot/nlp/models/themes.json``. ``--bench`` also measures ``Analyzer.analyze``
throughput on batches of 64 replies of 2-4 sentences and the resident memory after loading.
Never used for tuning: hyper-parameters come from leave-one-author-out on the training data.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import resource
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.domain.taxonomy import THEMES  # noqa: E402
from bot.nlp.analyzer import Analyzer  # noqa: E402

BATCH = 64


def load(pattern: str) -> list[dict[str, Any]]:
    """Rows of every file matching ``pattern`` (relative to the repo root unless absolute)."""
    paths = sorted(glob.glob(pattern if Path(pattern).is_absolute() else str(ROOT / pattern)))
    rows: list[dict[str, Any]] = []
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append(json.loads(line))
    return rows


def prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    """Precision, recall, F1 (empty denominators count as perfect) and support."""
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(f, 4),
        "support": tp + fn,
        "predicted": tp + fp,
    }


def micro(gold: Sequence[set[str]], pred: Sequence[set[str]]) -> dict[str, float | int]:
    """Micro-averaged scores over all (text, theme) pairs."""
    tp = sum(len(g & p) for g, p in zip(gold, pred, strict=True))
    fp = sum(len(p - g) for g, p in zip(gold, pred, strict=True))
    fn = sum(len(g - p) for g, p in zip(gold, pred, strict=True))
    return prf(tp, fp, fn) | {"rows": len(gold)}


def evaluate(analyzer: Analyzer, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Run the analyzer over ``rows`` (batches of 64) and compute all scores."""
    texts = [str(r["text"]) for r in rows]
    results = []
    for start in range(0, len(texts), BATCH):
        results.extend(analyzer.analyze(texts[start : start + BATCH]))
    known = set(THEMES)
    gold = [set(r.get("themes", [])) & known for r in rows]
    pred = [set(a.themes) & known for a in results]
    out: dict[str, Any] = {"rows": len(rows), "micro": micro(gold, pred)}
    out["per_theme"] = {
        t: prf(
            sum(1 for g, p in zip(gold, pred, strict=True) if t in g and t in p),
            sum(1 for g, p in zip(gold, pred, strict=True) if t not in g and t in p),
            sum(1 for g, p in zip(gold, pred, strict=True) if t in g and t not in p),
        )
        for t in THEMES
    }
    tags = sorted({t for r in rows for t in r.get("tags", [])})
    out["by_tag"] = {}
    for tag in tags:
        idx = [i for i, r in enumerate(rows) if tag in r.get("tags", [])]
        out["by_tag"][tag] = micro([gold[i] for i in idx], [pred[i] for i in idx])
    out["by_lang"] = {}
    for lang in sorted({str(r.get("lang", "und")) for r in rows}):
        idx = [i for i, r in enumerate(rows) if r.get("lang") == lang]
        out["by_lang"][lang] = micro([gold[i] for i in idx], [pred[i] for i in idx])
    empty = [i for i, g in enumerate(gold) if not g]
    out["themeless_rows"] = {
        "rows": len(empty),
        "predicted_empty": sum(1 for i in empty if not pred[i]),
    }
    long_idx = [i for i, t in enumerate(texts) if len(t.split()) >= 5 and rows[i].get("lang")]
    correct = sum(1 for i in long_idx if results[i].language == rows[i]["lang"])
    und = sum(1 for i in long_idx if results[i].language == "und")
    wrong = [
        {"id": rows[i].get("id"), "gold": rows[i]["lang"], "pred": results[i].language}
        for i in long_idx
        if results[i].language not in (rows[i]["lang"], "und")
    ]
    out["language"] = {
        "rows_ge_5_words": len(long_idx),
        "accuracy": round(correct / len(long_idx), 4) if long_idx else None,
        "und": und,
        "wrong": len(wrong),
        "wrong_examples": wrong[:10],
    }
    short_idx = [i for i, t in enumerate(texts) if len(t.split()) < 5 and rows[i].get("lang")]
    out["language_short"] = {
        "rows_lt_5_words": len(short_idx),
        "correct": sum(1 for i in short_idx if results[i].language == rows[i]["lang"]),
        "und": sum(1 for i in short_idx if results[i].language == "und"),
    }
    return out


def benchmark(analyzer: Analyzer, seconds: float = 10.0) -> dict[str, float]:
    """Throughput of ``analyze`` on fresh (never cached) synthetic replies of 2-4 sentences."""
    parts = [
        "I would first go back to the agreement we signed at the start.",
        "Ask her what is really behind the wish to tell her manager.",
        "Stay calm and acknowledge how hard this must feel for him.",
        "If someone is in danger, confidentiality has legal limits.",
        "Maybe bring it to your supervision group before deciding anything.",
        "Eu perguntaria primeiro o que ela espera ganhar com isso.",
        "Ich würde das Gespräch kurz dokumentieren und mit ihr ein Rollenspiel machen.",
        "Podríais buscar juntos otra forma de resolverlo sin romper la confianza.",
        "Je lui demanderais son accord explicite avant de partager quoi que ce soit.",
        "Write down what you agreed, so nobody can misremember it later.",
    ]
    counter = 0

    def make_batch() -> list[str]:
        nonlocal counter
        batch = []
        for _ in range(BATCH):
            k = 2 + counter % 3
            picked = [parts[(counter * 7 + j * 3) % len(parts)] for j in range(k)]
            # a unique number per reply defeats the sentence cache, as fresh traffic would
            picked[0] = f"{picked[0][:-1]} (case {counter})."
            batch.append(" ".join(picked))
            counter += 1
        return batch

    analyzer.analyze(make_batch())  # warm-up
    done, start, cpu_start = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        analyzer.analyze(make_batch())
        done += BATCH
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    return {
        "replies_per_s": round(done / elapsed, 1),
        # less sensitive to other processes on the machine than wall-clock throughput
        "replies_per_cpu_s": round(done / cpu, 1),
        "load_avg_1min": round(os.getloadavg()[0], 2),
        "replies": done,
        "seconds": round(elapsed, 2),
    }


def _print_table(title: str, table: dict[str, Any]) -> None:
    print(f"\n{title}")
    print(f"  {'':<18} {'P':>6} {'R':>6} {'F1':>6} {'support':>8}")
    for key, s in table.items():
        print(
            f"  {key:<18} {s['precision']:>6.3f} {s['recall']:>6.3f} {s['f1']:>6.3f} "
            f"{s['support']:>8}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="eval/dev.jsonl")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--bench", action="store_true", help="measure throughput and memory")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    analyzer = Analyzer.load()
    load_s = time.perf_counter() - start
    rss_after_load_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = load(args.data)
    report: dict[str, Any] = {"data": args.data}
    if rows:
        report["dev"] = evaluate(analyzer, rows)
    meta = analyzer.classifier.model.metadata
    pooled = meta.get("validation", {}).get("pooled", {})
    report["training_validation"] = {
        "protocol": meta.get("validation", {}).get("protocol"),
        "training_size": meta.get("training_size"),
        "hyper_parameters": meta.get("hyper_parameters"),
        "mean_over_authors_micro_f1": meta.get("validation", {}).get("mean_over_authors_micro_f1"),
        "micro": pooled.get("micro"),
        "per_theme": pooled.get("per_theme"),
        "by_tag": pooled.get("by_tag"),
        "encoder": meta.get("encoder"),
    }
    report["load_seconds"] = round(load_s, 2)
    report["max_rss_mb_after_load"] = round(rss_after_load_mb, 1)
    if args.bench:
        report["throughput"] = benchmark(analyzer)
        report["max_rss_mb_after_bench"] = round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        )

    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return 0
    cv = report["training_validation"]
    if cv["micro"]:
        print(
            f"training, leave-one-author-out ({cv['training_size']} texts): pooled micro-F1 "
            f"{cv['micro']['f1']:.3f} (P {cv['micro']['precision']:.3f} "
            f"R {cv['micro']['recall']:.3f}), mean over authors "
            f"{cv['mean_over_authors_micro_f1']:.3f}"
        )
    check = (cv.get("encoder") or {}).get("held_out_check")
    if check:
        print(
            "encoder fine-tuned on the theme labels; on authors that neither encoder nor heads "
            f"saw ({', '.join(check['held_out_authors'])}), mean micro-F1 with the published / "
            f"tuned encoder: {check['published_encoder']['mean']:.3f} / "
            f"{check['tuned_encoder']['mean']:.3f}"
        )
    dev = report.get("dev")
    name = Path(args.data).stem if "*" not in args.data else args.data
    if dev is None:
        print(f"no rows in {args.data}")
    else:
        m = dev["micro"]
        print(
            f"{args.data} ({dev['rows']} texts): micro-F1 {m['f1']:.3f} "
            f"(P {m['precision']:.3f} R {m['recall']:.3f})"
        )
        rows_by_theme = {t: dev["per_theme"][t] for t in THEMES}
        if cv["per_theme"]:
            print(f"\n  per theme: {name} F1 / out-of-author F1")
            for t in THEMES:
                print(f"  {t:<18} {rows_by_theme[t]['f1']:.3f} / {cv['per_theme'][t]['f1']:.3f}")
        _print_table(f"per theme ({name})", rows_by_theme)
        _print_table(f"by tag ({name})", dev["by_tag"])
        _print_table(f"by language ({name})", dev["by_lang"])
        tl = dev["themeless_rows"]
        print(f"\ntheme-less texts left empty: {tl['predicted_empty']}/{tl['rows']}")
        lang = dev["language"]
        print(
            f"language ID on texts >= 5 words: accuracy {lang['accuracy']} "
            f"({lang['rows_ge_5_words']} texts, {lang['und']} und, {lang['wrong']} wrong)"
        )
        short = dev["language_short"]
        print(
            f"language ID on texts < 5 words: {short['correct']} correct, {short['und']} und "
            f"of {short['rows_lt_5_words']}"
        )
    print(
        f"\nload {report['load_seconds']} s, max RSS after load "
        f"{report['max_rss_mb_after_load']} MB"
    )
    if "throughput" in report:
        tp = report["throughput"]
        print(
            f"throughput: {tp['replies_per_s']} replies/s wall-clock, {tp['replies_per_cpu_s']} "
            f"per CPU-second (batches of {BATCH}, 2-4 sentences; load average "
            f"{tp['load_avg_1min']}); max RSS {report['max_rss_mb_after_bench']} MB"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
