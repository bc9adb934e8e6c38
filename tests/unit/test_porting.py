"""Import and export of articles: JSON, CSV and Markdown, all or nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub.models import Channel
from kb import porting
from kb.articles import ArticleContent
from kb.porting import BadImport

ARTICLES = [
    ArticleContent(title="Lost card", question="I lost my card", answer="Freeze it in the app.",
                   similar=["card stolen", "卡丢了"], variants={Channel.VOICE: "Freeze it."}, category="Cards",
                   tags=["card", "urgent"], valid_from=datetime(2026, 1, 1, tzinfo=UTC)),
    ArticleContent(title="营业时间", question="你们几点开门？", answer="每天9点到18点。"),
]


def test_json_round_trips() -> None:
    assert porting.read_json(porting.write_json(ARTICLES)) == ARTICLES


def test_csv_round_trips_with_lists_and_channel_answers() -> None:
    text = porting.write_csv(ARTICLES)
    assert text.splitlines()[0].split(",") == porting.CSV_COLUMNS
    assert porting.read_csv(text.encode("utf-8-sig")) == ARTICLES  # Excel's BOM is fine


def test_markdown_folder_round_trips(tmp_path: Path) -> None:
    for number, content in enumerate(ARTICLES):
        (tmp_path / f"{number}.md").write_text(porting.write_markdown(content), encoding="utf-8")
    assert porting.read_folder(tmp_path) == ARTICLES


def test_one_bad_record_imports_nothing_and_says_where() -> None:
    records = b'[{"title": "ok", "question": "q", "answer": "a"}, {"title": "t", "question": "q"},' \
              b' {"title": "t", "question": "q", "answer": "a", "variants": {"fax": "x"}}]'
    with pytest.raises(BadImport) as refused:
        porting.read_json(records)
    assert refused.value.code == "invalid_import"
    assert [p.split(":")[0] for p in refused.value.problems] == ["article 2", "article 3"]
    assert "answer" in refused.value.problems[0]


@pytest.mark.parametrize("data", [b"not json", b'{"title": "x"}', b"[]"])
def test_json_that_is_not_a_list_of_articles_is_refused(data: bytes) -> None:
    with pytest.raises(BadImport):
        porting.read_json(data)


def test_csv_without_the_needed_columns_or_with_a_bad_row_is_refused() -> None:
    with pytest.raises(BadImport, match="question"):
        porting.read_csv("title,answer\nx,y\n")
    with pytest.raises(BadImport, match="row 3"):
        porting.read_csv("title,question,answer\nA,q,a\nB,q,\n")


def test_a_csv_field_beyond_the_parsers_limit_is_refused_not_a_crash() -> None:
    with pytest.raises(BadImport, match="not readable as CSV"):
        porting.read_csv("title,question,answer\nA,q," + "x" * 200_000 + "\n")


def test_markdown_front_matter_errors_are_reported(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("---\ntitle: [unclosed\n---\nbody", encoding="utf-8")
    with pytest.raises(BadImport, match=r"a\.md"):
        porting.read_folder(tmp_path)
