"""The synonym dictionary: each group's variants are read as its first term, in queries and articles alike.

``[["refund", "money back", "reimbursement"], ["宽带", "网络"]]`` makes "I want my money back" and
"reimbursement please" both say "refund" before retrieval sees them. Latin terms match whole words;
Chinese terms match anywhere (Chinese has no spaces between words).
"""

from __future__ import annotations

import re

from hub.errors import InvalidInput
from kb.text import normalise

MAX_GROUPS = 5000
MAX_TERMS = 20_000  # in all groups together: every process compiles them into one pattern
MAX_TERM_CHARS = 100


def checked_groups(groups: list[list[str]]) -> list[list[str]]:
    """Blank terms and groups of fewer than two terms dropped; InvalidInput if too large."""
    if len(groups) > MAX_GROUPS:
        raise InvalidInput(f"at most {MAX_GROUPS} synonym groups", code="too_long")
    cleaned = []
    for group in groups:
        terms = list(dict.fromkeys(term.strip() for term in group if term.strip()))
        if any(len(term) > MAX_TERM_CHARS for term in terms):
            raise InvalidInput(f"a synonym is longer than {MAX_TERM_CHARS} characters", code="too_long")
        if len(terms) >= 2:
            cleaned.append(terms)
    if sum(len(group) for group in cleaned) > MAX_TERMS:
        raise InvalidInput(f"at most {MAX_TERMS} synonyms in all", code="too_long")
    return cleaned


def _pattern(term: str) -> str:
    escaped = re.escape(term)
    if term[0].isascii() and term[0].isalnum():
        escaped = r"(?<!\w)" + escaped
    if term[-1].isascii() and term[-1].isalnum():
        escaped += r"(?!\w)"
    return escaped


class Synonyms:
    def __init__(self, groups: list[list[str]] | None = None) -> None:
        self.groups = groups or []
        self._canonical: dict[str, str] = {}
        for group in self.groups:
            head = normalise(group[0])
            for term in group[1:]:
                self._canonical.setdefault(normalise(term), head)
        variants = sorted(self._canonical, key=len, reverse=True)  # the longest variant wins
        self._regex = re.compile("|".join(_pattern(v) for v in variants)) if variants else None

    def apply(self, text: str) -> str:
        normal = normalise(text)
        if self._regex is None:
            return normal
        return self._regex.sub(lambda match: self._canonical[match.group()], normal)
