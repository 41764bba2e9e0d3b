"""The staged year handed to the site in memory is exactly the year its results.json reads back as."""

from __future__ import annotations

import dataclasses
import json
import random
from datetime import date
from decimal import Decimal

from support.returns import full_fill, write_return
from support.site import site_halls

from generator.archive import codec, hall_json
from generator.archive.inputs import manifest_text
from generator.archive.store import RESULTS_FILE, load_archive, write_year
from generator.demo import plan_fill
from generator.evaluate.year import evaluate_year
from generator.intake.run import run_intake
from generator.rules.config import Config
from generator.rules.standard import DEFAULT_STANDARD
from generator.rules.standard_load import load_standard
from generator.rules.year_rules import Rules

YEAR = 2025


def typed_year(tmp_path):
    standard, halls, rng = load_standard(), site_halls(), random.Random(3)
    returns = tmp_path / "returns"
    for n, hall in enumerate(halls[:9]):
        fill = plan_fill(standard, hall, YEAR, rng, quality=rng.choice((0.97, 0.9, 0.8)))
        write_return(standard, hall, full_fill(standard, when=date(YEAR, 5, 10), scores=fill.scores,
                                               reasons=fill.reasons, events=fill.events,
                                               event_notes=fill.event_notes), returns, year=YEAR)
        if n < 2:
            review = plan_fill(standard, hall, YEAR, rng, round_name="市级检查", quality=0.9)
            write_return(standard, hall, full_fill(standard, round_name="市级检查", when=date(YEAR, 6, 1),
                                                   scores=review.scores, reasons=review.reasons), returns, year=YEAR)
    report = run_intake([returns], standard, halls, YEAR, today=date(YEAR, 12, 1))
    results = evaluate_year(halls, report.records, standard, Rules.of(standard, Config(year=YEAR)),
                            report.summary(), (), (), report.files, report.replaced)
    return results, report.to_dict()


def odd(row):
    """The same hall as the evaluation might hold it: mappings out of order, figures with other exponents."""
    def wide(value):
        return Decimal(f"{value:.3f}") if isinstance(value, Decimal) else value
    return dataclasses.replace(
        row, items={k: wide(v) for k, v in reversed(row.items.items())},
        sections={k: wide(v) for k, v in reversed(row.sections.items())},
        reasons=dict(reversed([*row.reasons.items(), ("zz", "x"), ("00", "y")])),
        override={"tier": "良好", "reason": "因", "by": "省"}, final_score=wide(row.final_score) or Decimal("90.0"),
        bonus_events=tuple(dataclasses.replace(e, points=wide(e.points), notes=tuple(list(n) for n in e.notes))
                           for e in row.bonus_events))


def unusual(row):
    """The same hall with values of other types than its fields' usual ones (the general path writes it)."""
    return dataclasses.replace(row, override={"z": "1", "a": 2},
                               reasons={"b": {"y": 1, "x": [1, (2, "3")]}, "a": "因"}, district=("区", "县"))


def test_the_handed_year_is_the_year_read_back(tmp_path):
    results, intake = typed_year(tmp_path)
    assert all(hall_json.as_read_json(h) is not None for h in (*results.halls, *map(odd, results.halls)))
    assert not any(hall_json.as_read_json(unusual(h)) for h in results.halls)
    results = dataclasses.replace(results, halls=(*results.halls, *map(odd, results.halls),
                                                  *map(unusual, results.halls)))
    folder, as_read = write_year(tmp_path / "archive", results, intake, DEFAULT_STANDARD)
    read = codec.load(folder / RESULTS_FILE)
    assert repr(as_read) == repr(codec.from_json(read))
    assert codec.dumps(codec.to_json(results)) == (folder / RESULTS_FILE).read_text(encoding="utf-8")
    [year] = load_archive(tmp_path / "archive", (YEAR, folder), as_read)
    assert year.record is as_read and year.intake == load_archive(tmp_path / "archive")[0].intake


def test_an_older_schema_is_read_back(tmp_path):
    results, intake = typed_year(tmp_path)
    folder, as_read = write_year(tmp_path / "archive", dataclasses.replace(results, schema_version=2), intake,
                                 DEFAULT_STANDARD)
    assert as_read is None and (folder / RESULTS_FILE).is_file()


def test_the_manifest_is_the_indented_json_it_always_was():
    rng = random.Random(5)
    for _n in range(200):
        names = ["名" + "".join(rng.choice('ab"\\\u00e9 /\t') for _ in range(rng.randint(0, 6)))
                 for _ in range(rng.randint(0, 5))]
        manifest = {"version": 1, "returns": [[x, f"{rng.getrandbits(256):064x}"] for x in names],
                    "register": ["r.xlsx", "0" * 64], "config": None, "overrides": None,
                    "answers": sorted([[x, "1" * 64] for x in names[:2]])}
        assert manifest_text(manifest) == json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=1) + "\n"


def test_scores_are_typed_by_their_text_however_often_seen():
    raw = {"a": 90, "b": 90.0, "c": True, "d": -0.0, "e": 0.0, "f": 94.3, "g": None, "h": "不适用", "i": 1}
    for _ in range(3):  # the first time fills the memo, then it is read in C
        typed = hall_json.exact_scores(raw)
        assert repr(typed) == repr({k: hall_json.exact(v) for k, v in raw.items()})
        assert repr(typed["b"]) == "Decimal('90.0')" and typed["c"] is True and str(typed["d"]) == "-0.0"
