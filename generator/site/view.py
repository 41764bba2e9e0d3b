"""The site's view of one archived year: the aggregates several pages share (province rows, averages, who must
act next, 结果应用), each computed once per year in O(halls).

Averages are those of the figures as results.json holds them (95, 94.3), summed exactly from one term per
distinct figure rather than one per hall.
"""

from __future__ import annotations

import functools
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from itertools import chain
from operator import attrgetter
from statistics import mean
from typing import TYPE_CHECKING, Any, cast

from markupsafe import Markup, escape

from generator.evaluate.application import eligible, reward_list, service_assessment
from generator.model import HallRow, Quota, Shortlist, YearResults
from generator.numbers import number
from generator.rules.config import DEFAULT_IMPROVEMENT, DEFAULT_PROGRESS
from generator.rules.regions import province_order, province_slug
from generator.rules.terms import LEVELS, NOT_INSPECTED, NOT_RATED, RECOGNISED_ORDER, TIERS
from generator.rules.year_rules import Rules
from generator.site.format import fmt_points
from generator.workbooks.exports import application_name, export_name

if TYPE_CHECKING:
    from generator.archive.store import YearData

TIER_ORDER = TIERS
WAITING_LEVELS = LEVELS
_HALL_ID = attrgetter("hall_id")


def average(values: Iterable[object]) -> float | None:
    """The mean of the figures as results.json holds them (95, 94.3), exactly as before the record was typed."""
    known = [number(v) if isinstance(v, Decimal) else v for v in values
             if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool)]
    return mean(cast("list[float]", known)) if known else None


def average_counts(counts: Mapping[Any, int]) -> float | None:
    """:func:`average` of figures given as ``{figure: how many times}`` (Decimals, or JSON numbers of one type),
    to the last bit: the exact sum of the JSON numbers that statistics.mean takes, from one term per distinct
    figure instead of one per hall (a year has few distinct figures)."""
    n, floating = 0, False
    partials: dict[int, int] = {}  # denominator → numerator, as statistics._sum keeps them
    for value, times in counts.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            continue
        x = number(value) if isinstance(value, Decimal) else value
        if isinstance(x, float):
            if not math.isfinite(x):  # no exact ratio: let mean say what it says of these
                return average(v for v, k in counts.items() for _ in range(k))
            floating = True
        num, den = x.as_integer_ratio()
        partials[den] = partials.get(den, 0) + num * times
        n += times
    if not n:
        return None
    exact = sum((Fraction(num, den) for den, num in partials.items()), Fraction(0)) / n
    # statistics.mean's result type: float if any figure was, else int when the mean is whole.
    return int(exact) if not floating and exact.denominator == 1 else float(exact)


def section_counts(halls: Iterable[HallRow]) -> dict[str, dict[object, int]]:
    """Section → {rate: how many halls}, over ``halls`` (a Counter in C over every hall's sections at once)."""
    out: dict[str, dict[object, int]] = defaultdict(dict)
    for (name, rate), times in Counter(chain.from_iterable(h.sections.items() for h in halls)).items():
        out[name][rate] = times
    return out


def claims(halls: Iterable[HallRow]) -> Counter[str]:
    """Tiers that are claims only: an unranked hall's (自评 decides, or its 市级检查 is 待重报), which take no place."""
    return Counter(h.tier for h in halls if h.round and not h.ranked and h.tier in RECOGNISED_ORDER)


def todo_lists(halls: Iterable[HallRow]) -> dict[str, list[HallRow]]:
    """Who must act next (逐级认定): halls waiting per level, halls 需裁定, halls 待重报 (a rejected return to send
    again), halls not inspected; by hall id."""
    return _todo(sorted(halls, key=_HALL_ID))


def _todo(ordered: Iterable[HallRow]) -> dict[str, list[HallRow]]:
    out: dict[str, list[HallRow]] = {f"待{level}认定": [] for level in WAITING_LEVELS}
    out["需裁定"], out["待重报"], out["未检查"] = [], [], []
    for hall in ordered:
        if hall.pending_round:
            out["待重报"].append(hall)
        if hall.awaiting in WAITING_LEVELS:
            out[f"待{hall.awaiting}认定"].append(hall)
        if hall.needs_decision:
            out["需裁定"].append(hall)
        if hall.tier == NOT_INSPECTED:
            out["未检查"].append(hall)
    return out


class YearView:
    """Aggregates of one archived year that several pages share, each computed once (O(halls) in all)."""

    def __init__(self, year_data: YearData):
        self.year: int = year_data.year
        self.application: dict[str, Any] | None = None  # 结果应用, attached once all years are known
        self.record: YearResults = year_data.record  # typed once per year (YearData caches it)
        self.intake: dict[str, Any] = year_data.intake
        self.standard = year_data.standard
        self.rules = Rules.from_record(self.standard, self.year, self.record.config)
        self.halls: tuple[HallRow, ...] = self.record.halls
        self.scored = [h for h in self.halls if h.final_score is not None]
        self._group_by_province()
        self.tier_counts = Counter(h.tier for h in self.halls)
        self.claim_counts = claims(self.halls)
        self.quotas = self.record.quotas
        self.shortlists = self.record.shortlists
        self.gaps = self.record.gaps
        # The standard's order, not results.json's (its keys are sorted for byte-stable output).
        self.section_names: list[str] = list(self.standard.sections) if self.standard else (
            list(self.scored[0].sections) if self.scored else [])
        self._section_averages()
        self.rows = self._province_rows()
        self.row_by_name = {r["name"]: r for r in self.rows}
        self.avg = average_counts(Counter(h.final_score for h in self.scored))
        self.self_gap = (self.gaps["national"] if "national" in self.gaps
                         else average_counts(Counter(h.self_gap for h in self.halls)))
        self.status = {
            "营业厅": len(self.halls),
            "已检查": len(self.scored),
            "未检查": self.tier_counts.get(NOT_INSPECTED, 0),
            "不参评": self.tier_counts.get(NOT_RATED, 0),
            "需裁定": sum(1 for h in self.halls if h.needs_decision),
            "已裁定": sum(1 for h in self.halls if h.override),
        }
        self.thresholds = {k: float(v) for k, v in self.record.config.get("thresholds", {}).items()}
        self._todo_lists()
        self.confirmed_counts = Counter(h.confirmed_tier for h in self.halls if h.confirmed_tier)

    def _group_by_province(self) -> None:
        self.by_province: dict[str, list[HallRow]] = defaultdict(list)
        self.scored_by_province: dict[str, list[HallRow]] = defaultdict(list)
        for hall in self.halls:
            self.by_province[hall.province].append(hall)
            if hall.final_score is not None:
                self.scored_by_province[hall.province].append(hall)
        self.provinces = sorted(self.by_province, key=province_order)

    def _section_averages(self) -> None:
        """Averages from counts of distinct figures: each province's once, the nation's as their sum."""
        national: dict[str, dict[object, int]] = defaultdict(dict)
        self.province_avgs: dict[str, dict[str, float | None]] = {}
        for name in self.provinces:
            counts = section_counts(self.scored_by_province[name])
            self.province_avgs[name] = {s: average_counts(counts.get(s, {})) for s in self.section_names}
            for section, rates in counts.items():
                merged = national[section]
                for rate, times in rates.items():
                    merged[rate] = merged.get(rate, 0) + times
        self.national = {s: average_counts(national.get(s, {})) for s in self.section_names}

    def _todo_lists(self) -> None:
        # One sort by hall id: a province's halls, taken in that order, are its own sorted list (a stable sort).
        ordered = sorted(self.halls, key=_HALL_ID)
        by_id: dict[str, list[HallRow]] = defaultdict(list)
        for hall in ordered:
            by_id[hall.province].append(hall)
        self.todo = _todo(ordered)
        self.todo_by_province = {p: _todo(by_id[p]) for p in self.provinces}

    @functools.cached_property
    def item_heads(self) -> list[tuple[str, Markup]]:
        """Each item's id and its 各检查项得分 row up to the hall's score, escaped once per year, not per hall."""
        if not self.standard:
            return []
        return [(item.id, Markup(f"<tr><td>{escape(item.id)}</td><td>{escape(item.text)}</td>"
                                 f"<td>{escape(fmt_points(item.max_points))}</td><td>"))
                for item in self.standard.items]

    @functools.cached_property
    def recognition_counts(self) -> dict[str, int]:
        """The methodology page's counts (_terms.html.j2): halls recognised (a confirmed tier and no 认定 awaited),
        halls awaiting one, and inspected halls that lost points (a base score under 100); counted here in one
        pass rather than by template filters over every hall."""
        return {"recognised": sum(1 for h in self.halls if h.confirmed_tier and not h.awaiting),
                "waiting": sum(1 for h in self.halls if h.awaiting),
                "fixes": sum(1 for h in self.scored if h.base_score is not None and h.base_score < 100)}

    def confirmed_counts_of(self, province: str) -> Counter[str]:
        return Counter(h.confirmed_tier for h in self.by_province[province] if h.confirmed_tier)

    def section_averages(self, halls: Iterable[HallRow]) -> dict[str, float | None]:
        counts = section_counts(h for h in halls if h.final_score is not None)
        return {name: average_counts(counts.get(name, {})) for name in self.section_names}

    def _province_rows(self) -> list[dict[str, Any]]:
        quotas: dict[str, dict[str, Quota]] = defaultdict(dict)
        for q in self.quotas:
            quotas[q.scope][q.tier] = q
        by_province_gaps = self.gaps.get("by_province") or {}
        rows: list[dict[str, Any]] = []
        for name in self.provinces:
            halls = self.by_province[name]
            scored = self.scored_by_province[name]
            rows.append({
                "name": name,
                "slug": province_slug(name),
                "halls": len(halls),
                "scored": len(scored),
                "avg": average_counts(Counter(h.final_score for h in scored)),
                "counts": Counter(h.tier for h in halls),
                "claims": claims(halls),
                "quotas": quotas.get(name, {}),
                "self_gap": (by_province_gaps[name] if name in by_province_gaps
                             else average_counts(Counter(h.self_gap for h in halls))),
            })
        ranked = sorted((r for r in rows if r["avg"] is not None), key=lambda r: (-r["avg"], r["name"]))
        for n, row in enumerate(ranked, 1):
            row["rank"] = n
        return ranked + [r for r in rows if r["avg"] is None]

    def cities(self, province: str) -> list[dict[str, Any]]:
        groups: dict[str, list[HallRow]] = defaultdict(list)
        for hall in self.by_province[province]:
            groups[hall.city].append(hall)
        return [{"name": city, "halls": len(halls), "scored": sum(1 for h in halls if h.final_score is not None),
                 "avg": average_counts(Counter(h.final_score for h in halls)),
                 "counts": Counter(h.tier for h in halls)}
                for city, halls in sorted(groups.items())]

    def shortlist(self, scope: str | None = None) -> list[Shortlist]:
        """Lists that name someone (or a tie to decide), in the customary province order, 优秀 before 良好."""
        chosen = [s for s in self.shortlists if (scope is None or s.scope == scope)
                  and (s.nominees or s.needs_decision)]
        return sorted(chosen, key=lambda s: (province_order(s.scope), TIER_ORDER.index(s.tier)
                                             if s.tier in TIER_ORDER else 9))

    def weakest_items(self, halls: Iterable[HallRow], limit: int = 10) -> list[dict[str, Any]]:
        """Items by points lost in total across ``halls`` (不适用 excluded), most lost first."""
        if not self.standard:
            return []
        # (item, score) pairs counted in C; then one exact Decimal term per distinct score of an item.
        maxima = {item.id: item.max_points for item in self.standard.items}
        lost: dict[str, Decimal] = defaultdict(Decimal)
        applicable: Counter[str] = Counter()
        for (item_id, score), times in Counter(chain.from_iterable(h.items.items() for h in halls)).items():
            if isinstance(score, Decimal) and item_id in maxima:
                lost[item_id] += (maxima[item_id] - score) * times
                applicable[item_id] += times
        worst = sorted((item for item in self.standard.items if lost[item.id] > 0),
                       key=lambda item: (-lost[item.id], item.id))
        return [{"item": item, "lost": lost[item.id], "per_hall": lost[item.id] / applicable[item.id]}
                for item in worst[:limit]]


def attach_application(views: Iterable[YearView]) -> None:
    """结果应用 of every year against the previous archived one (application.py), once per view."""
    ordered = sorted(views, key=lambda v: v.year)
    for n, view in enumerate(ordered):
        if view.application is not None:
            continue
        previous = ordered[n - 1] if n else None
        lines = view.record.config.get("improvement")
        progress = view.record.config.get("progress")
        deadline = view.record.config.get("deadline") or ""
        view.application = {
            "previous_year": previous.year if previous else None,
            "lines": lines or {k: str(v) for k, v in DEFAULT_IMPROVEMENT.items()},
            "progress_lines": progress or {k: str(v) for k, v in DEFAULT_PROGRESS.items()},
            "deadline": deadline,
            "assessment": service_assessment(view.by_province, view.provinces,
                                             previous.by_province if previous else None, lines, progress,
                                             deadline, view.record.shortlists),
            "rewards": {p: reward_list(view.by_province[p]) for p in view.provinces},
            "eligible": eligible(view.halls),
        }
        view.application["assessment_by"] = {r["province"]: r for r in view.application["assessment"]}


def download_names(view: YearView) -> dict[str, Any]:
    """The year's workbook file names the pages link to: results and 结果应用, national and per province."""
    return {"national": export_name(view.year),
            "provinces": {p: export_name(view.year, p) for p in view.provinces},
            "application": application_name(view.year),
            "application_provinces": {p: application_name(view.year, p) for p in view.provinces}}

