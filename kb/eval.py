"""``python -m kb.eval --train TRAIN.csv --test TEST.csv [--oos OOS.csv] --json``

Builds a throw-away KB (one article per category; its training texts are the similar questions), runs
every test text through the retrieval and the answer-or-hand-off decision, and prints one JSON line.
The confidence threshold is calibrated on the training split alone (a held-out part of it), for 95%
precision, and then applied unchanged to the test set.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from hub.models import utcnow
from kb.articles import ArticleContent, ArticleVersion
from kb.embedder import Embedder
from kb.retriever import Found, Retriever

TARGET_PRECISION = 0.95


def read_rows(path: Path) -> list[tuple[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [(row["text"], row["category"]) for row in csv.DictReader(handle)]


def threshold_for(precision: float, scored: list[tuple[float, bool]]) -> float:
    """The lowest confidence at which answering everything above it keeps the precision target."""
    scored = sorted(scored, key=lambda pair: pair[0], reverse=True)
    right = 0
    best = float("inf")
    for answered, (score, correct) in enumerate(scored, start=1):
        right += correct
        if right / answered >= precision:
            best = score
    return best


def build(embedder: Embedder, rows: list[tuple[str, str]]) -> Retriever:
    """One published article per category: its training texts are its questions, its name the answer."""
    by_category: dict[str, list[str]] = defaultdict(list)
    for text, category in rows:
        by_category[category].append(text)
    now = utcnow()
    versions = [ArticleVersion(article_id=category, version=1, published_at=now,
                               content=ArticleContent(title=category, question=texts[0], similar=texts[1:],
                                                      answer=category))
                for category, texts in by_category.items()]
    return Retriever(embedder, versions)


def right(found: Found, category: str) -> bool:
    return found.best is not None and found.best.article_id == category


def calibrate(embedder: Embedder, rows: list[tuple[str, str]], holdout: float = 0.15, seed: int = 7) -> float:
    by_category: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in rows:
        by_category[row[1]].append(row)
    rng = random.Random(seed)
    fit, held = [], []
    for group in by_category.values():
        rng.shuffle(group)
        cut = max(1, int(len(group) * holdout))
        held.extend(group[:cut])
        fit.extend(group[cut:])
    retriever = build(embedder, fit)
    scored = []
    for text, category in held:
        found = retriever.search(text)
        scored.append((found.confidence, right(found, category)))
    return threshold_for(TARGET_PRECISION, scored)


def evaluate(train: Path, test: Path, oos: Path | None) -> dict[str, float | str | None]:
    embedder = Embedder()
    train_rows = read_rows(train)
    threshold = calibrate(embedder, train_rows)
    started = time.perf_counter()
    retriever = build(embedder, train_rows)
    index_build_s = time.perf_counter() - started
    latencies, correct, answered, answered_right = [], 0, 0, 0
    test_rows = read_rows(test)
    for text, category in test_rows:
        began = time.perf_counter()
        found = retriever.search(text)
        answers = found.answers(threshold)
        latencies.append((time.perf_counter() - began) * 1000)
        hit = right(found, category)
        correct += hit
        answered += answers
        answered_right += answers and hit
    result: dict[str, float | str | None] = {
        "top1_accuracy": round(correct / len(test_rows), 4),
        "coverage_at_95_precision": round(answered / len(test_rows), 4),
        "answered_precision": round(answered_right / answered, 4) if answered else None,
        "handoff_rate": round(1 - answered / len(test_rows), 4),
        "p50_ms": round(float(np.percentile(latencies, 50)), 2),
        "p95_ms": round(float(np.percentile(latencies, 95)), 2),
        "index_build_s": round(index_build_s, 2),
        "threshold": round(threshold, 4),
        "entries": len(train_rows),
        "index_kind": retriever.index_kind,
    }
    if oos is not None:
        oos_rows = read_rows(oos)
        handed = sum(not retriever.search(text).answers(threshold) for text, _ in oos_rows)
        result["oos_handoff_recall"] = round(handed / len(oos_rows), 4)
    return result


def _csv_file(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no file at {path}")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kb.eval", description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", type=_csv_file, required=True, help="CSV rows of text,label")
    parser.add_argument("--test", type=_csv_file, required=True, help="CSV rows of text,label")
    parser.add_argument("--oos", type=_csv_file, help="CSV of questions the KB should not answer")
    parser.add_argument("--json", action="store_true", help="print one JSON line (the default output)")
    args = parser.parse_args(argv)
    print(json.dumps(evaluate(args.train, args.test, args.oos)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
