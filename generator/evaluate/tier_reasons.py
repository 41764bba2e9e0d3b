"""Why a hall has its tier: structured facts on the placement, said in Chinese by one catalogue.

Tiering, decisions and overrides record *what* happened (the scope, the cap, the rank, a tie, the tier a hall
fell from, a decision, an override, a veto, why it is not rated) as :class:`Fact` values; :func:`said_with_ranks`
turns a placement's facts into its sentence with the templates below (and says where the ranks stand in it;
:func:`say` gives the sentence alone), as :mod:`generator.rules.problems` does for problems. Code never builds these sentences itself, and never reads them back: a verb that depends on a
tie asks the facts (:func:`waits_for_decision`), not the text.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# code → template; fields are filled from the fact's values.
CATALOGUE: dict[str, str] = {
    # Whole placements (a sentence each, the score first when there is one).
    "not-rated": "{why}。",
    "not-rated-scored": "得分 {final};{why},不参评。",
    "not-inspected": "没有被接收的检查表,未检查;仍计入{scope}名额基数({base} 个厅)。",
    "veto": "得分 {final},但发生一票否决事项 {items},无论得分均评为{tier}。",
    "below-pass": "得分 {final},低于达标线 {line},评为{tier}。",
    "pinned": "得分 {final},{why}",
    "reached": "得分 {final},达到{tier}标准({line} 分及以上),评为{tier}。",
    # A rank is the hall's place in the tier's own order (places taken by the tiers above do not count).
    "reached-in-quota": "得分 {final},达到{tier}标准({line} 分及以上),{scope}{tier}第 {rank} 名,共 {cap} 个名额,"
                        "评为{tier}。",
    "claim-self": "仅有{round}得分 {final},按分数申报{tier};只有市级检查或更高轮次决定的厅占用名额,本厅不占名额,"
                  "待市级检查。",
    "claim-pending": "{round}得分 {final},按分数申报{tier};{pending}的检查表已退回待重报,重报并接收前不排名、"
                     "不占名额。",
    "fell": "得分 {final},{falls},按规则评为{tier}。",
    "fell-awaiting": "得分 {final},{falls},裁定前暂评为{tier}。",
    "overridden": "{rule}经{decided_by}于 {date} 裁定为{tier}:{reason}。",
    # Why it is not rated.
    # The scope is the year's configuration (hallscore.toml levels, hall_types), not the 办法's 2016 wording.
    "type-not-rated": "本年度只对{types}厅评价(hallscore.toml),本厅为{type}厅",
    "level-not-rated": "本年度只对 {levels} 级{types}厅评价(hallscore.toml),本厅为 {level} 级厅",
    # Why a hall sits below the tier its score reached (joined with ;).
    "tie": "与{tied_with}得分及排名依据相同,并列{scope}{tier}第 {rank} 名,{scope}{tier}共 {cap} 个名额、只剩 {left} 个,"
           "按规则不以厅编码决定,需裁定,由{owner}决定",
    "quota-zero": "{scope}{tier}名额为 0 个(评价范围内 {base} 个厅 × {ratio} 向下取整)",
    "quota-full": "{scope}{tier}名额 {cap} 个已满(本厅为{tier}第 {rank} 名)",
    "quota-full-pinned": "{scope}{tier}名额 {cap} 个已满(其中 {pinned} 个经认定,本厅为{tier}第 {rank} 名)",
    # Answers of a returned 上报名单 (decisions.py).
    "list-said": "{owner}({decided_by},{date}){result}为{tier}:{reason}(上报名单 {where})",
    "list-recognised": "经{said},按认定评为{tier}。",
    "list-refused": "{said},不得评为{tier}",
}


@dataclass(frozen=True)
class Fact:
    """One thing that decided a placement: a catalogue code and the values its template names."""

    code: str
    values: tuple[tuple[str, object], ...] = ()

    @classmethod
    def of(cls, code: str, **values: object) -> Fact:
        if code not in CATALOGUE:
            raise KeyError(code)
        return cls(code, tuple(values.items()))

    def get(self, key: str, default: Any = None) -> Any:
        return dict(self.values).get(key, default)


def say(part: Fact | str | list[Any] | tuple[Any, ...]) -> str:
    """A fact (or a list of facts, or ready text from a caller outside the catalogue) as Chinese."""
    return said_with_ranks(part)[0]


_FORMATTER = string.Formatter()
RANK_FIELD = "rank"  # a hall's place in a quota: it moves whenever another hall of the scope gets a new score


def said_with_ranks(part: Fact | str | list[Any] | tuple[Any, ...]) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The sentence for ``part`` (the catalogue's templates filled with the facts' values, nested facts said in
    place, a list joined with ;) and where each rank stands in it, as (start, end) offsets in order: a hall page
    shows the sentence with the ranks taken from its province's ranks file, so that a rank moved by another
    hall's return does not rewrite the page (pages.py)."""
    pieces: list[str] = []
    spans: list[tuple[int, int]] = []
    _pieces(part, pieces, spans, [0])
    return "".join(pieces), tuple(spans)


def _parsed(code: str) -> list[tuple[str, str | None, str | None, str | None]]:
    got = _PARSED.get(code)
    if got is None:
        got = _PARSED[code] = list(_FORMATTER.parse(CATALOGUE[code]))
    return got


_PARSED: dict[str, list[tuple[str, str | None, str | None, str | None]]] = {}


def _pieces(part: Fact | str | list[Any] | tuple[Any, ...], pieces: list[str], spans: list[tuple[int, int]], at: list[int]) -> None:
    if isinstance(part, str):
        pieces.append(part)
        at[0] += len(part)
        return
    if isinstance(part, (list, tuple)):
        for n, piece in enumerate(part):
            if n:
                pieces.append(";")
                at[0] += 1
            _pieces(piece, pieces, spans, at)
        return
    values = dict(part.values)
    for literal, name, spec, conversion in _parsed(part.code):
        if literal:
            pieces.append(literal)
            at[0] += len(literal)
        if name is None:
            continue
        value = values[name]
        if isinstance(value, (Fact, list, tuple)):
            _pieces(value, pieces, spans, at)
            continue
        text = format(_FORMATTER.convert_field(value, conversion) if conversion else value, spec or "")
        if name == RANK_FIELD:
            spans.append((at[0], at[0] + len(text)))
        pieces.append(text)
        at[0] += len(text)


def waits_for_decision(falls: Iterable[object]) -> bool:
    """Whether one of the reasons a hall fell is a tie at a cut line (it then waits for a decision)."""
    return any(isinstance(f, Fact) and f.code == "tie" for f in falls)
