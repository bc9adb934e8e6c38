from __future__ import annotations

import pytest

from kb.embedder import Embedder


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real default model (all-MiniLM-L6-v2 from the PyPI package), loaded offline once."""
    return Embedder()
