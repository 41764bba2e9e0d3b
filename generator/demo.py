"""Demo data: a synthetic national register and returns filled the way inspectors fill them.

Deterministic for a given seed. The spread is set so that every tier appears and the quotas bite, with some
不适用, bonus and deduction events, a veto or two, second rounds, and a few faulty returns for the 数据质量 page.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TypedDict

from openpyxl import Workbook

from generator.rules import contract as wbk
from generator.rules.config import Config
from generator.rules.regions import PROVINCES
from generator.rules.register import Hall
from generator.rules.standard import Standard
from generator.workbooks.forms import build_workbook, template_path, write_templates

# A national shape: a few large provinces, many middle ones, a few small — so quotas bite and 优秀 places
# exist in several provinces (a province needs 20 evaluated halls for one 优秀 place).
_WEIGHTS = {"广东": 15, "江苏": 14, "山东": 13, "浙江": 13, "河南": 12, "四川": 12,
            "西藏": 1, "青海": 1, "宁夏": 1, "海南": 1, "新疆": 1}
_MIDDLE_WEIGHT = 3
_STREETS = ("人民路", "解放路", "中山路", "建设路", "新华路", "胜利路", "和平路", "文化路", "青年路", "长江路",
            "黄河路", "滨江路", "东风路", "友谊路", "朝阳路", "南京路", "北京路", "光明路")
_KINDS = ("旗舰厅", "中心营业厅", "营业厅", "营业厅", "营业厅", "社区营业厅")
_DISTRICTS = ("城区", "新区", "开发区", "高新区", "东区", "西区", "南区", "北区")
# What an inspector writes when an item loses points, by item.
_REASONS = {
    "A01": ("客户进厅后20秒无人问候", "引导员离岗"), "A02": ("柜员未使用规范用语", "接待时态度生硬"),
    "A03": ("未询问客户需求直接让其取号", "将宽带报装客户错引至自助区"), "A04": ("1名员工未佩戴工号牌", "员工未穿工装"),
    "A05": ("客户离厅时无送别", "2名客户离厅无送别用语"), "A06": ("老年客户未被优先引导",),
    "B01": ("叫号屏显示与窗口不一致",), "B02": ("等候7人超过10分钟未增开窗口",), "B03": ("饮水机无水", "无老花镜"),
    "B04": ("未告知等候时长",), "B05": ("当日平均等候22分钟",), "C01": ("抽查1笔工单未人像比对",),
    "C02": ("客户因缺少材料第二次到厅",), "C03": ("未说明合约期违约责任",), "C04": ("1份协议缺客户签字",),
    "C05": ("抽查10笔工单有1笔差错",), "C06": ("向老年客户推荐高价套餐",), "C07": ("新装号码办理用时25分钟",),
    "C08": ("员工在柜台玩手机", "暂停服务未摆放暂停牌"), "D01": ("咨询被转给他人且未跟进",),
    "D02": ("资费问题解答错误",), "D03": ("投诉台账登记不完整", "1件投诉超时未回访"), "D04": ("意见簿留言未回复",),
    "D05": ("在柜台前与激动客户争执",), "E01": ("门头灯箱一处不亮",), "E02": ("台面有杂物", "玻璃门有污渍"),
    "E03": ("发现过期宣传单页",), "E04": ("2台体验机价签错误",), "E05": ("后台纸箱外露",),
    "E06": ("灭火器已过期",), "F01": ("资费标准未公示",), "F02": ("自助终端故障无人协助",),
    "F03": ("爱心座椅被占用堆物",), "F04": ("证件复印件放在台面",),
}
_INSPECTORS = ("王伟", "李娜", "张敏", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周杰", "吴霞", "徐强", "孙悦")
ROUND_SELF, ROUND_CITY = wbk.ROUNDS[0], wbk.ROUNDS[1]


def make_register(count: int, seed: int) -> list[Hall]:
    """``count`` halls across all 31 provincial-level regions; levels 1-4 and some partner halls."""
    rng = random.Random(seed)
    weights = [_WEIGHTS.get(name, _MIDDLE_WEIGHT) for _, name, _ in PROVINCES]
    total = sum(weights)
    # Every region gets a share, then the rest goes by weight, so all 31 appear.
    shares = [max(1, count * w // total) for w in weights]
    while sum(shares) < count:
        shares[rng.choices(range(len(PROVINCES)), weights)[0]] += 1
    while sum(shares) > count:
        shares[shares.index(max(shares))] -= 1
    halls = []
    for (code, province, cities), share in zip(PROVINCES, shares):
        for n in range(share):
            city_no = rng.randrange(len(cities))
            city = cities[city_no]
            level = rng.choices((1, 2, 3, 4), (5, 25, 50, 20))[0]
            kind = "社会合作" if rng.random() < 0.06 else "自营"
            name = f"{city}{rng.choice(_STREETS)}{'合作' if kind == '社会合作' else ''}{rng.choice(_KINDS)}"
            halls.append(Hall(f"{code}{city_no + 1:02d}{n + 1:04d}", name, province, city,
                              f"{city}{rng.choice(_DISTRICTS)}", level, kind))
    return sorted(halls, key=lambda h: h.hall_id)


@dataclass(frozen=True)
class Fill:
    """What one inspector writes into one workbook."""

    round: str
    date: date
    inspector: str
    scores: dict[str, object]
    reasons: dict[str, str]
    events: dict[str, int]
    event_notes: dict[str, str]
    vetoes: dict[str, str]
    veto_notes: dict[str, str] = field(default_factory=dict)

# What one worker process writes: (standard, hall, year, fill, fault, path, created).
ReturnJob = tuple[Standard, Hall, int, Fill, str | None, Path, datetime]


def plan_fill(standard: Standard, hall: Hall, year: int, rng: random.Random, round_name: str = ROUND_SELF,
              quality: float | None = None) -> Fill:
    """Scores for one visit. ``quality`` is the chance that an item is done perfectly."""
    if quality is None:
        quality = rng.choice((0.99, 0.97, 0.95, 0.93, 0.9, 0.87, 0.84, 0.8, 0.75, 0.7, 0.6, 0.5))
    scores: dict[str, object] = {}
    reasons: dict[str, str] = {}
    for item in standard.items:
        if item.allow_na and rng.random() < 0.12:
            scores[item.id] = wbk.NOT_APPLICABLE
            continue
        if item.levels:  # a level-rated item: the top level, or one of the others with a reason
            if rng.random() < quality:
                scores[item.id] = item.levels[0].name
                continue
            scores[item.id] = rng.choice(item.levels[1:]).name
            reasons[item.id] = rng.choice(_REASONS.get(item.id, ("现场检查发现问题",)))
            continue
        if rng.random() < quality:
            scores[item.id] = float(item.max_points)
            continue
        lost = min(item.max_points, standard.score_step * rng.randint(1, 4))
        scores[item.id] = float(item.max_points - lost)
        reasons[item.id] = rng.choice(_REASONS.get(item.id, ("现场检查发现问题",)))
    events, notes = {}, {}
    for rule in standard.bonus:
        if rng.random() < 0.08:
            events[rule.id] = rng.randint(1, 2)
            notes[rule.id] = f"{rule.text}(示例)"
    for deduction in standard.deductions:
        if rng.random() < (0.1 if deduction.per_event <= 1 else 0.015):
            events[deduction.id] = 1
            notes[deduction.id] = f"{deduction.text}(示例)"
    vetoes = {v.id: wbk.NO for v in standard.vetoes}
    veto_notes: dict[str, str] = {}
    if rng.random() < 0.006 and standard.vetoes:
        veto = rng.choice(standard.vetoes)
        vetoes[veto.id] = wbk.YES
        veto_notes[veto.id] = f"{visit_month(year, rng)}发生:{veto.text}(示例)"
    visit = date(year, 3, 1) + timedelta(days=rng.randrange(200))
    return Fill(round_name, visit, rng.choice(_INSPECTORS), scores, reasons, events, notes, vetoes, veto_notes)


def visit_month(year: int, rng: random.Random) -> str:
    return f"{year} 年 {rng.randint(1, 6)} 月"


def apply_fill(wb: Workbook, standard: Standard, fill: Fill) -> None:
    """Type ``fill`` into a workbook made by :func:`generator.workbooks.forms.build_workbook`."""
    cover = wb[wbk.SHEET_COVER]
    rows = wbk.cover_rows()
    cover.cell(row=rows["检查轮次"], column=2, value=fill.round)
    cover.cell(row=rows["检查日期"], column=2, value=datetime(fill.date.year, fill.date.month, fill.date.day))
    cover.cell(row=rows["检查人"], column=2, value=fill.inspector)
    items = wb[wbk.SHEET_ITEMS]
    score_col = wbk.ITEMS_HEADERS.index("得分") + 1
    reason_col = wbk.ITEMS_HEADERS.index("扣分原因") + 1
    for item_id, row in wbk.item_rows(standard).items():
        items.cell(row=row, column=score_col).value = fill.scores.get(item_id)
        items.cell(row=row, column=reason_col).value = fill.reasons.get(item_id)
    # A standard without events or vetoes has no such sheet (forms leave out a sheet with nothing to fill).
    if wbk.SHEET_EVENTS in wb.sheetnames:
        events = wb[wbk.SHEET_EVENTS]
        count_col = wbk.EVENTS_HEADERS.index("次数") + 1
        note_col = wbk.EVENTS_HEADERS.index("说明") + 1
        for rule_id, row in wbk.event_rows(standard).items():
            events.cell(row=row, column=count_col).value = fill.events.get(rule_id, 0)
            events.cell(row=row, column=note_col).value = fill.event_notes.get(rule_id)
    if wbk.SHEET_VETO not in wb.sheetnames:
        return
    vetoes = wb[wbk.SHEET_VETO]
    answer_col = wbk.VETO_HEADERS.index("是否发生") + 1
    veto_note_col = wbk.VETO_HEADERS.index("说明") + 1
    for rule_id, row in wbk.veto_rows(standard).items():
        vetoes.cell(row=row, column=answer_col).value = fill.vetoes.get(rule_id, wbk.NO)
        vetoes.cell(row=row, column=veto_note_col).value = fill.veto_notes.get(rule_id)


# Faults a real return season brings; each is applied to one workbook.
FAULTS = ("score-text", "reason-missing", "score-blank", "wrong-hall", "out-of-range")


def _break(wb: Workbook, standard: Standard, fault: str) -> None:
    items = wb[wbk.SHEET_ITEMS]
    score_col = wbk.ITEMS_HEADERS.index("得分") + 1
    reason_col = wbk.ITEMS_HEADERS.index("扣分原因") + 1
    row = wbk.item_rows(standard)[standard.items[2].id]
    # Assign .value: ws.cell(..., value=None) would leave the old value in place.
    if fault == "score-text":
        items.cell(row=row, column=score_col).value = "满分"
    elif fault == "reason-missing":
        items.cell(row=row, column=score_col).value = 0
        items.cell(row=row, column=reason_col).value = None
    elif fault == "score-blank":
        items.cell(row=row, column=score_col).value = None
    elif fault == "out-of-range":
        items.cell(row=row, column=score_col).value = float(standard.items[2].max_points) + 1
    elif fault == "wrong-hall":
        wb[wbk.SHEET_COVER].cell(row=wbk.cover_rows()["厅编码"], column=2).value = "99999999"


def write_planned_return(job: ReturnJob) -> str:
    """Write one return as ``job`` says (a blank template filled, perhaps with a fault); its path."""
    standard, hall, year, fill, fault, path, created = job
    wb = build_workbook(standard, hall, year, created)
    if fill is not None:
        apply_fill(wb, standard, fill)
    if fault:
        _break(wb, standard, fault)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return str(path)


QUALITIES = (0.99, 0.98, 0.97, 0.95, 0.93, 0.9, 0.87, 0.84, 0.8, 0.75, 0.7, 0.6)
ROUND_PROVINCE = wbk.ROUNDS[2]


def _hall_quality(hall: Hall, seed: int, year: int, earlier: bool) -> float:
    """How well a hall serves this year; in the earlier year half the provinces did clearly worse (trends)."""
    quality = random.Random(f"{seed}-{hall.hall_id}").choice(QUALITIES)
    if earlier:
        quality -= 0.05 if int(hall.hall_id[:2]) % 2 else 0.01
    return max(0.3, quality)


def _when(year: int, month: int, rng: random.Random, span: int = 55) -> date:
    return date(year, month, 1) + timedelta(days=rng.randrange(span))


class DemoReturns(TypedDict):
    """What :func:`make_demo` made, and where."""

    templates: Path
    returns: Path
    return_count: int
    faulty: int


def make_demo(standard: Standard, halls: list[Hall], year: int, out: Path, seed: int, workers: int = 2,
              earlier: bool = False, subdir: str = "", city_share: float = 0.25) -> DemoReturns:
    """Write blank templates and filled returns for ``halls`` under ``out`` (``out/subdir``); return what was made.

    Every inspected hall sends its 自评 (March-April); ``city_share`` of them get a 市级检查 (May-July) that
    finds about what the hall found. ``earlier`` makes a previous year: no blank templates, lower quality in
    half the provinces.
    """
    rng = random.Random(seed + 1)
    created = datetime(year, 1, 1, tzinfo=UTC)
    base = out / subdir if subdir else out
    templates_dir, returns_dir = base / "templates", base / "returns"
    if not earlier:
        write_templates(halls, standard, templates_dir, year, created)  # the blank ones, as they are emailed
    jobs: list[ReturnJob] = []
    inspected = [h for h in halls if rng.random() < 0.96]  # a few halls never send a return
    faulty = {h.hall_id: FAULTS[n % len(FAULTS)] for n, h in enumerate(rng.sample(inspected, min(len(FAULTS), len(inspected))))}
    returns = 0
    late_self = None
    for hall in inspected:
        quality = _hall_quality(hall, seed, year, earlier)
        self_fill = replace(plan_fill(standard, hall, year, rng, quality=quality), date=_when(year, 3, rng))
        city = None
        if rng.random() < city_share:
            # A city inspection that finds about what the hall claimed for itself, a little less.
            city = replace(plan_fill(standard, hall, year, rng, ROUND_CITY, quality=max(0.3, quality - 0.01)),
                           date=_when(year, 5, rng, 80))
            if late_self is None and hall.hall_id not in faulty:
                late_self = hall.hall_id  # one 自评 sent after the city's visit: a warning on the data page
                self_fill = replace(self_fill, date=city.date + timedelta(days=9))
            jobs.append((standard, hall, year, city, None, template_path(returns_dir / ROUND_CITY, hall), created))
            returns += 1
        path = template_path(returns_dir / ROUND_SELF, hall)
        jobs.append((standard, hall, year, self_fill, faulty.get(hall.hall_id), path, created))
        returns += 1
    _write_all(jobs, workers)
    if not earlier:
        returns += _case_stories(standard, halls, year, jobs, faulty, returns_dir, created, seed)
    # The same return sent twice (superseded), a note and an office lock file attached by mistake.
    resent = next(j[5] for j in jobs if j[3].round == ROUND_SELF and j[4] is None)
    (returns_dir / "重复发送").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(resent, returns_dir / "重复发送" / Path(resent).name)
    (returns_dir / "说明.txt").write_text("请查收本市各厅的检查表。\n", encoding="utf-8")
    (returns_dir / f"~${halls[0].hall_id}.xlsx").write_bytes(b"")
    return {"templates": templates_dir, "returns": returns_dir, "return_count": returns, "faulty": len(faulty)}


def _case_stories(standard: Standard, halls: list[Hall], year: int, jobs: list[ReturnJob], faulty: dict[str, str],
                  returns_dir: Path, created: datetime, seed: int) -> int:
    """The hall's year as one case file, on the demo (standard.md, 案卷): a rejected 自评 corrected and sent again
    (已更正), a 市级检查 rejected and not yet sent again (待重报), a city veto a later 省级复核 did not repeat (it
    stands), and a partner hall's 市级检查 that arrived although the hall is 不参评. Returns how many files."""
    rng = random.Random(f"{seed}-{year}-案卷")
    by_round: dict[str, dict[str, ReturnJob]] = {}
    for job in jobs:
        by_round.setdefault(job[3].round, {})[job[1].hall_id] = job
    selfs, cities = by_round.get(ROUND_SELF, {}), by_round.get(ROUND_CITY, {})
    rated = Config(year=year).evaluated
    written: list[ReturnJob] = []
    # 已更正: the first faulty 自评 whose hall and round intake can read, sent again without the fault.
    fixable = [h for h in sorted(faulty) if faulty[h] != "wrong-hall" and h in selfs]
    if fixable:
        _, hall, _, fill, _, path, _ = selfs[fixable[0]]
        written.append((standard, hall, year, fill, None,
                        returns_dir / "更正" / f"{Path(path).stem}(更正){Path(path).suffix}", created))
    calm = [h for h in sorted(selfs) if h not in faulty and h not in cities and rated(selfs[h][1])]
    # 待重报: a city check sent back (a lost point without its reason) and not sent again yet.
    if calm:
        hall = selfs[calm[0]][1]
        fill = replace(plan_fill(standard, hall, year, rng, ROUND_CITY), date=_when(year, 6, rng))
        written.append((standard, hall, year, fill, "reason-missing", template_path(returns_dir / ROUND_CITY, hall),
                        created))
    # A city veto with its 说明, and a province review that did not tick it: the veto stands.
    checked = [h for h in sorted(cities) if h not in faulty and rated(cities[h][1])]
    if checked:
        _, hall, _, fill, _, path, _ = cities[checked[0]]
        veto = standard.vetoes[1] if len(standard.vetoes) > 1 else standard.vetoes[0]
        vetoed = replace(fill, vetoes={**fill.vetoes, veto.id: wbk.YES},
                         veto_notes={**fill.veto_notes, veto.id: f"{fill.date:%m 月 %d 日}现场发现:{veto.text}(示例)"})
        written.append((standard, hall, year, vetoed, None, path, created))
        review = replace(plan_fill(standard, hall, year, rng, ROUND_PROVINCE, quality=0.97), date=_when(year, 8, rng),
                         vetoes={v.id: wbk.NO for v in standard.vetoes}, veto_notes={})
        written.append((standard, hall, year, review, None, template_path(returns_dir / ROUND_PROVINCE, hall),
                        created))
    # A partner hall (不参评) whose city inspected it anyway: accepted, shown 不参评.
    partner = next((h for h in halls if h.type != "自营" and h.hall_id not in cities), None)
    if partner is not None:
        fill = replace(plan_fill(standard, partner, year, rng, ROUND_CITY), date=_when(year, 6, rng))
        written.append((standard, partner, year, fill, None, template_path(returns_dir / ROUND_CITY, partner),
                        created))
    _write_all(written, 1)
    return len(written)


def _write_all(jobs: list[ReturnJob], workers: int) -> None:
    if workers <= 1 or len(jobs) < 32:
        for job in jobs:
            write_planned_return(job)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(write_planned_return, jobs, chunksize=16))


def province_reviews(standard: Standard, halls: list[Hall], year: int, returns_dir: Path, nominees: Iterable[str],
                     seed: int,
                     workers: int = 2, earlier: bool = False) -> int:
    """省级复核 (August-September) of the halls the province put on its lists; returns how many were written."""
    by_id = {h.hall_id: h for h in halls}
    created = datetime(year, 1, 1, tzinfo=UTC)
    jobs: list[ReturnJob] = []
    for hall_id in sorted(set(nominees)):
        hall = by_id[hall_id]
        rng = random.Random(f"{seed}-{hall_id}-{year}-省级复核")
        fill = replace(plan_fill(standard, hall, year, rng, ROUND_PROVINCE,
                                 quality=_hall_quality(hall, seed, year, earlier)), date=_when(year, 8, rng))
        fill = replace(fill, vetoes={v.id: wbk.NO for v in standard.vetoes}, veto_notes={})
        jobs.append((standard, hall, year, fill, None, template_path(Path(returns_dir) / ROUND_PROVINCE, hall), created))
    _write_all(jobs, workers)
    return len(jobs)
