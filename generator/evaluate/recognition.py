"""逐级认定: which tier a hall has had recognised so far, and which level it still waits for (standard.md).

:func:`recognise` runs the 办法's order (市 → 省 → 集团) over the lists and their answers. Beside the tier, the
confirmed tier is the highest tier, at most the tier, that the deciding round has the authority for
(terms.ROUND_AUTHORITY: 达标/不达标 only, whatever the round) or that an answered 上报名单 recognised (认定 优秀
implies 良好). A hall waits for the level that owns its tier (terms.TIER_OWNER) while that tier is not yet
confirmed; a hall known only from 自评 waits for 市 and has nothing confirmed. Halls that are not tiered
(不参评, 未检查) have neither.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from generator.errors import DecisionError
from generator.evaluate.decisions import RECOGNISE, REFUSE, Answer, Settled, list_fact, list_records, settle
from generator.evaluate.shortlist import excellent_lists, good_lists
from generator.evaluate.tier_reasons import Fact
from generator.evaluate.tiering import Candidate, Placement
from generator.intake.run import ACCEPTED
from generator.model import HallRow
from generator.numbers import number
from generator.rules.config import Config
from generator.rules.register import Hall
from generator.rules.terms import CITY, EXCELLENT, GOOD, RECOGNISED_ORDER, ROUND_AUTHORITY, TIER_OWNER
from generator.xlsx.textcell import cell_text


def confirm(tier: str, deciding_round: str, recognised: Iterable[str] = ()) -> tuple[str | None, str | None]:
    """``(confirmed_tier, awaiting)`` of a hall with rule/final ``tier`` decided by ``deciding_round``.

    ``recognised``: tiers an answered list 认定 for the hall. A claim waits for the level whose turn it is in
    the 办法's order 市 → 省 → 集团 (standard.md, 逐级认定), the one that can act on it now: a hall nothing
    recognised yet waits for 市 (its city check); a 良好 or 优秀 claim the city has recognised 达标 waits for
    省 (the 良好 list comes first, and the group's list is issued only from the province's answer); an 优秀
    claim the province has recognised waits for 集团.
    """
    if tier not in RECOGNISED_ORDER:
        return None, None
    ceiling = RECOGNISED_ORDER.index(tier)
    allowed = set(ROUND_AUTHORITY.get(deciding_round, ()))
    for t in recognised:  # 认定 优秀 implies 良好 and below
        if t in RECOGNISED_ORDER:
            allowed |= {x for x in RECOGNISED_ORDER[1:RECOGNISED_ORDER.index(t) + 1]}
    confirmed = next((t for t in reversed(RECOGNISED_ORDER[:ceiling + 1]) if t in allowed), None)
    if confirmed is None:
        return None, CITY
    if confirmed == tier:
        return confirmed, None
    return confirmed, TIER_OWNER[RECOGNISED_ORDER[RECOGNISED_ORDER.index(confirmed) + 1]]


def label(tier: str, confirmed: str | None, awaiting: str | None) -> str:
    """What a page prints: a recognised tier as it is, a claim as a claim (优秀 · 待集团认定)."""
    if awaiting is None:
        return tier
    return f"{tier} · 待{awaiting}认定"


@dataclass
class Recognition:
    """The lists of the year in the 办法's order and what their answers decided."""

    shortlists: list[dict[str, Any]]  # the lists as results.json records them, before their answers are marked
    pins: dict[str, tuple[str, Fact | str]] = field(default_factory=dict)  # hall id → (tier, why) for tiering
    bars: dict[str, dict[str, Fact | str]] = field(default_factory=dict)  # hall id → {tier: why}
    records: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # hall id → its rows in the applied answers
    outcomes: list[dict[str, Any]] = field(default_factory=list)  # every answer read, and what was done with it


def deciding_file(row: HallRow) -> str:
    """The accepted return of the deciding round (a case file lists rejected and corrected returns too)."""
    return next((r.file for r in reversed(row.rounds) if r.round == row.round and r.status == ACCEPTED), "")


def recognise(halls: Sequence[Hall], candidates: Mapping[str, Candidate], config: Config,
              hall_rows: Mapping[str, HallRow], answers: Iterable[Answer], placements: Mapping[str, Placement],
              ) -> Recognition:
    """Steps 1-4 of 逐级认定 (standard.md): the 良好 lists, the province's answers, the 优秀 lists made from what
    the provinces recognised, the group's answers, the bound; then the pins and bars tiering applies.

    ``placements`` are the rules' own (the forecast). Refused whole (``DecisionError``): an answer over its
    bound, and whatever :func:`decisions.settle` refuses.
    """
    answers = tuple(answers)
    year = config.year
    ranked = {h for h, row in hall_rows.items() if row.ranked}
    info: dict[str, dict[str, Any]] = {h: {"name": row.name, "city": row.city, "level": row.level, "round": row.round}
                                       for h, row in hall_rows.items()}
    # Which returns changed a list: asked only of an answer that no longer matches its list.
    files = {h: (cell_text(number(row.final_score)), deciding_file(row)) for h, row in hall_rows.items()
             if row.round} if answers else {}
    good = good_lists(halls, candidates, config, ranked, info)
    province = settle(answers, good, year, GOOD, files)
    recognised = {scope: {d.hall_id for d in a.decisions if d.result == RECOGNISE}
                  for (scope, _tier), a in province.applied.items()}
    excellent = excellent_lists(halls, candidates, config, recognised, info)
    group = settle(answers, excellent, year, EXCELLENT, files)
    _check_bounds(province, group, good)
    done = Recognition(good + excellent, outcomes=sorted(province.outcomes + group.outcomes,
                                                        key=lambda o: (o["scope"], o["tier"], o["date"], o["sha256"])))
    line = config.thresholds[EXCELLENT]
    for settled in (group, province):  # 优秀 first: the group's word is the higher one
        for a in settled.applied.values():
            for hall_id, record in list_records(a).items():
                done.records.setdefault(hall_id, []).append(record)
                fact = list_fact(record)
                if a.tier == EXCELLENT:
                    if record["result"] == RECOGNISE:
                        done.pins[hall_id] = (EXCELLENT, fact)
                    else:
                        done.bars.setdefault(hall_id, {})[EXCELLENT] = fact
                elif record["result"] == REFUSE:
                    done.bars.setdefault(hall_id, {}).update({GOOD: fact, EXCELLENT: fact})
                elif hall_id not in done.pins and (EXCELLENT in done.bars.get(hall_id, {})
                                                   or candidates[hall_id].final < line
                                                   or placements[hall_id].tier != EXCELLENT):
                    done.pins[hall_id] = (GOOD, fact)  # 良好 (or above, until the group has spoken)
    return done


def _check_bounds(province: Settled, group: Settled, good: list[dict[str, Any]]) -> None:
    """Refuse an answer that recognises more halls than its quota; mark on each 良好 list the places left."""
    group_yes = {d.hall_id for a in group.applied.values() for d in a.decisions if d.result == RECOGNISE}
    for a in group.applied.values():
        _within(a, sum(1 for d in a.decisions if d.result == RECOGNISE), a.quota,
                f"认定优秀 {{n}} 个,超过{a.scope}优秀名额 {a.quota} 个")
    free: dict[str, int] = {}
    for a in province.applied.values():
        yes = {d.hall_id for d in a.decisions if d.result == RECOGNISE}
        freed = len(yes & group_yes)
        _within(a, len(yes) - freed, a.quota,
                "认定良好 {n} 个" + (f"(其中 {freed} 个已由集团认定为优秀,空出名额)" if freed else "")
                + f",超过{a.scope}良好名额 {a.quota} 个")
        free[a.scope] = a.quota - (len(yes) - freed)
    for entry in good:  # the province page shows the places its newer answer may still fill
        entry["free"] = free.get(entry["scope"])


def _within(a: Answer, n: int, quota: int, what: str) -> None:
    if n > quota:
        rows = ";".join(d.where for d in a.decisions if d.result == RECOGNISE)
        raise DecisionError(f"上报名单 {a.file}:{what.format(n=n)},整份退回(认定的行:{rows})")
