"""Workbooks inside a zip: attached to a return mail, or saved among the returns.

The templates go out to each city as one zip, so returns often come back the same way. Members are read with
bounds that do not trust the zip's own size fields (a member is read at most one byte past the file limit), names
are decoded as Chinese Windows tools write them (GBK when the UTF-8 flag is unset) and only ever shown, never
used as paths. Zips inside the zip, encrypted members and anything that is not a workbook are reported, not read.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from generator.intake.discover import OTHER_SUFFIXES, WORKBOOK_SUFFIXES
from generator.why import why
from generator.xlsx.container import DEFAULT_LIMITS

MAX_MEMBERS = 5_000  # a province's zip of every hall is ~1,000 workbooks
MAX_TOTAL_BYTES = 256 * 1024 * 1024  # what one zip may unpack to, in all (held in memory until stored)
_UNSAFE = re.compile(r'[\\:*?"<>|\x00-\x1f#]')


@dataclass
class Member:
    """One entry of the zip: a workbook's bytes (``data``), or why it was not read (``skipped``)."""

    name: str
    data: bytes | None = None
    skipped: str = ""  # a note for an ignored member
    size: int = 0  # bytes when too large to keep (the declared size, or the bound reached)


@dataclass
class ZipContents:
    members: list[Member] = field(default_factory=list)
    error: str = ""  # the zip as a whole could not be read


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's path as its writer meant it: UTF-8 when flagged, else the bytes as GBK (Windows' own
    "send to compressed folder" and WinRAR on Chinese Windows), else as zipfile decoded them."""
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            raw = name.encode("cp437")
        except UnicodeEncodeError:
            raw = b""
        for encoding in ("utf-8", "gb18030"):
            try:
                name = raw.decode(encoding) if raw else name
                break
            except UnicodeDecodeError:
                continue
    parts = [clean_name(p) for p in name.replace("\\", "/").split("/")]
    return "/".join(p for p in parts if p and p not in (".", ".."))


def clean_name(part: str) -> str:
    """One component of a name a sender's tool wrote (an attachment, a zip member), fit to show and to report by:
    characters Windows refuses in names, control characters and '#' (our mail-key separator) become '_'."""
    return _UNSAFE.sub("_", part).strip()


def read_zip(source: bytes | Path, max_file_bytes: int = DEFAULT_LIMITS.max_file_bytes) -> ZipContents:
    """Every member of the zip (bytes, or a file) in name order; workbooks with their bytes."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        return ZipContents(error=f"不是可读的 zip 压缩包({why(exc)})")
    contents = ZipContents()
    named = sorted(((member_name(info), info) for info in infos if not info.is_dir()), key=lambda ni: ni[0])
    total = 0
    for index, (name, info) in enumerate(named):
        name = name or f"成员{index + 1}"
        leaf = name.rpartition("/")[2]
        if index >= MAX_MEMBERS:
            contents.members.append(Member(name, skipped=f"压缩包成员超过 {MAX_MEMBERS} 个,其余未读取"))
            continue
        if name.startswith("__MACOSX/") or leaf.startswith(("._", "~$", ".~lock")):
            contents.members.append(Member(name, skipped="压缩工具或 Office 留下的临时文件"))
            continue
        if not leaf.lower().endswith(WORKBOOK_SUFFIXES + OTHER_SUFFIXES):  # other formats: intake explains
            kind = "压缩包中的压缩包,请解开后再发送" if leaf.lower().endswith((".zip", ".rar", ".7z")) else "不是检查表工作簿"
            contents.members.append(Member(name, skipped=kind))
            continue
        if info.flag_bits & 0x1:
            contents.members.append(Member(name, skipped="压缩包成员有密码,无法读取;请不加密码重新压缩或直接附上 .xlsx"))
            continue
        if total >= MAX_TOTAL_BYTES:
            contents.members.append(Member(name, skipped="压缩包解开后超过 256 MB,其余未读取;请分成几个压缩包发送"))
            continue
        try:
            with archive.open(info) as fh:  # read with our own bound: the size fields may lie
                body = fh.read(max_file_bytes + 1)
        except (zipfile.BadZipFile, NotImplementedError, OSError, ValueError, EOFError, RuntimeError) as exc:
            contents.members.append(Member(name, skipped=f"压缩包成员无法解开({why(exc)})"))
            continue
        total += len(body)
        if len(body) > max_file_bytes:
            contents.members.append(Member(name, size=max(info.file_size, len(body))))
        else:
            contents.members.append(Member(name, data=body))
    return contents
