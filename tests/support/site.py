"""Archived years for site tests, made the real way: workbooks written by openpyxl → intake → evaluate → archive."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

from generator.archive.store import evaluate, save_year
from generator.demo import plan_fill
from generator.intake.run import run_intake
from generator.rules.config import Config
from generator.rules.register import Hall
from generator.rules.standard import DEFAULT_STANDARD
from generator.rules.standard_load import load_standard
from support.returns import fill_scoring, full_fill, write_return


def site_halls(extra: list[Hall] = ()) -> list[Hall]:
    """Two provinces' worth of 2-level self-operated halls with Chinese names, plus ``extra``."""
    halls = []
    for p_no, (province, cities) in enumerate((("广东", ("广州", "深圳")), ("浙江", ("杭州",))), 1):
        for n in range(6):
            city = cities[n % len(cities)]
            halls.append(Hall(f"{44 if p_no == 1 else 33}01{n:04d}", f"{city}{['中山路', '人民路', '解放路', '滨江路', '新华路', '北京路'][n]}营业厅",
                              province, city, f"{city}城区", 2, "自营"))
    return halls + list(extra)


def make_year(folder: Path, archive: Path, halls: list[Hall], year: int, seed: int = 7,
              finals: dict[str, float] | None = None, reviewed: int = 3) -> dict:
    """Write one return per hall (a review round on top of the self-assessment for the first ``reviewed``),
    run the pipeline's stages and archive the year. ``finals`` pins a hall's base items to a total."""
    standard = load_standard()
    rng = random.Random(seed + year)
    returns = Path(folder) / f"returns-{year}"
    for n, hall in enumerate(halls):
        when = date(year, 5, 10)
        if finals and hall.hall_id in finals:
            fill = fill_scoring(standard, finals[hall.hall_id], when=when)
        else:
            fill = plan_fill(standard, hall, year, rng, quality=rng.choice((0.97, 0.9, 0.8)))
            fill = full_fill(standard, when=when, scores=fill.scores, reasons=fill.reasons, events=fill.events,
                             event_notes=fill.event_notes)
        write_return(standard, hall, fill, returns, year=year)
        if n < reviewed:
            review = plan_fill(standard, hall, year, rng, round_name="市级检查", quality=0.9)
            review = full_fill(standard, round_name="市级检查", when=date(year, 6, 1), scores=review.scores,
                               reasons=review.reasons)
            write_return(standard, hall, review, returns, year=year)
    report = run_intake([returns], standard, halls, year, today=date(year, 12, 1))
    intake = report.to_dict()
    results = evaluate(halls, report.records, standard, Config(year=year), intake["summary"])
    save_year(archive, results, intake, DEFAULT_STANDARD)
    return results
