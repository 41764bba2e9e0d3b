"""Pages: archived years → the site's pages (Jinja2 → HTML inside Markdown files) and its navigation.

Every page body is rendered here as HTML with autoescaping on, so no text from a workbook or the register can
reach a page unescaped; the ``hallscore`` hook hands that HTML to MkDocs without Markdown re-parsing it.
Pages are yielded one at a time so a national year never sits in memory as a whole.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import math
import re
import weakref
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from decimal import Decimal
from fractions import Fraction
from itertools import chain
from operator import attrgetter
from pathlib import Path
from statistics import mean
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from . import charts, public
from .model import HallRow, Quota, Shortlist, YearResults
from .numbers import number, percent, plain
from .regions import province_order, province_slug
from .resources import PAGE_TEMPLATES
from .rules import Rules
from .scoring import half_up
from .terms import (
    EXCELLENT,
    FAIL,
    GOOD,
    KIND_WORDS,
    LEVELS,
    NOT_INSPECTED,
    NOT_RATED,
    PASS,
    RATED,
    RECOGNISED_ORDER,
    TIER_NAMES,
    TIERS,
)

if TYPE_CHECKING:
    from .results import YearData
    from .standard import Standard

TEMPLATE_DIR = PAGE_TEMPLATES
TIER_ORDER = TIERS  # kept under this name for the province pages (terms.TIERS)
TIER_CLASSES = {EXCELLENT: "excellent", GOOD: "good", PASS: "pass", FAIL: "fail",
                NOT_RATED: "unrated", NOT_INSPECTED: "uninspected"}


def hall_slug(hall_id: str) -> str:
    """A file name for a hall page, one per 厅编码 (never two halls in one file): the 厅编码 itself when it is
    plain ASCII without lower-case letters (so that two names cannot differ only in case, which a file system
    that ignores case would merge), else ``_`` and a hash (no plain name starts with ``_``)."""
    if re.fullmatch(r"[A-Z0-9][A-Z0-9_.-]{0,63}", hall_id) and not hall_id.endswith("."):
        return hall_id
    return "_" + hashlib.sha256(hall_id.encode("utf-8")).hexdigest()[:24]


def fmt(value: object, places: int = 1) -> str:
    """Scores on pages: one decimal, '—' for none, 不适用 as is."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        return value
    return _fmt_number(value, places)


@functools.lru_cache(maxsize=8192)
def _fmt_number(value: object, places: int) -> str:
    # Scores repeat a lot across 20,000 halls; Decimal rounding is the costly part of a hall page.
    return f"{half_up(Decimal(str(value)), places):.{places}f}"


def fmt_points(value: object) -> str:
    """Item points as entered: 3, 2.5."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return _plain_points(value)


@functools.lru_cache(maxsize=4096)
def _plain_points(value: object) -> str:
    # 60 item scores on each of 20,000 hall pages, from a handful of distinct values.
    return plain(value)


@functools.lru_cache(maxsize=4)
def _environment(template_dir: Path) -> Environment:
    # One per template folder and process: every page kind is compiled once, not once per build and pass
    # (Jinja still reloads a template whose file changed).
    env = Environment(
        loader=FileSystemLoader(str(template_dir)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # tojson writes a record's exact scores as results.json does (94.3, 95), never as strings.
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "default": _json_number}
    env.filters["fmt"] = fmt
    env.filters["points"] = fmt_points
    env.filters["tier_class"] = lambda tier: TIER_CLASSES.get(tier, "")
    env.filters["percent"] = percent
    env.filters["hall_slug"] = hall_slug
    env.filters["zip_values"] = lambda a, b: list(zip(a, b))
    env.filters["province_slug"] = province_slug
    env.filters["problem_title"] = _problem_title
    # The public site names a return by its file name and a sender by name (public.py says why).
    env.filters["file_name"] = public.file_name
    env.filters["sender_name"] = public.sender_name
    env.filters["scrub"] = public.scrub
    # Tier names, for every template and macro (rules.py holds them).
    env.globals["rated"], env.globals["tier"] = RATED, TIER_NAMES
    return env


def _json_number(value: object) -> int | float:
    if isinstance(value, Decimal):
        return number(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _problem_title(code: str) -> str:
    from .problems import CATALOGUE

    entry = CATALOGUE.get(code)
    return entry.title if entry else ""


def _front_matter(title: str, search: bool = True, summary: str | None = None) -> str:
    # JSON strings are valid YAML flow scalars, so any title is quoted safely. The theme prints titles
    # without escaping them, so they go in escaped already.
    lines = ["---", f"title: {_yaml_string(html.escape(title, quote=False))}", "hallscore: html"]
    if not search:
        lines += ["search:", "  exclude: true"]
    if summary:
        lines.append(f"hallscore_search: {_yaml_string(summary)}")
    return "\n".join(lines) + "\n---\n"


# What YAML will not take raw inside quotes (DEL, C1, surrogates, U+FFFE/U+FFFF) or reads as a line break.
_YAML_UNPRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


def _yaml_string(text: str) -> str:
    """A double-quoted YAML scalar that parses back to ``text`` whatever it holds, so front matter cannot break."""
    quoted = json.dumps(text, ensure_ascii=False)  # escapes quotes, backslashes and C0 controls
    return _YAML_UNPRINTABLE.sub(lambda m: f"\\u{ord(m[0]):04x}", quoted)


def _avg(values: Iterable[object]) -> float | None:
    # The mean of the figures as results.json holds them (95, 94.3), exactly as before the record was typed.
    known = [number(v) if isinstance(v, Decimal) else v for v in values
             if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool)]
    return mean(known) if known else None


def _avg_counts(counts: dict) -> float | None:
    """:func:`_avg` of figures given as ``{figure: how many times}`` (Decimals, or JSON numbers of one type),
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
                return _avg(v for v, k in counts.items() for _ in range(k))
            floating = True
        num, den = x.as_integer_ratio()
        partials[den] = partials.get(den, 0) + num * times
        n += times
    if not n:
        return None
    exact = sum((Fraction(num, den) for den, num in partials.items()), Fraction(0)) / n
    # statistics.mean's result type: float if any figure was, else int when the mean is whole.
    return int(exact) if not floating and exact.denominator == 1 else float(exact)


def _section_counts(halls: Iterable[HallRow]) -> dict[str, dict]:
    """Section → {rate: how many halls}, over ``halls`` (a Counter in C over every hall's sections at once)."""
    out: dict[str, dict] = defaultdict(dict)
    for (name, rate), times in Counter(chain.from_iterable(h.sections.items() for h in halls)).items():
        out[name][rate] = times
    return out


class YearView:
    """Aggregates of one archived year that several pages share, each computed once (O(halls) in all)."""

    def __init__(self, year_data):
        self.year = year_data.year
        self.application: dict | None = None  # 结果应用, attached once all years are known (attach_application)
        self.record: YearResults = year_data.record  # typed once per year (YearData caches it)
        self.intake = year_data.intake
        self.standard = year_data.standard
        self.rules = Rules.from_record(self.standard, self.year, self.record.config)
        self.halls: tuple[HallRow, ...] = self.record.halls
        self.scored = [h for h in self.halls if h.final_score is not None]
        self.by_province: dict[str, list[HallRow]] = defaultdict(list)
        self.scored_by_province: dict[str, list[HallRow]] = defaultdict(list)
        for hall in self.halls:
            self.by_province[hall.province].append(hall)
            if hall.final_score is not None:
                self.scored_by_province[hall.province].append(hall)
        self.provinces = sorted(self.by_province, key=province_order)
        self.tier_counts = Counter(h.tier for h in self.halls)
        self.claim_counts = _claims(self.halls)
        self.quotas = self.record.quotas
        self.shortlists = self.record.shortlists
        self.gaps = self.record.gaps
        # The standard's order, not results.json's (its keys are sorted for byte-stable output).
        self.section_names = list(self.standard.sections) if self.standard else (
            list(self.scored[0].sections) if self.scored else [])
        # Averages from counts of distinct figures: each province's once, the nation's as their sum.
        national: dict[str, dict] = defaultdict(dict)
        self.province_avgs = {}
        for name in self.provinces:
            counts = _section_counts(self.scored_by_province[name])
            self.province_avgs[name] = {s: _avg_counts(counts.get(s, {})) for s in self.section_names}
            for section, rates in counts.items():
                merged = national[section]
                for rate, times in rates.items():
                    merged[rate] = merged.get(rate, 0) + times
        self.national = {s: _avg_counts(national.get(s, {})) for s in self.section_names}
        self.rows = self._province_rows()
        self.row_by_name = {r["name"]: r for r in self.rows}
        self.avg = _avg_counts(Counter(h.final_score for h in self.scored))
        self.self_gap = (self.gaps["national"] if "national" in self.gaps
                         else _avg_counts(Counter(h.self_gap for h in self.halls)))
        self.status = {
            "营业厅": len(self.halls),
            "已检查": len(self.scored),
            "未检查": self.tier_counts.get(NOT_INSPECTED, 0),
            "不参评": self.tier_counts.get(NOT_RATED, 0),
            "需裁定": sum(1 for h in self.halls if h.needs_decision),
            "已裁定": sum(1 for h in self.halls if h.override),
        }
        self.thresholds = {k: float(v) for k, v in self.record.config.get("thresholds", {}).items()}
        # One sort by hall id: a province's halls, taken in that order, are its own sorted list (a stable sort).
        ordered = sorted(self.halls, key=_HALL_ID)
        by_id: dict[str, list[HallRow]] = defaultdict(list)
        for hall in ordered:
            by_id[hall.province].append(hall)
        self.todo = _todo(ordered)
        self.todo_by_province = {p: _todo(by_id[p]) for p in self.provinces}
        self.confirmed_counts = Counter(h.confirmed_tier for h in self.halls if h.confirmed_tier)

    @functools.cached_property
    def item_heads(self) -> list[tuple[str, Markup]]:
        """Each item's id and its 各检查项得分 row up to the hall's score, escaped once per year, not per hall."""
        if not self.standard:
            return []
        return [(item.id, Markup(f"<tr><td>{escape(item.id)}</td><td>{escape(item.text)}</td>"
                                 f"<td>{escape(fmt_points(item.max_points))}</td><td>"))
                for item in self.standard.items]

    def confirmed_counts_of(self, province: str) -> Counter:
        return Counter(h.confirmed_tier for h in self.by_province[province] if h.confirmed_tier)

    def section_averages(self, halls: Iterable[HallRow]) -> dict[str, float | None]:
        counts = _section_counts(h for h in halls if h.final_score is not None)
        return {name: _avg_counts(counts.get(name, {})) for name in self.section_names}

    def _province_rows(self) -> list[dict]:
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
                "avg": _avg_counts(Counter(h.final_score for h in scored)),
                "counts": Counter(h.tier for h in halls),
                "claims": _claims(halls),
                "quotas": quotas.get(name, {}),
                "self_gap": (by_province_gaps[name] if name in by_province_gaps
                             else _avg_counts(Counter(h.self_gap for h in halls))),
            })
        ranked = sorted((r for r in rows if r["avg"] is not None), key=lambda r: (-r["avg"], r["name"]))
        for n, row in enumerate(ranked, 1):
            row["rank"] = n
        return ranked + [r for r in rows if r["avg"] is None]

    def cities(self, province: str) -> list[dict]:
        groups: dict[str, list[HallRow]] = defaultdict(list)
        for hall in self.by_province[province]:
            groups[hall.city].append(hall)
        return [{"name": city, "halls": len(halls), "scored": sum(1 for h in halls if h.final_score is not None),
                 "avg": _avg_counts(Counter(h.final_score for h in halls)), "counts": Counter(h.tier for h in halls)}
                for city, halls in sorted(groups.items())]

    def shortlist(self, scope: str | None = None) -> list[Shortlist]:
        """Lists that name someone (or a tie to decide), in the customary province order, 优秀 before 良好."""
        chosen = [s for s in self.shortlists if (scope is None or s.scope == scope)
                  and (s.nominees or s.needs_decision)]
        return sorted(chosen, key=lambda s: (province_order(s.scope), TIER_ORDER.index(s.tier)
                                             if s.tier in TIER_ORDER else 9))

    def weakest_items(self, halls: Iterable[HallRow], limit: int = 10) -> list[dict]:
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
        rows = []
        for item in self.standard.items:
            if lost[item.id] > 0:
                rows.append({"item": item, "lost": lost[item.id], "per_hall": lost[item.id] / applicable[item.id]})
        rows.sort(key=lambda r: (-r["lost"], r["item"].id))
        return rows[:limit]


WAITING_LEVELS = LEVELS


_HALL_ID = attrgetter("hall_id")


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


def attach_application(views: Iterable[YearView]) -> None:
    """结果应用 of every year against the previous archived one (application.py), once per view."""
    from . import application as app

    ordered = sorted(views, key=lambda v: v.year)
    for n, view in enumerate(ordered):
        if getattr(view, "application", None) is not None:
            continue
        previous = ordered[n - 1] if n else None
        lines = view.record.config.get("improvement")
        progress = view.record.config.get("progress")
        deadline = view.record.config.get("deadline") or ""
        view.application = {
            "previous_year": previous.year if previous else None,
            "lines": lines or {k: str(v) for k, v in app.DEFAULT_IMPROVEMENT.items()},
            "progress_lines": progress or {k: str(v) for k, v in app.DEFAULT_PROGRESS.items()},
            "deadline": deadline,
            "assessment": app.service_assessment(view.by_province, view.provinces,
                                                 previous.by_province if previous else None, lines, progress,
                                                 deadline, view.record.shortlists),
            "rewards": {p: app.reward_list(view.by_province[p]) for p in view.provinces},
            "eligible": app.eligible(view.halls),
        }
        view.application["assessment_by"] = {r["province"]: r for r in view.application["assessment"]}


def iter_pages(years: Iterable[YearData] | None, template_dir: Path = TEMPLATE_DIR,
               views: list[YearView] | None = None, hall_pages_too: bool = True,
               cache: Any = None) -> Iterator[tuple[str, str]]:
    """Yield ``(relative path, file text)`` for every page of the site, years latest first.

    ``hall_pages_too=False`` leaves the hall pages out (stamp.py writes those into a shell MkDocs rendered once);
    ``cache`` (province.py's PageCache) gives back province pages whose inputs the last build rendered."""
    env = _environment(template_dir)
    views = views if views is not None else [YearView(y) for y in years or ()]
    attach_application(views)
    history, trends = _history(views)
    yield "index.md", _front_matter("营业厅服务评价") + env.get_template("home.html.j2").render(
        years=views, trends=trends, charts=charts)
    for view in views:
        y = str(view.year)
        common = _common(view, trends)
        yield f"{y}/index.md", _front_matter(f"{y} 年全国概览") + env.get_template("overview.html.j2").render(
            provinces=view.rows, national=view.national, weakest=view.weakest_items(view.scored), **common)
        province_template = env.get_template("province.html.j2")
        for row in view.rows:
            yield (f"{y}/provinces/{row['slug']}.md",
                   _front_matter(f"{y} 年{row['name']}") + province_page(province_template, view, row, trends, cache))
        yield f"{y}/methodology.md", _front_matter(f"{y} 年评价方法") + env.get_template(
            "methodology.html.j2").render(**common)
        yield f"{y}/quality.md", _front_matter(f"{y} 年数据质量") + env.get_template("quality.html.j2").render(
            intake=view.intake, **_collection(view), **common)
        if not hall_pages_too:
            continue
        for page in hall_pages(view, env, history, common):
            yield (f"{page.rel}.md", _front_matter(page.title, search=False, summary=page.summary) + page.render())


def province_page(template: Any, view: YearView, row: dict, trends: dict, cache: Any = None) -> str:
    """A province page's body, from its own province's figures only (province.py: what it may read)."""
    from .province import derived, province_inputs

    inputs = province_inputs(view, row, trends)

    def render() -> str:
        return template.render(**{k: v for k, v in inputs.items() if k != "standard"}, **derived(view, row["name"]))

    return render() if cache is None else cache.get(inputs, render)


class HallPage:
    """One hall page before rendering: where it goes, its title and search summary, what its body is made of
    (``hall``, ``history``: a page whose parts did not change need not be rendered again) and ``render()``."""

    __slots__ = ("rel", "title", "_summary", "hall", "history", "_render")

    def __init__(self, rel, title, summary, hall, history, render):
        """``summary``: the search entry's text, or a function that makes it (only the search index reads it)."""
        self.rel, self.title, self._summary, self.hall, self.history = rel, title, summary, hall, history
        self._render = render

    @property
    def summary(self) -> str:
        if callable(self._summary):
            self._summary = self._summary()
        return self._summary

    def render(self) -> str:
        return self._render()


def hall_pages(view, env, history, common):
    """The year's hall pages; bodies show the hall's own figures only (the averages come from compare.js)."""
    y = str(view.year)
    template = env.get_template("hall.html.j2")
    for hall in view.halls:
        own = history.get(hall.hall_id, [])

        def render(hall=hall, own=own):
            return template.render(hall=hall, lost=_lost_items(hall, view.standard),
                                   veto_items=_veto_items(hall, view.standard),
                                   standing=_standing_deductions(hall, view.standard),
                                   round_status=ROUND_STATUS, withdrawn_kinds=KIND_WORDS, history=own,
                                   **common)

        yield HallPage(f"{y}/halls/{hall_slug(hall.hall_id)}", f"{hall.name}({hall.hall_id})",
                       functools.partial(_summary, hall, y), hall, own, render)


def _common(view: YearView, trends: dict) -> dict:
    """What every page of a year is rendered with; hall pages stamped apart get exactly the same."""
    return {"view": view, "tiers": TIER_ORDER, "charts": charts, "trends": trends,
            "downloads": _downloads(view), "rules": view.rules}


def iter_hall_pages(years: Iterable[YearData] | None, template_dir: Path = TEMPLATE_DIR,
                    views: Iterable[YearView] | None = None) -> Iterator[HallPage]:
    """Every year's :class:`HallPage` objects, in the order :func:`iter_pages` would yield them."""
    env = _environment(template_dir)
    views = views if views is not None else [YearView(y) for y in years or ()]
    attach_application(views)
    history, trends = _history(views)
    for view in views:
        common = _common(view, trends)
        yield from hall_pages(view, env, history, common)


def _collection(view: YearView) -> dict:
    from .collection import collection_rows, mail_returns

    files = view.intake.get("files", [])
    return {"collection": collection_rows(view.halls, files), "mail_returns": mail_returns(files)}


def _summary(hall: HallRow, year: str) -> str:
    """The hall's whole search entry: what people search a hall by, nothing from its item table."""
    parts = [f"{year} 年", hall.name, hall.hall_id, hall.province, hall.city, hall.district, hall.tier]
    if hall.final_score is not None:
        parts.append(f"最终得分 {fmt(hall.final_score)}")
    return " ".join(str(p) for p in parts if p)


def _downloads(view: YearView) -> dict:
    from .exports import application_name, export_name

    return {"national": export_name(view.year),
            "provinces": {p: export_name(view.year, p) for p in view.provinces},
            "application": application_name(view.year),
            "application_provinces": {p: application_name(view.year, p) for p in view.provinces}}


def _lost_items(hall: HallRow, standard: Standard | None) -> list[dict]:
    """整改清单: every item that lost points, biggest loss first."""
    if not standard or hall.final_score is None:
        return []
    rows: list[dict[str, Any]] = []
    for item in standard.items:
        score = hall.items.get(item.id)  # the recorded figure, exactly (Decimal): no float arithmetic
        if isinstance(score, Decimal) and score < item.max_points:
            rows.append({"item": item, "score": score, "lost": item.max_points - score,
                         "reason": hall.reasons.get(item.id, ""), "level": standard.level_of(item.id, score)})
    rows.sort(key=lambda r: (-r["lost"], r["item"].id))
    return rows


def _veto_items(hall: HallRow, standard: Standard | None) -> list[dict]:
    """The vetoes that made the hall 不达标, with the rounds that recorded them: the first lines of its 整改清单."""
    texts = {v.id: v.text for v in standard.vetoes} if standard else {}
    return [{"id": v.id, "text": texts.get(v.id, ""), "note": v.note, "source": "、".join(v.rounds)}
            for v in hall.vetoes]


def _claims(halls: Iterable[HallRow]) -> Counter:
    """Tiers that are claims only: an unranked hall's (自评 decides, or its 市级检查 is 待重报), which take no place."""
    return Counter(h.tier for h in halls if h.round and not h.ranked and h.tier in RECOGNISED_ORDER)


def _standing_deductions(hall: HallRow, standard: Standard | None) -> list[dict]:
    """Every deduction of the year (whichever round recorded it) as a line of the 整改清单."""
    texts = {d.id: d.text for d in standard.deductions} if standard else {}
    return [{"id": e.id, "text": texts.get(e.id, ""), "count": e.count, "points": e.points, "note": e.note,
             "source": "、".join(e.rounds)} for e in hall.deduction_events]



# A return's place in the hall's case file, as the rounds list says it. A superseded return that had problems
# was rejected and then corrected; one without was sent again or replaced.
ROUND_STATUS = {"accepted": "已接收", "rejected": "已退回待重报", "superseded": "已被替代", "corrected": "已退回,已更正"}


def _history(views):
    """Each hall's final score and tier in every archived year, and yearly averages per province and nationally;
    made once for the same views (the navigable pages, the stamped hall pages and their search entries each ask
    for it: a year-wide pass at every rebuild), kept on the first view."""
    views = list(views)
    made = getattr(views[0], "_history_of", None) if views else None
    if made is not None and len(made[0]) == len(views) and all(r() is v for r, v in zip(made[0], views, strict=True)):
        return made[1]
    result = _make_history(views)
    if views:  # weak references: the view does not keep itself (and the others) alive
        views[0]._history_of = (tuple(weakref.ref(v) for v in views), result)
    return result


def _make_history(views):
    history: dict[str, list[dict]] = defaultdict(list)
    national: list[dict] = []
    provinces: dict[str, list[dict]] = defaultdict(list)
    trends = {"national": national, "provinces": provinces}
    for view in sorted(views, key=lambda v: v.year):
        for hall in view.halls:
            # The 认定 state too: the 历年结果 table shows each year's tier as the hall's head does (a claim
            # waiting for its 认定 is never drawn as a result).
            history[hall.hall_id].append({"year": view.year, "final_score": hall.final_score, "tier": hall.tier,
                                          "awaiting": hall.awaiting, "confirmed_tier": hall.confirmed_tier,
                                          "needs_decision": hall.needs_decision, "pending_tier": hall.pending_tier})
        national.append({"year": view.year, "avg": view.avg, "halls": len(view.halls),
                                   "counts": view.tier_counts})
        for row in view.rows:
            provinces[row["name"]].append({"year": view.year, "avg": row["avg"], "counts": row["counts"]})
    return history, trends


def navigation(years: Iterable[YearData]) -> list:
    """The site's nav: home, then per year its overview, provinces and methodology. Halls stay out of it."""
    nav: list = [{"首页": "index.md"}]
    for year in years:
        y = str(year.year)
        provinces = sorted({h.province for h in year.record.halls}, key=province_order)
        nav.append({f"{y} 年": [
            {"全国概览": f"{y}/index.md"},
            # The theme prints nav titles unescaped: province names come from the register.
            {"各省": [{html.escape(p, quote=False): f"{y}/provinces/{province_slug(p)}.md"} for p in provinces]},
            {"评价方法": f"{y}/methodology.md"},
            {"数据质量": f"{y}/quality.md"},
        ]})
    return nav

