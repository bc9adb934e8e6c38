"""``make bench`` (KB part): answer latency with a 10,000-article knowledge base.

Every BANKING77 training text becomes its own published article (10,003 articles, one question each),
indexed through the same live retriever the bot uses; the BANKING77 test texts are the queries. Also
measures a publish: one more article, embedded and re-indexed from the embedding cache.
Results are merged into ``var/bench.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from hub.models import utcnow
from kb.articles import ArticleContent, ArticleVersion
from kb.embedder import Embedder
from kb.eval import read_rows
from kb.retriever import Retriever
from kb.vectorcache import VectorCache
from tests.bench.output import merge

BANKING77 = Path(__file__).resolve().parents[3] / "shared" / "eval" / "banking77"


def main(out: Path) -> None:
    if not (BANKING77 / "train.csv").exists():
        print(f"kb bench skipped: the BANKING77 dataset is not at {BANKING77} (the ../shared folder beside this "
              "clone); the other benchmarks run without it")
        return
    embedder = Embedder()
    now = utcnow()
    versions = [ArticleVersion(article_id=f"a{n}", version=1, published_at=now,
                               content=ArticleContent(title=category, question=text, answer=category))
                for n, (text, category) in enumerate(read_rows(BANKING77 / "train.csv"))]
    cache = VectorCache(embedder)
    started = time.perf_counter()
    retriever = Retriever(embedder, versions, cache=cache)
    build_s = time.perf_counter() - started
    queries = [text for text, _ in read_rows(BANKING77 / "test.csv")]
    for text in queries[:50]:
        retriever.search(text)  # warm up
    latencies = []
    for text in queries:
        began = time.perf_counter()
        retriever.search(text)
        latencies.append((time.perf_counter() - began) * 1000)
    extra = ArticleVersion(article_id="new", version=1, published_at=now,
                           content=ArticleContent(title="new", question="Can I pay my bills with a virtual card?",
                                                  answer="Yes."))
    started = time.perf_counter()
    Retriever(embedder, [*versions, extra], cache=cache)
    publish_s = time.perf_counter() - started
    figures = {
        "kb_10k_articles": len(versions),
        "kb_10k_index_kind": retriever.index_kind,
        "kb_10k_queries": len(latencies),
        "kb_10k_p50_ms": round(float(np.percentile(latencies, 50)), 2),
        "kb_10k_p95_ms": round(float(np.percentile(latencies, 95)), 2),
        "kb_10k_build_s": round(build_s, 2),
        "kb_10k_publish_one_s": round(publish_s, 2),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    merge(out, figures)
    print(json.dumps(figures))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path("var/bench.json"))
    main(parser.parse_args().out)
