"""Text as retrieval sees it: normalised, then cut into words (jieba for Chinese runs)."""

from __future__ import annotations

import logging
import re
import unicodedata

import jieba

jieba.setLogLevel(logging.WARNING)

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    """NFKC (full-width to half-width, compatibility forms), case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def tokens(text: str) -> list[str]:
    """Words of the text: jieba's segmentation inside runs of Chinese characters, \\w+ elsewhere."""
    normal = normalise(text)
    out: list[str] = []
    position = 0
    for run in _CJK_RUN.finditer(normal):
        out.extend(_WORD.findall(normal[position:run.start()]))
        out.extend(word for word in jieba.lcut(run.group()) if word.strip())
        position = run.end()
    out.extend(_WORD.findall(normal[position:]))
    return out
