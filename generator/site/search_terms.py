"""Words the site search must keep whole, and the places each province page stands for.

The search plugin segments Chinese with jieba at build time; the browser matches the query as typed against
those segments. jieba's own dictionary splits 不达标 into 不 + 达标 and does not know every city, so a user
dictionary of the year's tier names, the standard's terms and the register's places goes in first
(``mkdocs_hooks.on_config``). Plain data only: render.py hands it to the hook through the MkDocs config.
"""

from __future__ import annotations

from collections.abc import Iterable

from generator.rules.terms import TIERS
from generator.site.view import YearView

TERMS = ("整改", "整改清单", "上报名单", "差额", "认定", "逐级认定", "自评", "市级检查", "省级复核", "集团复核",
         "一票否决", "加分", "扣分", "基础分", "最终得分", "得分率", "名额", "需裁定", "认定结果", "已认定", "营业厅")


def search_words(views: Iterable[YearView]) -> list[str]:
    """Tier words, the standard's terms and sections, and every province, city and district of the years."""
    words = set(TIERS) | set(TERMS)
    for view in views:
        words.update(view.section_names)
        for hall in view.halls:
            words.update((hall.province or "", hall.city or "", hall.district or ""))
    return sorted(w for w in words if w and not w.isascii())


def places(views: Iterable[YearView]) -> dict[str, list[str]]:
    """Province → its cities over all years, for the province pages' search titles."""
    out: dict[str, set[str]] = {}
    for view in views:
        for hall in view.halls:
            out.setdefault(hall.province, set()).add(hall.city)
    return {p: sorted(c for c in cities if c) for p, cities in sorted(out.items())}
