"""What validate, build and demo print: the files' fates, the year's tiers and recognitions, and progress.

stdout keeps only the results, so scripts that read it see the same lines; progress goes to stderr.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Protocol

import click

from generator.build_summary import BuildSummary
from generator.evaluate.year import Tally
from generator.intake.run import IGNORED, REJECTED, STATUS_LABELS, STATUSES, FileStatus, IntakeReport
from generator.rules.problems import CATALOGUE
from generator.rules.terms import LEVELS, TIERS

STAGE_LABELS = {"intake": "读取并校验检查表", "scoring": "评分定级", "archive": "写入档案", "site": "生成站点",
                "load": "载入标准和清单"}

ANSWER_STATUS = {"applied": "已采用", "set-aside": "未采用(名单已改变)", "replaced": "未采用(已被更新的答复取代)",
                 "empty": "未采用(未填写)"}


class Bar(Protocol):
    """What :class:`Progress` uses of the bar ``click.progressbar`` makes."""

    def update(self, n_steps: int) -> None: ...

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 trace: TracebackType | None) -> None: ...


class Progress:
    """Progress on stderr: a bar for stages that count their steps, a line for the others; silent off a terminal.

    stdout keeps only the results, so scripts that read it see the same lines as before.
    """

    def __init__(self) -> None:
        self.bar: Bar | None = None
        self.stage: str | None = None
        self.err = sys.stderr

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if stage != self.stage:
            self.close()
            self.stage = stage
            if total is None:
                if self.err.isatty():
                    click.echo(f"{STAGE_LABELS.get(stage, stage)}…", err=True)
                return
            bar = click.progressbar(length=total, label=STAGE_LABELS.get(stage, stage), file=self.err,
                                    show_pos=True, show_eta=True)
            self.bar = bar.__enter__()
        if self.bar is not None and done:
            self.bar.update(done)

    def close(self) -> None:
        """End the current stage's bar, if it has one."""
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def own_files(report: IntakeReport) -> list[FileStatus]:
    """hallscore's own mail and lists found among the returns (listed as ignored)."""
    return [f for f in report.files if f.status == IGNORED and "hallscore" in f.note and "发出的" in f.note]


def print_intake(report: IntakeReport, details: bool) -> None:
    """The files' fates in one line, the commonest problems, and with ``details`` every rejected file's."""
    counts = report.counts
    click.echo(f"共 {len(report.files)} 个文件:" + ",".join(f"{STATUS_LABELS[s]} {counts[s]}" for s in STATUSES))
    own = own_files(report)
    if own:  # said plainly: hallscore's own mail and lists are neither returns nor answered
        click.echo(f"其中 {len(own)} 项是 hallscore 自己发出的邮件或文件(如抄送给管理员的下发邮件、问题清单),"
                   "已列为已忽略,不作校验,也不会回复。")
    common = report.problem_counts()[:5]
    if common:
        click.echo("最常见的问题:" + ";".join(f"{CATALOGUE[c].title}({c})× {n}" for c, n in common))
    if details:
        _print_rejected([f for f in report.files if f.status == REJECTED])
        _print_corrected([f for f in report.files if f.corrected_by])


def _print_rejected(rejected: Sequence[FileStatus]) -> None:
    if not rejected:
        return
    click.echo("\n退回的文件:")
    click.echo(f"  {'文件':40}  {'厅编码':10}  {'错误数':>4}  首个问题")
    for f in rejected:
        errors = [p for p in f.problems if p.severity == "error"]
        first = f"{errors[0].code} {errors[0].sheet}{errors[0].cell}".strip() if errors else ""
        click.echo(f"  {f.path:40}  {f.hall_id or '-':10}  {len(errors):>4}  {first}")
    for f in rejected:
        click.echo(f"\n✗ {f.path}")
        for p in f.problems:
            where = " ".join(x for x in (p.sheet, p.cell) if x)
            click.echo(f"  [{p.code}] {where + ':' if where else ''}{p.message}")


def _print_corrected(corrected: Sequence[FileStatus]) -> None:
    if not corrected:
        return
    click.echo(f"\n已更正的退回文件 {len(corrected)} 个(同一厅同一轮次的更正已接收,不再计为退回):")
    for f in corrected:
        click.echo(f"  {f.path}  → {f.corrected_by}")


def answer_lines(answers: Sequence[Mapping[str, object]], filled_in_archive: Sequence[str]) -> list[str]:
    """What the build did with each answered list it read (逐级认定): one line each, in Chinese."""
    lines = [f"读取上报名单答复 {len(answers)} 份:" if answers else "本次没有交回上报名单答复(--decisions)"]
    for a in answers:
        counts = f"认定 {a['recognised']} 个 / 不认定 {a['refused']} 个"
        why = f";{a['why']}" if a.get("why") else ""
        status = str(a["status"])
        lines.append(f"  {a['file']}({a['scope']}{a['tier']}名单,{a['level']}公司,{a['date'] or '无日期'}):"
                     f"{ANSWER_STATUS.get(status, status)},{counts}{why}")
    for name in filled_in_archive:
        lines.append(f"  档案目录中的 {name} 已填写认定结果,但不会被采用:请把它复制到档案目录之外,"
                     f"用 --decisions 交回")
    return lines


def print_build(summary: BuildSummary) -> None:
    """What one build did: the files, the year's tiers and recognitions, the answers, time, where it wrote."""
    print_intake(summary.intake, details=False)
    _print_year(summary.year, summary.tally)
    for line in answer_lines(summary.answers, summary.filled_in_archive):
        click.echo(line)
    times = ",".join(f"{STAGE_LABELS.get(k, k)} {v:.1f} 秒" for k, v in summary.seconds.items())
    click.echo(f"用时:{times}(合计 {sum(summary.seconds.values()):.1f} 秒)")
    intake_s = summary.seconds.get("intake", 0.0)
    rate = f",{summary.files_read / intake_s:.0f} 份/秒" if summary.files_read and intake_s > 0 else ""
    click.echo(f"检查表:新读取 {summary.files_read} 份,缓存命中 {summary.cache_hits} 份"
               f"({summary.workers} 个进程{rate})" + (f";站点 {summary.pages} 个页面" if summary.pages else "")
               + (",输入未变,沿用上次生成的站点" if summary.site_reused else ""))
    click.echo(f"档案:{(summary.archive_dir / str(summary.year) / 'results.json').resolve()}")
    if summary.site_dir is not None:
        click.echo(f"站点:{(summary.site_dir / 'index.html').resolve()}")


def _print_year(year: int, tally: Tally) -> None:
    order = {t: n for n, t in enumerate(TIERS)}
    click.echo(f"{year} 年:{tally.halls} 个营业厅," + ",".join(
        f"{t} {n}" for t, n in sorted(tally.tiers.items(), key=lambda kv: (order.get(kv[0], 99), kv[0]))))
    if tally.claims:
        click.echo("另有未排名、不占名额的申报(只有自评,或市级检查待重报):" +
                   ",".join(f"{t} {tally.claims[t]}" for t in TIERS if t in tally.claims))
    click.echo(f"逐级认定:已认定 {tally.recognised} 个;" + (",".join(
        f"待{level}认定 {tally.waiting[level]}" for level in LEVELS if level in tally.waiting) or "无待认定"))
