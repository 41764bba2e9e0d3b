"""The problem catalogue: unique stable codes, every one documented in docs/problems.md."""

from __future__ import annotations

import string
from pathlib import Path

from generator.rules.problems import CATALOGUE, ROWS, catalogue_markdown, problem

DOC = Path(__file__).resolve().parents[1] / "docs" / "problems.md"

# Codes already published; they may gain company but never disappear or change meaning.
PUBLISHED = {
    "file-unreadable", "file-empty", "template-unknown", "template-standard-mismatch", "template-year-mismatch",
    "template-sheet-missing", "template-header-missing", "template-row-missing", "template-row-extra",
    "template-row-duplicate", "template-item-edited", "hall-unknown", "hall-meta-mismatch", "hall-data-edited",
    "cover-round-invalid", "cover-date-invalid", "cover-inspector-missing", "score-blank", "score-not-number",
    "score-formula", "score-out-of-range", "score-step", "score-na-forbidden", "reason-missing",
    "event-count-invalid", "event-note-missing", "veto-invalid", "duplicate-conflict",
    "file-not-zip", "file-damaged", "file-not-xlsx", "file-encrypted", "file-legacy-xls", "file-too-large",
    "file-zip-limits", "file-xml-entities", "file-macros", "check-failed", "template-row-order",
    "hall-filename-mismatch", "cover-round-missing", "cover-date-missing", "cover-date-wrong-year",
    "cover-date-future",
}


def test_codes_are_unique_and_none_was_dropped():
    codes = [row[0] for row in ROWS]
    assert len(codes) == len(set(codes)) == len(CATALOGUE)
    assert set(codes) >= PUBLISHED


def test_every_code_is_documented_and_the_page_is_current():
    text = DOC.read_text(encoding="utf-8")
    for code in CATALOGUE:
        assert f"| `{code}` |" in text
    assert text == catalogue_markdown(), "regenerate: python -m generator.rules.problems > docs/problems.md"


def test_every_template_formats_and_says_something_in_chinese():
    for code, kind in CATALOGUE.items():
        fields = {name for _, name, _, _ in string.Formatter().parse(kind.template) if name}
        made = problem(code, file="f.xlsx", sheet="封面", cell="B3", **{f: "X" for f in fields - {"sheet", "cell"}})
        assert made.code == code and "{" not in made.message and made.severity in ("error", "warning")
        assert any("\u4e00" <= ch <= "\u9fff" for ch in made.message)
