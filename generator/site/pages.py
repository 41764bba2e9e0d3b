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
import re
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape
from markupsafe import Markup

from generator.model import HallRow
from generator.numbers import number, percent
from generator.resources import PAGE_TEMPLATES
from generator.rules.problems import CATALOGUE
from generator.rules.regions import province_order, province_slug
from generator.rules.terms import EXCELLENT, FAIL, GOOD, KIND_WORDS, NOT_INSPECTED, NOT_RATED, PASS, RATED, TIER_NAMES
from generator.site import charts
from generator.site.collection import collection_rows, mail_returns
from generator.site.format import fmt, fmt_points, hall_slug
from generator.site.page_keys import page_row
from generator.site.province import PageCache, render_province
from generator.site.public import file_name, scrub, sender_name
from generator.site.view import TIER_ORDER, YearView, attach_application, download_names

if TYPE_CHECKING:
    from generator.archive.store import YearData
    from generator.rules.standard import Standard

TEMPLATE_DIR = PAGE_TEMPLATES
TIER_CLASSES = {EXCELLENT: "excellent", GOOD: "good", PASS: "pass", FAIL: "fail",
                NOT_RATED: "unrated", NOT_INSPECTED: "uninspected"}
# A return's place in the hall's case file, as the rounds list says it. A superseded return that had problems
# was rejected and then corrected; one without was sent again or replaced.
ROUND_STATUS = {"accepted": "已接收", "rejected": "已退回待重报", "superseded": "已被替代", "corrected": "已退回,已更正"}

History = dict[str, list[dict[str, Any]]]
Trends = dict[str, Any]


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
    env.filters["file_name"] = file_name
    env.filters["sender_name"] = sender_name
    env.filters["scrub"] = scrub
    # Tier names, for every template and macro (rules/terms.py holds them).
    env.globals["rated"], env.globals["tier"] = RATED, TIER_NAMES
    return env


def _json_number(value: object) -> int | float:
    if isinstance(value, Decimal):
        return number(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _problem_title(code: str) -> str:
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


def iter_pages(years: Iterable[YearData] | None, template_dir: Path = TEMPLATE_DIR,
               views: list[YearView] | None = None, hall_pages_too: bool = True,
               cache: PageCache | None = None) -> Iterator[tuple[str, str]]:
    """Yield ``(relative path, file text)`` for every page of the site, years latest first.

    ``hall_pages_too=False`` leaves the hall pages out (hall_pages.py stamps those into a shell MkDocs rendered once);
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
            yield (f"{y}/provinces/{row['slug']}.md", _front_matter(f"{y} 年{row['name']}")
                   + render_province(province_template, view, row, trends, cache))
        yield f"{y}/methodology.md", _front_matter(f"{y} 年评价方法") + env.get_template(
            "methodology.html.j2").render(**common)
        yield f"{y}/quality.md", _front_matter(f"{y} 年数据质量") + env.get_template("quality.html.j2").render(
            intake=view.intake, **_collection(view), **common)
        if not hall_pages_too:
            continue
        for page in hall_pages(view, env, history):
            yield (f"{page.rel}.md", _front_matter(page.title, search=False, summary=page.summary) + page.render())


class HallPageYear:
    """The parts of a :class:`site_view.YearView` a hall page reads: the year, its standard (items and their
    escaped rows) and section order, and its rules. Anything else of the year a hall template reached for
    would fail the build (StrictUndefined) instead of going unnoticed in the page's key: the averages and
    ranks that change with every return come from compare.js."""

    def __init__(self, view: YearView):
        self.year = view.year
        self.standard = view.standard
        self.section_names = view.section_names
        self.rules = view.rules
        self.item_heads: list[tuple[str, Markup]] = view.item_heads  # made from the standard, once a year

    @functools.cached_property
    def key(self) -> str:
        """A digest of every part above (the rules hold the standard and the year's configuration)."""
        data = repr((self.year, self.section_names, self.rules))
        return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()


class HallPage:
    """One hall page before rendering: where it goes, its title and search summary, what its template is handed
    (``hall``, ``history``, ``year``: a page whose inputs did not change need not be rendered again) and
    ``render()``."""

    __slots__ = ("rel", "title", "_summary", "hall", "history", "year", "_render")

    def __init__(self, rel: str, title: str, summary: str | Callable[[], str], hall: HallRow,
                 history: list[dict[str, Any]], year: HallPageYear, render: Callable[[], str]):
        """``summary``: the search entry's text, or a function that makes it (only the search index reads it)."""
        self.rel, self.title, self._summary, self.hall, self.history = rel, title, summary, hall, history
        self.year, self._render = year, render

    @property
    def summary(self) -> str:
        # Made when asked, not kept: it is read once (the search entries), and the pages live through the build.
        return self._summary() if callable(self._summary) else self._summary

    def render(self) -> str:
        return self._render()


def hall_pages(view: YearView, env: Environment, history: History) -> Iterator[HallPage]:
    """The year's hall pages; bodies show the hall's own figures only (the averages come from compare.js).
    A hall template is handed the hall, its history, the year's parts and what code makes from those."""
    y = str(view.year)
    template = env.get_template("hall.html.j2")
    year = HallPageYear(view)
    for hall in view.halls:
        own = history.get(hall.hall_id, [])
        yield HallPage(f"{y}/halls/{hall_slug(hall.hall_id)}", f"{hall.name}({hall.hall_id})",
                       functools.partial(_summary, hall, y), hall, own, year,
                       functools.partial(_render_hall, template, hall, own, year))


def _render_hall(template: Template, hall: HallRow, history: list[dict[str, Any]], year: HallPageYear) -> str:
    standard = year.standard
    return template.render(hall=page_row(hall), history=history, view=year, rules=year.rules, charts=charts,
                           lost=_lost_items(hall, standard), veto_items=_veto_items(hall, standard),
                           standing=_standing_deductions(hall, standard), round_status=ROUND_STATUS,
                           withdrawn_kinds=KIND_WORDS)


def _common(view: YearView, trends: Trends) -> dict[str, Any]:
    """What every navigable page of a year is rendered with."""
    return {"view": view, "tiers": TIER_ORDER, "charts": charts, "trends": trends,
            "downloads": download_names(view), "rules": view.rules}


def iter_hall_pages(years: Iterable[YearData] | None, template_dir: Path = TEMPLATE_DIR,
                    views: Iterable[YearView] | None = None) -> Iterator[HallPage]:
    """Every year's :class:`HallPage` objects, in the order :func:`iter_pages` would yield them."""
    env = _environment(template_dir)
    views = list(views) if views is not None else [YearView(y) for y in years or ()]
    attach_application(views)
    history, _trends = _history(views)
    for view in views:
        yield from hall_pages(view, env, history)


def _collection(view: YearView) -> dict[str, Any]:
    """The quality page's tables: its files by what became of them, picked here in one pass each rather than by
    template filters over every file of the year."""
    files = view.intake.get("files", [])
    return {"collection": collection_rows(view.halls, files), "mail_returns": mail_returns(files),
            "rejected": [f for f in files if f["status"] == "rejected"],
            "corrected": [f for f in files if f.get("corrected_by")],
            "warned": [(f, p) for f in files if f["status"] != "rejected" for p in f["problems"]
                       if p["severity"] == "warning"],
            "superseded": [f for f in files if f["status"] == "superseded"],
            "ignored": [f for f in files if f["status"] == "ignored"]}


def _summary(hall: HallRow, year: str) -> str:
    """The hall's whole search entry: what people search a hall by, nothing from its item table."""
    parts = [f"{year} 年", hall.name, hall.hall_id, hall.province, hall.city, hall.district, hall.tier]
    if hall.final_score is not None:
        parts.append(f"最终得分 {fmt(hall.final_score)}")
    return " ".join(str(p) for p in parts if p)


def _lost_items(hall: HallRow, standard: Standard | None) -> list[dict[str, Any]]:
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


def _veto_items(hall: HallRow, standard: Standard | None) -> list[dict[str, Any]]:
    """The vetoes that made the hall 不达标, with the rounds that recorded them: the first lines of its 整改清单."""
    texts = {v.id: v.text for v in standard.vetoes} if standard else {}
    return [{"id": v.id, "text": texts.get(v.id, ""), "note": v.note, "source": "、".join(v.rounds)}
            for v in hall.vetoes]


def _standing_deductions(hall: HallRow, standard: Standard | None) -> list[dict[str, Any]]:
    """Every deduction of the year (whichever round recorded it) as a line of the 整改清单."""
    texts = {d.id: d.text for d in standard.deductions} if standard else {}
    return [{"id": e.id, "text": texts.get(e.id, ""), "count": e.count, "points": e.points, "note": e.note,
             "source": "、".join(e.rounds)} for e in hall.deduction_events]


# Each hall's history and the yearly trends, made once for the same views (the navigable pages, the stamped
# hall pages and their search entries each ask for it: a year-wide pass at every rebuild), kept by the first
# view (weak references: the views do not keep each other alive).
_HISTORIES: weakref.WeakKeyDictionary[YearView, tuple[tuple[weakref.ref[YearView], ...], tuple[History, Trends]]] = (
    weakref.WeakKeyDictionary())


def _history(views: Iterable[YearView]) -> tuple[History, Trends]:
    """Each hall's final score and tier in every archived year, and yearly averages per province and
    nationally."""
    views = list(views)
    made = _HISTORIES.get(views[0]) if views else None
    if made is not None and len(made[0]) == len(views) and all(r() is v for r, v in zip(made[0], views, strict=True)):
        return made[1]
    result = _make_history(views)
    if views:
        _HISTORIES[views[0]] = (tuple(weakref.ref(v) for v in views), result)
    return result


def _make_history(views: list[YearView]) -> tuple[History, Trends]:
    history: History = defaultdict(list)
    national: list[dict[str, Any]] = []
    provinces: dict[str, list[dict[str, Any]]] = defaultdict(list)
    trends: Trends = {"national": national, "provinces": provinces}
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


def navigation(years: Iterable[YearData]) -> list[dict[str, Any]]:
    """The site's nav: home, then per year its overview, provinces and methodology. Halls stay out of it."""
    nav: list[dict[str, Any]] = [{"首页": "index.md"}]
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

