"""Halls, filled returns and registers, written by openpyxl as an inspector's Excel would save them."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from pathlib import Path

from generator.demo import Fill, apply_fill
from generator.intake.run import ReturnRecord
from generator.rules import contract as wbk
from generator.rules.register import Hall, write_register
from generator.workbooks.forms import build_workbook, template_path

YEAR = 2025


def make_halls(province_sizes: dict[str, int], level: int = 2, hall_type: str = "自营") -> list[Hall]:
    halls = []
    for p_no, (province, size) in enumerate(sorted(province_sizes.items()), 1):
        for n in range(size):
            halls.append(Hall(f"H{p_no:02d}{n:04d}", f"{province}第{n}营业厅", province, f"{province}市",
                              f"{province}区", level, hall_type))
    return halls


def full_fill(standard, round_name: str = "自评", when: date = date(YEAR, 5, 10), **changes) -> Fill:
    """A return with every item at full marks, no events, no veto; ``changes`` override fields."""
    fields = dict(
        round=round_name,
        date=when,
        inspector="张三",
        scores={i.id: float(i.max_points) for i in standard.items},
        reasons={},
        events={},
        event_notes={},
        vetoes={v.id: wbk.NO for v in standard.vetoes},
    )
    fields.update(changes)
    return Fill(**fields)


def fill_scoring(standard, earned_target: float, rng: random.Random | None = None, **changes) -> Fill:
    """A return whose applicable base items sum to ``earned_target`` (full marks minus losses, with reasons)."""
    fill = full_fill(standard, **changes)
    scores = dict(fill.scores)
    reasons = dict(fill.reasons)
    applicable = [i for i in standard.items if scores[i.id] != wbk.NOT_APPLICABLE]
    to_lose = sum(float(i.max_points) for i in applicable) - earned_target
    assert to_lose >= 0 and (to_lose * 2) == int(to_lose * 2)
    for item in applicable:
        if to_lose <= 0:
            break
        cut = min(float(item.max_points), to_lose)
        scores[item.id] = float(item.max_points) - cut
        reasons[item.id] = f"测试扣分 {cut}"
        to_lose -= cut
    return Fill(fill.round, fill.date, fill.inspector, scores, reasons, fill.events, fill.event_notes, fill.vetoes,
                fill.veto_notes)


def write_return(standard, hall: Hall, fill: Fill, folder: Path, year: int = YEAR, name: str | None = None) -> Path:
    wb = build_workbook(standard, hall, year)
    apply_fill(wb, standard, fill)
    path = Path(folder) / name if name else template_path(Path(folder) / fill.round, hall)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def scored_returns(standard, folder: Path, halls, score) -> tuple[Path, Path]:
    """``folder``/register.xlsx and ``folder``/returns: a 自评 for each hall scoring ``score(n)`` (n its index),
    and 退回/错误.xlsx, a later return of the first hall with a score written as text, which intake rejects (dated
    after the accepted one, so that return does not correct it: the rejection stays open)."""
    register = Path(folder) / "register.xlsx"
    write_register(halls, register)
    returns = Path(folder) / "returns"
    for n, hall in enumerate(halls):
        write_return(standard, hall, fill_scoring(standard, score(n)), returns)
    bad = full_fill(standard, when=date(YEAR, 6, 1), scores={**full_fill(standard).scores, standard.items[1].id: "满分"})
    write_return(standard, halls[0], bad, returns / "退回", name="错误.xlsx")
    return register, returns


def lose_points(standard, hall_id, round_name, lose=Decimal(0), events=None, vetoes=(), date="2025-05-01"):
    """A return at full marks minus ``lose`` points taken from the first items, in order."""
    scores = {}
    for item in standard.items:
        cut = min(Decimal(item.max_points), lose)
        scores[item.id] = Decimal(item.max_points) - cut
        lose -= cut
    return ReturnRecord(hall_id, round_name, date, "王五", scores, {}, events or {}, {},
                        {v.id: v.id in vetoes for v in standard.vetoes}, {}, file=f"{round_name}/{hall_id}.xlsx",
                        sha256=f"{hall_id}-{round_name}")
