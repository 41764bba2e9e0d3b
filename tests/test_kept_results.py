"""The results stamp (unchanged.py): a nothing-changed build takes the year's summary from it without reading
results.json, and only a stamp of this key, this file status and our shape is believed."""

from __future__ import annotations

import os

from generator.evaluate.year import Tally
from generator.fs.files import file_status
from generator.fs.memo import write_memo
from generator.incremental.unchanged import KeptResults, kept_results, last_results, remember_results

YEAR = 2025


def test_the_summary_noted_with_the_results_comes_back_for_the_same_key_and_file(tmp_path):
    results = tmp_path / "results.json"
    results.write_text("{}", encoding="utf-8")
    kept = KeptResults(Tally(3, {"优秀": 1, "良好": 1}, {"达标": 1}, {"省": 1}, 1),
                       ({"file": "名单.xlsx", "status": "applied", "recognised": 1, "refused": 0},))
    remember_results(tmp_path, YEAR, "key-1", results, kept)
    assert last_results(tmp_path, YEAR, "key-1", results) == kept
    assert last_results(tmp_path, YEAR, "key-2", results) is None  # another key: evaluated again
    assert last_results(tmp_path, YEAR + 1, "key-1", results) is None
    os.utime(results, ns=(1, 1))  # the file changed since: its results are not the noted ones
    assert last_results(tmp_path, YEAR, "key-1", results) is None


def test_a_stamp_not_of_our_shape_is_not_believed(tmp_path):
    results = tmp_path / "results.json"
    results.write_text("{}", encoding="utf-8")
    remember_results(tmp_path, YEAR, "key", results, KeptResults(Tally(1), ()))
    stamp = tmp_path / f"results-{YEAR}.json"
    good = {"halls": 1, "tiers": {}, "claims": {}, "waiting": {}, "recognised": 0}
    assert kept_results(good, []) == KeptResults(Tally(1), ())
    for tally, answers in [({**good, "halls": "1"}, []), ({**good, "tiers": {"优秀": True}}, []),
                           ({**good, "waiting": []}, []), (good, [1]), (good, {}), ([], [])]:
        assert kept_results(tally, answers) is None
        # sealed with our key but of another shape: read as no stamp, never as a wrong summary
        write_memo(stamp, "results-stamp", {"key": "key", "file": file_status(results), "tally": tally,
                                            "answers": answers})
        assert last_results(tmp_path, YEAR, "key", results) is None
