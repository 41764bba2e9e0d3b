"""Fill a returned 上报名单 the way a province or the group would: openpyxl, by the published headers."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from generator.demo_answers import fill_answer


def fill_list(path: Path, tier: str, answers: dict[str, str], out: Path, by: str = "集团评审组",
              when: date = date(2025, 11, 20), reason: str | None = None) -> Path:
    """Write ``answers`` (厅编码 → 认定/不认定) into the ``tier`` sheet of ``path``; save as ``out``."""
    said = {hall_id: (answer, reason or f"{answer}:评比结果") for hall_id, answer in answers.items()}
    return fill_answer(path, tier, said, by, when, out)
