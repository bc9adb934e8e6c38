"""Articles in and out of the KB: JSON, CSV, and a folder of Markdown files.

Import is all or nothing: every record is read and checked first, and any bad one is reported with its
place (``row 3: answer is empty``) before anything is written.

- JSON: a list of objects with the article content's fields (``title``, ``question``, ``answer``,
  ``similar``, ``variants``, ``category``, ``tags``, ``valid_from``, ``valid_to``).
- CSV: columns ``title,question,answer,similar,category,tags,valid_from,valid_to`` and one
  ``answer_<channel>`` column per channel variant; ``similar`` and ``tags`` hold several values
  separated by ``|``.
- Markdown: one ``.md`` file per article; YAML front matter holds the fields, the body is the answer.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
import yaml

from hub.errors import InvalidInput
from hub.models import Channel
from kb.articles import ArticleContent, checked

MAX_RECORDS = 20_000
LIST_SEPARATOR = "|"
CSV_COLUMNS = ["title", "question", "answer", "similar", "category", "tags", "valid_from", "valid_to",
               *(f"answer_{channel.value}" for channel in Channel)]


class BadImport(InvalidInput):
    """One or more records cannot be imported; ``problems`` says which and why."""

    def __init__(self, problems: list[str]) -> None:
        shown = "; ".join(problems[:20]) + (f"; and {len(problems) - 20} more" if len(problems) > 20 else "")
        super().__init__(f"nothing was imported: {shown}", code="invalid_import")
        self.problems = problems


def _content(record: Any, place: str, problems: list[str]) -> ArticleContent | None:
    try:
        return checked(msgspec.convert(record, ArticleContent, strict=False))
    except msgspec.ValidationError as exc:
        problems.append(f"{place}: {exc}")
    except InvalidInput as exc:
        problems.append(f"{place}: {exc.detail}")
    return None


def _all(records: Iterable[tuple[str, Any]]) -> list[ArticleContent]:
    problems: list[str] = []
    contents: list[ArticleContent] = []
    for place, record in records:
        if len(contents) + len(problems) >= MAX_RECORDS:
            problems.append(f"more than {MAX_RECORDS} records")
            break
        content = _content(record, place, problems)
        if content is not None:
            contents.append(content)
    if problems:
        raise BadImport(problems)
    if not contents:
        raise BadImport(["there are no articles in it"])
    return contents


def read_json(data: bytes | str) -> list[ArticleContent]:
    try:
        records = msgspec.json.decode(data)
    except msgspec.DecodeError:
        raise BadImport(["it is not valid JSON"]) from None
    if not isinstance(records, list):
        raise BadImport(["it must be a JSON list of articles"])
    return _all((f"article {n}", record) for n, record in enumerate(records, start=1))


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(LIST_SEPARATOR) if part.strip()]


def _csv_record(row: dict[str, str | None]) -> dict[str, Any]:
    record: dict[str, Any] = {name: (row.get(name) or "").strip() for name in ("title", "question", "answer")}
    record["similar"], record["tags"] = _split(row.get("similar")), _split(row.get("tags"))
    record["category"] = (row.get("category") or "").strip() or None
    for name in ("valid_from", "valid_to"):
        record[name] = (row.get(name) or "").strip() or None
    record["variants"] = {c.value: text for c in Channel if (text := (row.get(f"answer_{c.value}") or "").strip())}
    return record


def read_csv(data: bytes | str) -> list[ArticleContent]:
    text = data.decode("utf-8-sig", errors="strict") if isinstance(data, bytes) else data.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    try:
        missing = {"title", "question", "answer"} - set(reader.fieldnames or [])
        if missing:
            raise BadImport([f"the header lacks the column(s) {', '.join(sorted(missing))}"])
        return _all((f"row {n}", _csv_record(row)) for n, row in enumerate(reader, start=2))
    except csv.Error as exc:
        raise BadImport([f"row {reader.line_num}: not readable as CSV ({exc})"]) from None


def read_markdown(text: str, place: str = "file") -> dict[str, Any]:
    """One article from Markdown with YAML front matter (the body is the answer)."""
    if not text.startswith("---"):
        return {"answer": text.strip()}
    _, _, rest = text.partition("---")
    front, separator, body = rest.partition("\n---")
    if not separator:
        raise BadImport([f"{place}: the front matter is not closed with ---"])
    try:
        fields = yaml.safe_load(front) or {}
    except yaml.YAMLError:
        raise BadImport([f"{place}: the front matter is not valid YAML"]) from None
    if not isinstance(fields, dict):
        raise BadImport([f"{place}: the front matter must be a mapping"])
    return {**{k: _plain(v) for k, v in fields.items()}, "answer": body.strip()}


def _plain(value: Any) -> Any:
    """YAML reads dates as date/datetime; the content wants ISO strings."""
    return value.isoformat() if isinstance(value, datetime) else value


def read_folder(folder: Path) -> list[ArticleContent]:
    files = sorted(folder.rglob("*.md"))
    return _all((path.name, read_markdown(path.read_text(encoding="utf-8"), path.name)) for path in files)


def write_json(contents: Iterable[ArticleContent]) -> bytes:
    return msgspec.json.format(msgspec.json.encode(list(contents)), indent=2)


def write_csv(contents: Iterable[ArticleContent]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS)
    writer.writeheader()
    for content in contents:
        writer.writerow({
            "title": content.title, "question": content.question, "answer": content.answer,
            "similar": LIST_SEPARATOR.join(content.similar), "category": content.category or "",
            "tags": LIST_SEPARATOR.join(content.tags),
            "valid_from": content.valid_from.isoformat() if content.valid_from else "",
            "valid_to": content.valid_to.isoformat() if content.valid_to else "",
            **{f"answer_{c.value}": content.variants.get(c, "") for c in Channel}})
    return out.getvalue()


def write_markdown(content: ArticleContent) -> str:
    fields = {k: v for k, v in msgspec.to_builtins(content).items() if k != "answer" and v not in (None, [], {})}
    front = yaml.safe_dump(fields, allow_unicode=True, sort_keys=False)
    return f"---\n{front}---\n{content.answer}\n"
