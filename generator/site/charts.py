"""Charts as inline SVG: nothing to load, readable Chinese labels, and they print like the text around them.

Each function takes plain numbers and labels and returns escaped SVG markup (``Markup``) for the templates.
Sizes are in viewBox units; the stylesheet keeps the SVG at least as wide as its viewBox, so 12 units of text
stay 12 CSS px (a phone scrolls the chart in its box). Colours come from CSS classes in
``assets/hallscore.css`` so that print styles can turn them to greys. Each chart carries a one-line caption
saying what to read from it, and where its axis starts when that is not 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from html import escape
from typing import Any

from markupsafe import Markup

from generator.numbers import number
from generator.site.format import fmt

ROW = 22          # height of one bar row
LABEL_W = 150     # room for the labels on the left of horizontal bars
BAR_W = 360       # longest bar
WIDTH = LABEL_W + BAR_W + 70


def _real(value: Any) -> Any:
    """A typed record's exact score as the number results.json holds (95, 94.3), which the drawing uses."""
    return number(value) if isinstance(value, Decimal) else value


def _num(value: float, places: int = 1) -> str:
    return fmt(value, places)


# A phone's column (390 px less the margins) holds this many units at 1 unit = 1 CSS px: each chart is drawn a
# second time to this width, labels above their bars, and the stylesheet shows the drawing that fits.
NARROW = 340


def _svg(width: int, height: int, title: str, body: list[str], note: str = "",
         narrow: tuple[int, list[str]] | None = None) -> Markup:
    t = escape(title)
    # Out of the search index: axis labels would read as one long number in a snippet.
    caption = f"{t}。{escape(note)}" if note else t
    drawings = [("hs-wide" if narrow else "", width, height, body)]
    if narrow:
        drawings.append(("hs-narrow", NARROW, narrow[0], narrow[1]))
    svgs = "".join(
        f'<svg{f" class={chr(34)}{cls}{chr(34)}" if cls else ""} viewBox="0 0 {w} {h}" role="img" aria-label="{t}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{t}</title>{"".join(b)}</svg>' for cls, w, h, b in drawings)
    return Markup(f'<figure class="hs-chart" data-search-exclude>{svgs}<figcaption>{caption}</figcaption></figure>')


def _stacked(rows: list[tuple[str, list[str]]]) -> tuple[int, list[str]]:
    """The narrow drawing of bar rows: each label on its own line, its bars below it across the width.
    ``rows`` holds (label, bar markup drawn for x from 0 to BAR_N and y from 0)."""
    body = []
    for n, (label, bars) in enumerate(rows):
        y = 4 + n * ROW_N
        body.append(f'<text class="hs-c-label" x="0" y="{y + 12}">{escape(label)}</text>')
        body.append(f'<g transform="translate(0 {y + 16})">{"".join(bars)}</g>')
    return 8 + ROW_N * max(1, len(rows)), body


ROW_N = 36  # a narrow row: label line and bar
BAR_N = NARROW - 64  # longest narrow bar, room for its value after it


def axis_start(values: Iterable[float | None], high: float = 100.0, step: float = 5.0) -> float:
    """Where a score axis starts: the multiple of ``step`` at least one point below the lowest value."""
    known = [v for v in map(_real, values) if isinstance(v, (int, float))]
    if not known:
        return 0.0
    return max(0.0, min(high - step, math.floor((min(known) - 1) / step) * step))


def hbars(title: str, rows: list[tuple[str, float | None]], scale_max: float = 100.0, unit: str = "",
          series_class: str = "hs-c1", low: float | str = 0.0, note: str = "") -> Markup:
    """One horizontal bar per row: label, bar, value. ``None`` values show as '—'.

    ``low`` starts the axis there (``"auto"``: just below the lowest value) so that close values differ visibly;
    the caption then says where the axis starts."""
    start = axis_start((v for _, v in rows), scale_max) if low == "auto" else float(low)
    span = scale_max - start
    body = []
    if start:
        note = (note + ";" if note else "") + f"横轴从 {start:g}{unit} 起"
        body.append(f'<text class="hs-c-label" x="{LABEL_W}" y="{12 + ROW * max(1, len(rows)) + 10}" '
                    f'text-anchor="middle">{start:g}</text>')
    rows = [(label, _real(value)) for label, value in rows]
    narrow = []
    for n, (label, value) in enumerate(rows):
        y = 6 + n * ROW
        body.append(f'<text class="hs-c-label" x="{LABEL_W - 6}" y="{y + 14}" text-anchor="end">{escape(label)}</text>')
        if isinstance(value, (int, float)):
            share = max(0.0, min(1.0, (value - start) / span)) if span > 0 else 0.0
            w, wn = share * BAR_W, share * BAR_N
            body.append(f'<rect class="{series_class}" x="{LABEL_W}" y="{y + 3}" width="{w:.1f}" height="{ROW - 8}"/>')
            body.append(f'<text class="hs-c-value" x="{LABEL_W + w + 4:.1f}" y="{y + 14}">{_num(value)}{escape(unit)}</text>')
            narrow.append((label, [f'<rect class="{series_class}" x="0" y="0" width="{wn:.1f}" height="{ROW - 8}"/>',
                                   f'<text class="hs-c-value" x="{wn + 4:.1f}" y="11">{_num(value)}{escape(unit)}</text>']))
        else:
            body.append(f'<text class="hs-c-value" x="{LABEL_W + 4}" y="{y + 14}">—</text>')
            narrow.append((label, ['<text class="hs-c-value" x="0" y="11">—</text>']))
    return _svg(WIDTH, 12 + ROW * max(1, len(rows)) + (14 if start else 0), title, body, note, _stacked(narrow))


def _difference(value: object, reference: object) -> float | None:
    if isinstance(value, (int, float)) and isinstance(reference, (int, float)):
        return value - reference
    return None


def deviation(title: str, labels: list[str], series: list[tuple[str, Mapping[str, object]]], reference: Mapping[str, object],
              unit: str = "", note: str = "") -> Markup:
    """Each series' difference from ``reference`` per label, as bars left (below) or right (above) of a zero line.

    Section rates all sit near 93 %; the differences from the nation are what a reader compares."""
    reals = [(name, {k: _real(v) for k, v in values.items()}) for name, values in series]
    against = {k: _real(v) for k, v in reference.items()}
    diffs = [[_difference(values.get(label), against.get(label)) for label in labels] for _, values in reals]
    reach = math.ceil(max([abs(d) for row in diffs for d in row if d is not None] + [1.0]))
    legend_h, bar_h = 22, ROW * 0.7 - 3
    group_h = (bar_h + 3) * len(series) + 8
    zero, half = LABEL_W + BAR_W / 2, BAR_W / 2 - 30
    body = []
    for s, (name, _) in enumerate(series):
        key_x = LABEL_W + s * 110
        body.append(f'<rect class="hs-c{s + 1}" x="{key_x}" y="6" width="12" height="12"/>')
        body.append(f'<text class="hs-c-label" x="{key_x + 16}" y="16">{escape(name)}</text>')
    height = legend_h + 12 + group_h * max(1, len(labels)) + 16
    body.append(f'<line class="hs-c-axis" x1="{zero}" y1="{legend_h}" x2="{zero}" y2="{height - 18}"/>')
    for n, label in enumerate(labels):
        y0 = legend_h + 6 + n * group_h
        body.append(f'<text class="hs-c-label" x="{LABEL_W - 6}" y="{y0 + group_h / 2 + 3:.1f}" '
                    f'text-anchor="end">{escape(label)}</text>')
        for s in range(len(series)):
            d = diffs[s][n]
            y = y0 + s * (bar_h + 3)
            if d is None:
                body.append(f'<text class="hs-c-value" x="{zero + 4}" y="{y + bar_h - 2:.1f}">—</text>')
                continue
            w = abs(d) / reach * half
            x = zero if d >= 0 else zero - w
            body.append(f'<rect class="hs-c{s + 1}" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{bar_h:.1f}"/>')
            tx, anchor = (zero + w + 4, "start") if d >= 0 else (zero - w - 4, "end")
            body.append(f'<text class="hs-c-value" x="{tx:.1f}" y="{y + bar_h - 2:.1f}" text-anchor="{anchor}">'
                        f'{"+" if d > 0 else ""}{_num(d)}</text>')
    for x, text in ((zero - half, f"-{reach}"), (zero, "0"), (zero + half, f"+{reach}")):
        body.append(f'<text class="hs-c-label" x="{x:.1f}" y="{height - 4}" text-anchor="middle">{text}{escape(unit)}</text>')
    return _svg(WIDTH, int(height), title, body, note or "向右高于全国平均,向左低于全国平均")


def grouped_bars(title: str, labels: list[str], series: list[tuple[str, Mapping[str, object]]], scale_max: float = 100.0) -> Markup:
    """Several series per label (e.g. 本厅 / 本省 / 全国 per section), with a legend on top."""
    body, legend_h = [], 22
    for s, (name, _) in enumerate(series):
        x = LABEL_W + s * 110
        body.append(f'<rect class="hs-c{s + 1}" x="{x}" y="6" width="12" height="12"/>')
        body.append(f'<text class="hs-c-label" x="{x + 16}" y="16">{escape(name)}</text>')
    group_h = ROW * len(series) * 0.7 + 8
    bar_h = ROW * 0.7 - 3
    for n, label in enumerate(labels):
        y0 = legend_h + 6 + n * group_h
        body.append(f'<text class="hs-c-label" x="{LABEL_W - 6}" y="{y0 + group_h / 2 + 3:.1f}" '
                    f'text-anchor="end">{escape(label)}</text>')
        for s, (_, values) in enumerate(series):
            value = _real(values.get(label))
            y = y0 + s * (bar_h + 3)
            if isinstance(value, (int, float)):
                w = max(0.0, min(1.0, value / scale_max)) * BAR_W
                body.append(f'<rect class="hs-c{s + 1}" x="{LABEL_W}" y="{y:.1f}" width="{w:.1f}" height="{bar_h:.1f}"/>')
                body.append(f'<text class="hs-c-value" x="{LABEL_W + w + 4:.1f}" y="{y + bar_h - 2:.1f}">'
                            f'{_num(value)}</text>')
    height = legend_h + 12 + group_h * max(1, len(labels))
    return _svg(WIDTH, int(height), title, body)


def histogram(title: str, scores: list[float], high: int = 100,
              marks: dict[str, float] | None = None) -> Markup:
    """Score distribution in bins; ``marks`` draws tier thresholds as dashed lines.

    The axis starts at 60 (bins of 2.5 points) unless lower scores exist, then at the tens below (bins of 5);
    either way the tier thresholds (multiples of 5) fall on bin edges."""
    scores = [_real(s) for s in scores]
    lowest = min(scores, default=high)
    low = 60 if lowest >= 60 else int(max(0, lowest) // 10 * 10)
    step = 2.5 if low >= 60 else 5
    bins = [low + i * step for i in range(int((high - low) / step))]
    counts = [0] * len(bins)
    for s in scores:
        i = min(len(bins) - 1, max(0, int((s - low) // step)))
        counts[i] += 1
    note = f"横轴从 {low:g} 分起,每格 {step:g} 分;虚线为等级分数线" if low else "每格 5 分;虚线为等级分数线"
    wide, narrow = (_histogram_body(w, low, step, bins, counts, high, marks) for w in (WIDTH, NARROW))
    return _svg(WIDTH, 250, title, wide, note, (250, narrow))


def _histogram_body(width: int, low: float, step: float, bins: list[float], counts: list[int], high: int,
                    marks: dict[str, float] | None) -> list[str]:
    top = max(counts) or 1
    left, bottom, plot_h = 40, 215, 165
    col = (width - left - 10) / len(bins)
    body = [f'<line class="hs-c-axis" x1="{left}" y1="{bottom}" x2="{width - 10}" y2="{bottom}"/>']
    for i, (start, count) in enumerate(zip(bins, counts)):
        h = count / top * plot_h
        x = left + i * col
        if count:
            body.append(f'<rect class="hs-c1" x="{x + 1:.1f}" y="{bottom - h:.1f}" width="{col - 2:.1f}" height="{h:.1f}"/>')
            body.append(f'<text class="hs-c-value" x="{x + col / 2:.1f}" y="{bottom - h - 3:.1f}" '
                        f'text-anchor="middle">{count}</text>')
        if i % (4 if step == 2.5 else 2) == 0:
            body.append(f'<text class="hs-c-label" x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">{start:g}</text>')
    body.append(f'<text class="hs-c-label" x="{width - 10}" y="{bottom + 16}" text-anchor="end">{high} 分</text>')
    for label, value in sorted((marks or {}).items(), key=lambda kv: kv[1]):
        if not low <= float(value) <= high:
            continue
        x = left + (float(value) - low) / step * col
        # Threshold labels sit in their own row above the tallest bar and its count.
        body.append(f'<line class="hs-c-mark" x1="{x:.1f}" y1="22" x2="{x:.1f}" y2="{bottom}"/>')
        body.append(f'<text class="hs-c-label" x="{x:.1f}" y="16" text-anchor="middle">{escape(label)}</text>')
    return body


def quota_bars(title: str, rows: list[tuple[str, int, int]]) -> Markup:
    """Quota use per scope: a grey bar for the cap, a coloured bar for the places used, 'used / cap'.

    Scopes without places are left out: a row of 0 / 0 says nothing."""
    rows = [r for r in rows if r[2] > 0]
    top = max((cap for _, _, cap in rows), default=0)
    if not top:
        return Markup("")  # no places anywhere: the table beside it says so
    body, narrow = [], []
    for n, (label, used, cap) in enumerate(rows):
        y = 6 + n * ROW
        w_cap, w_used = cap / top * BAR_W, min(used, cap) / top * BAR_W
        body.append(f'<text class="hs-c-label" x="{LABEL_W - 6}" y="{y + 14}" text-anchor="end">{escape(label)}</text>')
        body.append(f'<rect class="hs-c-cap" x="{LABEL_W}" y="{y + 3}" width="{w_cap:.1f}" height="{ROW - 8}"/>')
        body.append(f'<rect class="hs-c1" x="{LABEL_W}" y="{y + 3}" width="{w_used:.1f}" height="{ROW - 8}"/>')
        body.append(f'<text class="hs-c-value" x="{LABEL_W + max(w_cap, w_used) + 4:.1f}" y="{y + 14}">{used} / {cap}</text>')
        n_cap, n_used = cap / top * BAR_N, min(used, cap) / top * BAR_N
        narrow.append((label, [f'<rect class="hs-c-cap" x="0" y="0" width="{n_cap:.1f}" height="{ROW - 8}"/>',
                               f'<rect class="hs-c1" x="0" y="0" width="{n_used:.1f}" height="{ROW - 8}"/>',
                               f'<text class="hs-c-value" x="{max(n_cap, n_used) + 4:.1f}" y="11">{used} / {cap}</text>']))
    return _svg(WIDTH, 12 + ROW * max(1, len(rows)), title, body, "灰条为名额,蓝条为已评定的营业厅数;只列有名额的范围",
                _stacked(narrow))


def trend(title: str, points: list[tuple[int, float | None]], low: float = 0, high: float = 100) -> Markup:
    """Score across archived years, oldest on the left; a single year shows as one labelled dot."""
    known = [(year, v) for year, v in ((y, _real(v)) for y, v in points) if isinstance(v, (int, float))]
    # Zoom to the scores present (in steps of 10) so that a change of a few points shows.
    lo = max(low, min(low + 90, (min(v for _, v in known) - 5) // 10 * 10)) if known else low
    wide, narrow = (_trend_body(w, known, lo, high) for w in (WIDTH, NARROW))
    note = f"纵轴从 {lo:g} 分起" if known and lo > 0 else ""
    return _svg(WIDTH, 170, title, wide, note, (170, narrow))


def _trend_body(width: int, known: list[tuple[int, Any]], lo: float, high: float) -> list[str]:
    left, right, top, bottom = 40, 30, 20, 140
    body = [f'<line class="hs-c-axis" x1="{left}" y1="{bottom}" x2="{width - right}" y2="{bottom}"/>']
    if not known:
        return body
    span = (high - lo) or 1
    # The first and last dots stand in from the axis ends, so their value labels clear the axis labels.
    pad = 24 if len(known) > 1 else 0
    step = (width - left - right - 2 * pad) / max(1, len(known) - 1)
    xy = []
    for i, (year, value) in enumerate(known):
        x = left + (pad + i * step if len(known) > 1 else (width - left - right) / 2)
        y = bottom - (value - lo) / span * (bottom - top)
        xy.append((x, y))
        body.append(f'<circle class="hs-c-dot" cx="{x:.1f}" cy="{y:.1f}" r="4"/>')
        body.append(f'<text class="hs-c-value" x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle">{_num(value)}</text>')
        body.append(f'<text class="hs-c-label" x="{x:.1f}" y="{bottom + 18}" text-anchor="middle">{year}</text>')
    body.append(f'<text class="hs-c-label" x="{left - 4}" y="{bottom}" text-anchor="end">{lo:g}</text>')
    body.append(f'<text class="hs-c-label" x="{left - 4}" y="{top + 4}" text-anchor="end">{high:g}</text>')
    if len(xy) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
        body.insert(1, f'<polyline class="hs-c-line" points="{path}"/>')
    return body
