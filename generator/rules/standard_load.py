"""Loading a standard from its file: a standard workbook (评价标准工作簿, :mod:`generator.rules.standard_book`) or a YAML
data file in the shape of ``standards/ct-hall-2016.yaml``, both checked by the same rules
(:mod:`generator.rules.standard_check`), every problem found reported at once with a stable code from
:mod:`generator.rules.problems`.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from generator.errors import StandardError
from generator.fs.yamlsafe import load_yaml
from generator.rules.problems import Problem, problem
from generator.rules.standard import DEFAULT_STANDARD, RawStandard, Standard
from generator.rules.standard_book import SHEET_ORDER, canonical_yaml, read_book
from generator.rules.standard_check import check_rules, parse_standard
from generator.why import why


def is_workbook(path: str | Path) -> bool:
    return Path(path).suffix.lower() in (".xlsx", ".xlsm")


def load_standard(path: str | Path | None = None) -> Standard:
    """Load and check a standard (workbook or YAML data file); raise :class:`StandardError` listing every
    problem found, each with its code and, for a workbook, its sheet and cell."""
    path = Path(path) if path else DEFAULT_STANDARD
    standard, problems = check_standard(path)
    if standard is None:
        raise StandardError(report(path, problems), problems)
    return standard


def archived_text(path: str | Path) -> str:
    """What the year's archive keeps of the standard used: a data file as it is, a workbook as its canonical
    YAML (standard_book.canonical_yaml), which loads back to the same standard and checksum."""
    path = Path(path)
    if is_workbook(path):
        return canonical_yaml(load_standard(path))
    return path.read_text(encoding="utf-8")


def check_standard(path: str | Path) -> tuple[Standard | None, list[Problem]]:
    """The standard in ``path`` and every problem found in it; the standard is None when there is any error."""
    path = Path(path)
    if is_workbook(path):
        raw, problems = read_book(path)
    else:
        raw, problems = _read_yaml(path)
    if raw is None:
        return None, problems
    standard = parse_standard(raw, problems, path.name)
    if standard is not None:
        check_rules(standard, raw, problems, path.name)
    if is_workbook(path):  # in the workbook's order: sheet by sheet, row by row, as the group reads it
        def place(p: Problem) -> tuple[int, int, int, str]:
            m = re.match(r"([A-Z]*)(\d*)$", p.cell)
            col, row = (m[1], int(m[2] or 0)) if m else ("", 0)
            return (SHEET_ORDER.index(p.sheet) if p.sheet in SHEET_ORDER else 99, row, len(col), col)

        problems.sort(key=place)
    if problems or standard is None:
        return None, problems
    return standard, problems


def report(path: Path, problems: list[Problem]) -> str:
    """Every problem as one line: where (sheet and cell, when the file has them), what, and its code."""
    lines = [f"评价标准文件 {path} 有误(共 {len(problems)} 处):"]
    lines += [f"  - {place_said(p)}{p.message}〔{p.code}〕" for p in problems]
    return "\n".join(lines)


def place_said(p: Problem) -> str:
    """Where a problem of a standard workbook is: 工作表“评分项”第 3 行 A 列(A3):, or nothing for a data file."""
    if not p.sheet:
        return ""
    m = re.fullmatch(r"([A-Z]+)(\d+)", p.cell)
    if m:
        return f"工作表“{p.sheet}”第 {m[2]} 行 {m[1]} 列({p.cell}):"
    return f"工作表“{p.sheet}”第 {p.cell} 行:" if p.cell.isdigit() else f"工作表“{p.sheet}”:"


def _read_yaml(path: Path) -> tuple[RawStandard | None, list[Problem]]:
    name = path.name
    try:
        raw = load_yaml(path)  # no aliases, bounded size
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else ("?", "?")
        return None, [problem("standard-yaml-syntax", file=name, line=line, column=column,
                              what=_yaml_said(exc.problem or exc.context or ""))]
    except (OSError, ValueError, UnicodeDecodeError, yaml.YAMLError) as exc:
        detail = why(exc) if isinstance(exc, OSError) else "文件不是 UTF-8 文本或超出大小上限"
        if isinstance(exc, ValueError) and str(exc).startswith("文件"):
            detail = str(exc)
        return None, [problem("standard-unreadable", file=name, detail=detail)]
    if not isinstance(raw, dict):
        return None, [problem("standard-not-mapping", file=name)]
    return raw, []


# PyYAML's English phrases, said in Chinese; anything else is named by its position alone.
_YAML_PHRASES = (
    ("expected the node content", "此处缺少内容,可能括号或引号没有闭合"),
    ("found unexpected end of stream", "文件在引号或括号闭合前结束"),
    ("expected ',' or ']'", "列表 [ ] 没有正确闭合或缺少逗号"),
    ("expected ',' or '}'", "键值表 { } 没有正确闭合或缺少逗号"),
    ("mapping values are not allowed here", "此处不应出现冒号,含冒号的文字请加引号"),
    ("found character '\\t'", "含制表符,YAML 只能用空格缩进"),
    ("could not find expected ':'", "缺少冒号"),
    ("别名", "不允许使用 YAML 别名(*alias)"),
    ("锚点", "不允许使用 YAML 锚点(&anchor)"),
)


def _yaml_said(phrase: str) -> str:
    return next((said for english, said in _YAML_PHRASES if english in phrase), "缩进、冒号或括号不符合 YAML 格式")
