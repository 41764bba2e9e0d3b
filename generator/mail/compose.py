"""The three kinds of message hallscore writes: templates to a city, problems back to a sender, reminders.

Inputs are plain data: contacts, halls, the intake report as its JSON dict (``validate --json`` or the
archive's intake.json), so these work from a saved report without rereading any workbook.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

from generator.intake.status import ACCEPTED, REJECTED, STATUSES, FileStatus, IntakeReport
from generator.mail.contacts import Contact
from generator.mail.send import Draft, MailError, address, draft_name, new_message, render
from generator.rules.config import Config
from generator.rules.contract import ROUNDS
from generator.rules.problems import Problem
from generator.rules.register import Hall
from generator.why import why
from generator.workbooks.forms import safe_name
from generator.workbooks.problem_report import build_report

Contacts = Mapping[tuple[str, str], Contact]  # by (省, 市)
CHINA = timezone(timedelta(hours=8))
XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def at_nine(day: date) -> datetime:
    """A message date that depends on the day only, so that reruns on the same day give the same bytes."""
    return datetime.combine(day, time(9, 0), CHINA)


def city_zip(templates_dir: str | Path, province: str, city: str) -> Path:
    """Where ``hallscore templates --zip`` puts a city's zip."""
    return Path(templates_dir) / safe_name(province) / f"{safe_name(city)}.zip"


def template_drafts(contacts: Contacts, templates_dir: str | Path, year: int, sender: str, deadline: str = "",
                    halls: Iterable[Hall] | None = None, when: datetime | None = None,
                    body_template: str | Path | None = None) -> list[Draft]:
    """One message per contact city with that city's zip; every missing zip is named before any is written."""
    counts: dict[tuple[str, str], int] = {}
    for hall in halls or ():
        counts[(hall.province, hall.city)] = counts.get((hall.province, hall.city), 0) + 1
    missing = [str(city_zip(templates_dir, p, c)) for p, c in contacts if not city_zip(templates_dir, p, c).is_file()]
    if missing:
        shown = missing[:30] + ([f"……另有 {len(missing) - 30} 个"] if len(missing) > 30 else [])
        raise MailError("检查表目录中缺少以下市的 zip 包(请先运行 hallscore templates --zip):\n  - "
                        + "\n  - ".join(shown))
    drafts = []
    for (province, city), contact in contacts.items():
        path = city_zip(templates_dir, province, city)
        data = path.read_bytes()
        try:
            with zipfile.ZipFile(path) as zf:
                members = [i for i in zf.infolist() if i.filename.lower().endswith(".xlsx")]
                stamp = (datetime(*members[0].date_time, tzinfo=UTC).astimezone(CHINA) if members else None)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise MailError(f"zip 包 {path} 无法读取:{why(exc)}") from exc
        filename = f"{year}年营业厅服务评价检查表_{province}{city}.zip"
        subject, body = render(body_template, "templates.txt.j2", year=year, province=province, city=city,
                               contact=contact.name, deadline=deadline, rounds=ROUNDS, attachment=filename,
                               halls_count=counts.get((province, city), len(members)))
        # Default date: when the templates were made (their zip entries' time), stable across reruns.
        sent_at = when or stamp or at_nine(date(year, 1, 1))
        msg = new_message("templates", (year, province, city), sender, [address(contact.name, a) for a in contact.to],
                          list(contact.cc), subject, body, sent_at, [(filename, data, "application", "zip")])
        drafts.append(Draft(draft_name(province, city), msg))
    return drafts


class ReportFormError(ValueError):
    """A JSON that is not an intake report as hallscore writes it; the message says which entry, in Chinese."""


_FILE_TEXTS = ("path", "status", "hall_id", "round", "note", "corrected_by")
_PROBLEM_TEXTS = ("code", "severity", "message", "file", "sheet", "cell")
_MAIL_TEXTS = ("mail", "message_id", "sender", "date", "subject", "digest", "reply_to", "references")


def _texts(entry: object, known: tuple[str, ...], required: tuple[str, ...], where: str) -> dict[str, str]:
    """``entry`` as a dict of text fields: an object, no field outside ``known``, ``required`` ones present."""
    if not isinstance(entry, dict):
        raise ReportFormError(f"{where}不是一个对象")
    foreign = sorted(str(k) for k in entry if k not in known)
    if foreign:
        raise ReportFormError(f"{where}有校验结果中没有的字段 {'、'.join(foreign[:5])}")
    missing = [k for k in required if k not in entry]
    if missing:
        raise ReportFormError(f"{where}缺少字段 {'、'.join(missing)}")
    for key, value in entry.items():
        if not isinstance(value, str):
            raise ReportFormError(f"{where}的字段 {key} 应为文字")
    return entry


def report_from_dict(intake: Mapping[str, object]) -> IntakeReport:
    """An intake report back from its JSON form (enough for the 问题清单 and for mail), checked entry by entry:
    a hand-edited or foreign JSON raises :class:`ReportFormError` naming the entry, never a Python error."""
    entries = intake.get("files") if isinstance(intake, dict) else None
    if not isinstance(entries, list):
        raise ReportFormError("没有文件列表 files")
    files = []
    for n, f in enumerate(entries, 1):
        where = f"files 第 {n} 项"
        if not isinstance(f, dict):
            raise ReportFormError(f"{where}不是一个对象")
        texts = _texts({k: v for k, v in f.items() if k not in ("problems", "mail")}, _FILE_TEXTS,
                       ("path", "status"), where)
        if texts["status"] not in STATUSES:
            raise ReportFormError(f"{where}的状态 status“{texts['status'][:40]}”不是 {'、'.join(STATUSES)} 之一")
        problems = f.get("problems", [])
        if not isinstance(problems, list):
            raise ReportFormError(f"{where}的问题列表(problems)不是列表")
        status = FileStatus(texts["path"], texts["status"], texts.get("hall_id", ""), texts.get("round", ""),
                            [Problem(**_texts(p, _PROBLEM_TEXTS, ("code", "severity", "message"),
                                              f"{where}的问题第 {m} 条")) for m, p in enumerate(problems, 1)],
                            texts.get("note", ""))
        status.mail = _texts(f.get("mail") or {}, _MAIL_TEXTS, (), f"{where}的邮件来源(mail)")
        status.corrected_by = texts.get("corrected_by", "")
        files.append(status)
    return IntakeReport(files, [])


@dataclass
class ProblemReplies:
    """What ``mail problems`` makes of an intake report: the replies, and everything it will not answer."""

    drafts: list[Draft] = field(default_factory=list)
    unmailed: list[str] = field(default_factory=list)  # rejected files that came from no mail
    by_hand: list[tuple[str, str]] = field(default_factory=list)  # (sender, why): the manager answers these
    closed: list[str] = field(default_factory=list)  # rejected once, corrected since (intake's corrected_by)


def problem_drafts(intake: Mapping[str, object], sender: str, halls: Iterable[Hall] = (), deadline: str = "",
                   when: datetime | None = None, body_template: str | Path | None = None,
                   contacts: Contacts | None = None) -> ProblemReplies:
    """A reply to every message with an open rejected return, to its sender when the contacts list has them.

    One reply per message (grouped by what the message is, not by the Message-ID it claims); its Message-ID is
    made of that message and the problems, so a renamed or re-exported mailbox gives the same reply, which the
    sent log then skips. A rejection the intake found corrected (superseded, ``corrected_by``) gets no reply.
    """
    report = report_from_dict(intake)
    own = _addr(sender)
    known = _known_addresses(contacts or {})
    result = ProblemReplies()
    by_mail, accepted_by_mail = _group_by_message(report, result)
    for key, files in sorted(by_mail.items()):
        mail = files[0].mail
        message_id = mail.get("message_id", "")
        recipients, reason = _reply_recipients(mail, own, known)
        if not recipients:
            result.by_hand.append((mail.get("sender", "") or "(未知)", reason))
            continue
        entries = [{"name": "本邮件" if f.path == _mail_part(f) else _attachment(f), "path": f.path,
                    "hall_id": f.hall_id,
                    "problems": [{"where": " ".join(x for x in (p.sheet, p.cell) if x), "message": p.message,
                                  "code": p.code} for p in f.problems if p.severity == "error"]} for f in files]
        original = _mail_date(mail.get("date", ""))
        subject, body = render(body_template, "problems.txt.j2", subject=_strip_re(mail.get("subject", "")),
                               date=original.strftime("%Y-%m-%d %H:%M") if original else "", files=entries,
                               deadline=deadline, name=recipients[0][0],
                               accepted=sorted(accepted_by_mail.get(key, [])))
        moment = when or at_nine(date.today())
        sheet = build_report(IntakeReport(files, []), halls, moment.year)  # dated by the mail's year
        references = " ".join(x for x in (mail.get("references", ""), message_id) if x)
        answered = sorted((e["name"], f.hall_id, p.code, p.sheet, p.cell)
                          for e, f in zip(entries, files) for p in f.problems)
        msg = new_message("problems", (key, *answered), sender, [address(n, a) for n, a in recipients], [],
                          subject, body, moment, [("问题清单.xlsx", sheet, *XLSX)],
                          keyed_attachments=False)  # the sheet names the files by path: a rename is no new reply
        if message_id:  # threaded under the message it answers (a mail without one is answered all the same)
            msg["In-Reply-To"] = message_id
            msg["References"] = references
        result.drafts.append(Draft(draft_name("退回", recipients[0][1], key[:16]), msg))
    return result


def _group_by_message(report: IntakeReport,
                      result: ProblemReplies) -> tuple[dict[str, list[FileStatus]], dict[str, list[str]]]:
    """The open rejections by the message they came from, and each message's accepted attachments; the
    corrected and the unmailed files go into ``result``."""
    by_mail: dict[str, list[FileStatus]] = {}
    accepted_by_mail: dict[str, list[str]] = {}
    for f in report.files:
        key = _message_key(f.mail)
        if f.status == ACCEPTED and key:
            accepted_by_mail.setdefault(key, []).append(_attachment(f))
        if f.corrected_by:  # intake says the correction came: no more complaints about the old file
            result.closed.append(f.path)
        if f.status != REJECTED:  # only open rejections are answered (intake settles which are open)
            continue
        if key:
            by_mail.setdefault(key, []).append(f)
        else:
            result.unmailed.append(f.path)
    return by_mail, accepted_by_mail


def _known_addresses(contacts: Contacts) -> dict[str, str]:
    """The contacts' 邮箱 addresses (lower case), with the name to greet each by. The 抄送 addresses are the
    managers kept informed, not the people who fill the workbooks: they are not answered."""
    known: dict[str, str] = {}
    for contact in contacts.values():
        for n, addr in enumerate(contact.to):  # the row's name belongs to its first address
            known.setdefault(addr.lower(), contact.name if n == 0 else "")
    return known


def _reply_recipients(mail: Mapping[str, str], own: str, known: dict[str, str]) -> tuple[list[tuple[str, str]], str]:
    """Who the reply goes to, as (display name, address), or nobody and why.

    The sender must be in the contacts list; a Reply-To is followed only to addresses that are in it too;
    the configured --from is never answered (that is a loop through hallscore's own mail)."""
    found = getaddresses([mail.get("sender", "")])
    if len(found) != 1 or not found[0][1]:
        return [], "发件人地址无法识别"
    addr = found[0][1].lower()
    if addr == own:
        return [], "发件人是本系统的发件地址 --from,不回复"
    if addr not in known:
        return [], "发件人不在联系人清单的“邮箱”列中(抄送的管理人员和其他人不自动回复),请人工核实后回复"
    targets = [a.lower() for _, a in getaddresses([mail.get("reply_to", "")]) if a]
    chosen = sorted({a for a in targets if a in known and a != own}) or [addr]
    return [(known[a], a) for a in chosen], ""


def _addr(text: str) -> str:
    found = getaddresses([text])
    return found[0][1].lower() if found else ""


def _message_key(mail: Mapping[str, str]) -> str:
    """What identifies the message a status came from: its digest (older reports: the Message-ID)."""
    if not mail:
        return ""
    return str(mail.get("digest") or mail.get("message_id") or "")  # a mail without Message-ID is still one


def _attachment(status: FileStatus) -> str:
    """A file's name within its message: stable when the mailbox file is renamed."""
    return status.path.rpartition("/")[2]


def reminder_drafts(intake: Mapping[str, object], halls: Iterable[Hall], contacts: Contacts, year: int, sender: str, deadline: str = "",
                    when: datetime | None = None, body_template: str | Path | None = None,
                    rated: Callable[[Hall], bool] | None = None) -> list[Draft]:
    """Per city, the rated halls still owing a return: none accepted yet, or 待重报 (their highest round exists
    only as an open rejection); cities with everything in get nothing. ``rated`` (the year's Config.evaluated
    by default) keeps 不参评 halls out: they are never chased."""
    rated = rated or Config(year=year).evaluated
    order = {r: n for n, r in enumerate(ROUNDS)}
    top: dict[str, int] = {}  # hall → its highest accepted round
    open_rounds: dict[str, dict[int, str]] = {}  # hall → {round: file} of open rejections
    for f in report_from_dict(intake).files:
        if f.status == ACCEPTED:
            top[f.hall_id] = max(top.get(f.hall_id, -1), order.get(f.round, -1))
        elif f.status == REJECTED and f.hall_id:
            open_rounds.setdefault(f.hall_id, {})[order.get(f.round, -1)] = f.path

    def owing(hall: Hall) -> str | None:
        """Why the hall is chased ("" for no return at all), or None."""
        best = top.get(hall.hall_id)
        above = {n: path for n, path in open_rounds.get(hall.hall_id, {}).items() if best is None or n > best}
        if above:
            n = max(above)
            said = f"{ROUNDS[n]}的检查表" if n >= 0 else "检查表"
            return f"{said}已退回待重报({above[n].rpartition('/')[2]})"
        return "" if best is None else None

    by_city: dict[tuple[str, str], list[Hall]] = {}
    for hall in halls:
        if rated(hall):
            by_city.setdefault((hall.province, hall.city), []).append(hall)
    drafts = []
    for key in sorted(by_city):
        lacking = [(h, why) for h in by_city[key] if (why := owing(h)) is not None]
        contact = contacts.get(key)
        if not lacking or contact is None:
            continue
        rows = [{"hall_id": h.hall_id, "name": h.name, "district": h.district, "state": why} for h, why in lacking]
        subject, body = render(body_template, "reminders.txt.j2", year=year, province=key[0], city=key[1],
                               contact=contact.name, expected=len(by_city[key]), halls=rows, deadline=deadline)
        msg = new_message("reminders", (year, *key, *[h.hall_id for h, _ in lacking]), sender,
                          [address(contact.name, a) for a in contact.to], list(contact.cc), subject, body,
                          when or at_nine(date.today()))
        drafts.append(Draft(draft_name("催报", *key), msg))
    return drafts


def _mail_part(status: FileStatus) -> str:
    """The name of a status that stands for a whole message (no workbook in it)."""
    return status.path if any(p.code.startswith("mail-") for p in status.problems) else ""


def _strip_re(subject: str) -> str:
    while subject[:3].lower() in ("re:", "re:") or subject[:3] in ("回复:", "回复:"):
        subject = subject[3:].lstrip()
    return subject


def _mail_date(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        try:
            return parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
