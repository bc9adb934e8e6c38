"""Hybrid retrieval with the real offline model: vectors for paraphrases, BM25 + jieba for Chinese."""

from __future__ import annotations

import numpy as np

from kb.embedder import Embedder
from kb.hybrid import Entry, HybridIndex
from kb.lexical import BM25
from kb.text import normalise, tokens
from kb.vectors import VectorIndex

CHINESE_KB = [
    Entry("baggage", "行李托运的重量限制是多少"),
    Entry("baggage", "托运行李超重怎么收费"),
    Entry("checkin", "网上值机什么时候开放"),
    Entry("checkin", "在哪里办理值机手续"),
    Entry("lost", "我的行李丢了怎么办"),
    Entry("wifi", "机场有免费无线网络吗"),
]

ENGLISH_KB = [
    Entry("card_arrival", "My new card has not arrived yet"),
    Entry("card_arrival", "How long does card delivery take?"),
    Entry("lost_card", "I lost my card, please block it"),
    Entry("exchange_rate", "What exchange rate do you use for foreign currency?"),
    Entry("top_up", "How do I add money to my account?"),
]


def test_text_is_normalised_and_cut_into_words() -> None:
    assert normalise("  ＨＥＬＬＯ   World ") == "hello world"
    assert tokens("Where is my card?") == ["where", "is", "my", "card"]
    words = tokens("我的行李丢了, please help")
    assert "行李" in words and "please" in words and "," not in words


def test_bm25_ranks_the_chinese_question_that_shares_the_most_words() -> None:
    index = BM25([e.text for e in CHINESE_KB])
    scores = index.scores("行李超重了要交多少钱")
    assert max(scores, key=scores.get) == 1
    assert index.scores("明天天气预报") == {}


def test_a_chinese_paraphrase_finds_its_article_through_words(embedder: Embedder) -> None:
    retriever = HybridIndex(embedder, CHINESE_KB)
    assert retriever.search("值机几点开放")[0].article_id == "checkin"
    assert retriever.search("行李不见了")[0].article_id == "lost"
    assert retriever.search("有没有免费网络")[0].article_id == "wifi"


def test_an_english_paraphrase_with_no_shared_words_finds_its_article_through_vectors(embedder: Embedder) -> None:
    retriever = HybridIndex(embedder, ENGLISH_KB)
    best = retriever.search("still waiting for the plastic to show up in the post")[0]
    assert best.article_id == "card_arrival" and best.lexical == 0
    assert retriever.search("misplaced my debit card")[0].article_id == "lost_card"
    hits = retriever.search("top up my balance", k=3)
    assert hits[0].article_id == "top_up" and len({h.article_id for h in hits}) == len(hits)


def test_exact_and_hnsw_indexes_agree_on_the_nearest_vector() -> None:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(2000, 64)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    exact, hnsw = VectorIndex(vectors), VectorIndex(vectors, exact_limit=100)
    assert (exact.kind, hnsw.kind) == ("exact", "hnsw")
    queries = vectors[:50] + rng.normal(scale=0.05, size=(50, 64)).astype(np.float32)
    _, exact_ids = exact.search(queries, 1)
    _, hnsw_ids = hnsw.search(queries, 1)
    assert (exact_ids[:, 0] == np.arange(50)).all()
    assert (hnsw_ids[:, 0] == exact_ids[:, 0]).mean() >= 0.98


def test_the_classifier_is_fitted_only_when_articles_have_questions_enough() -> None:
    from kb.classifier import ArticleClassifier

    rng = np.random.default_rng(5)
    centres = rng.normal(size=(3, 16))
    vectors = np.concatenate([c + rng.normal(scale=0.3, size=(8, 16)) for c in centres]).astype(np.float32)
    labels = [name for name in ("a", "b", "c") for _ in range(8)]
    fitted = ArticleClassifier(vectors, labels)
    probabilities = fitted.probabilities(centres[1].astype(np.float32))
    assert max(probabilities, key=probabilities.get) == "b" and abs(sum(probabilities.values()) - 1) < 1e-6
    assert ArticleClassifier(vectors[::8], ["a", "b", "c"]).probabilities(vectors[0]) == {}


def test_one_query_is_embedded_the_same_fast_way_as_in_a_batch(embedder: Embedder) -> None:
    texts = ["How do I get a refund?", "托运行李的重量限制是多少？"]
    batch = embedder.encode(texts)
    for text, vector in zip(texts, batch, strict=True):
        assert np.allclose(embedder.encode_one(text), vector, atol=1e-5)
    assert np.allclose(embedder.encode_queries(texts), batch, atol=1e-5)  # concurrent searches' batches
