"""Knowledge base: articles, retrieval and evaluation (see the knowledge-base issue)."""
