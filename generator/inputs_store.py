"""The archive is the record (standard.md): every input that made a year, kept in ``archive/<Y>/输入/``.

The returns (every entry found under the build's paths, mails and zips included) are stored once each by their
content (``输入/文件/<sha256>``, a hard link to the previous build's copy where it has one); ``输入/清单.json``
names each by the name the build reported it by, and the register, the year's configuration, the decisions file
and the answered lists likewise. The standard is the year's ``standard.yaml`` beside results.json.
:func:`verify_year` rebuilds the year from these alone in a temporary folder and compares results.json and the
issued lists byte for byte.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import HallscoreError
from .fsutil import file_sha256, write_chunks_atomic
from .why import why

FOLDER = "输入"
OBJECTS = "文件"
MANIFEST = "清单.json"
VERSION = 1


class VerifyError(HallscoreError):
    """The year's archive cannot be rebuilt (no inputs kept, a damaged manifest)."""


@dataclass(frozen=True)
class Inputs:
    """What one build read, as the build was given it."""

    returns: Sequence[Path]
    register: Path
    config: Path | None = None
    overrides: Path | None = None
    answers: Sequence[Path] = ()



def store_inputs(year_folder: Path, inputs: Inputs, previous: Path | None = None,
                 sha256_of: Callable[[Path], str] = file_sha256) -> None:
    """Keep ``inputs`` in ``year_folder/输入``: each content once, linked from ``previous`` (the year's folder as
    it stands) when it already holds it. ``sha256_of`` gives a file's SHA-256 (the incremental layer's knows those
    of unchanged files without reading them)."""
    from .decisions import decision_files
    from .entries import discover

    root = year_folder / FOLDER
    objects = root / OBJECTS
    objects.mkdir(parents=True, exist_ok=True)
    old = (previous / FOLDER / OBJECTS) if previous is not None else None

    def keep(path: Path) -> str | None:
        try:
            if path.is_symlink() or not path.is_file():
                return None  # a FIFO, a broken link: nothing to keep (the intake report names it)
            sha = sha256_of(path)
        except OSError:
            return None
        target = objects / sha
        if target.exists():
            return sha
        if old is not None and (old / sha).is_file() and not (old / sha).is_symlink():
            try:
                os.link(old / sha, target)
                return sha
            except OSError:
                pass
        shutil.copyfile(path, target)
        return sha

    def named(path: Path | None, name: str | None = None) -> list | None:
        if path is None:
            return None
        sha = keep(path)
        return [name or path.name, sha] if sha else None

    returns = [[name, sha] for path, name in discover(inputs.returns) if (sha := keep(path))]
    answers = [[p.name, sha] for p in decision_files(inputs.answers) if (sha := keep(p))]
    manifest = {
        "version": VERSION,
        "returns": returns,
        "register": named(inputs.register),
        "config": named(inputs.config),
        "overrides": named(inputs.overrides),
        "answers": sorted(answers),
    }
    text = json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=1) + "\n"
    write_chunks_atomic(root / MANIFEST, [text.encode("utf-8")],
                        (previous / FOLDER / MANIFEST) if previous is not None else None)


def _manifest(year_folder: Path) -> dict:
    path = year_folder / FOLDER / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise VerifyError(f"档案 {year_folder} 中没有保存输入({FOLDER}/{MANIFEST}):这一年是旧版本 hallscore 生成的,"
                          f"请用原来的输入重新 build 一次后再核对") from None
    except (OSError, ValueError) as exc:
        raise VerifyError(f"档案 {path} 无法读取({why(exc)}):输入清单已损坏") from None
    ok = (isinstance(data, dict) and data.get("version") == VERSION and isinstance(data.get("returns"), list)
          and isinstance(data.get("answers"), list) and _pair(data.get("register"))
          and all(_pair(x) for x in data["returns"] + data["answers"])
          and all(data.get(k) is None or _pair(data[k]) for k in ("config", "overrides")))
    if not ok:
        raise VerifyError(f"档案 {path} 不是 hallscore 写的输入清单,无法核对")
    return data


def _pair(value: object) -> bool:
    return (isinstance(value, list) and len(value) == 2 and all(isinstance(x, str) for x in value)
            and len(value[1]) == 64 and all(c in "0123456789abcdef" for c in value[1]))


def _safe_name(name: str) -> Path:
    parts = [p for p in name.split("/") if p not in ("", ".", "..")]
    if not parts:
        raise VerifyError(f"输入清单中的文件名“{name}”不可用")
    return Path(*parts)


def verify_year(archive: Path, year: int, workers: int = 1) -> list[str]:
    """Rebuild ``year`` from ``archive/<year>`` alone; the differences (empty when results.json and every issued
    list are the same bytes)."""
    from .build import BuildOptions, build
    from .config import Config, load_config
    from .decisions import FOLDER as LISTS
    from .results import RESULTS_FILE, STANDARD_FILE

    folder = Path(archive) / str(year)
    if not (folder / RESULTS_FILE).is_file():
        raise VerifyError(f"档案 {archive} 中没有 {year} 年的结果({year}/{RESULTS_FILE}):请核对 --archive 和 --year,"
                          f"或先用 hallscore build 生成该年度")
    data = _manifest(folder)
    objects = folder / FOLDER / OBJECTS
    differences: list[str] = []

    def source(pair: list) -> Path:
        path = objects / pair[1]
        if not path.is_file():
            raise VerifyError(f"档案 {folder} 缺少输入文件 {pair[0]}({FOLDER}/{OBJECTS}/{pair[1]}),无法核对")
        if file_sha256(path) != pair[1]:
            differences.append(f"输入 {pair[0]} 的内容与输入清单记录的校验码不符(档案中的 {FOLDER}/{OBJECTS}/{pair[1]}"
                               f" 被改动过)")
        return path

    with tempfile.TemporaryDirectory(prefix="hallscore-verify-") as tmp:
        work = Path(tmp)
        tops: set[Path] = set()
        for pair in data["returns"]:
            relative = _safe_name(pair[0])
            target = work / "returns" / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source(pair), target)
            tops.add(work / "returns" / relative.parts[0])
        answers = []
        for pair in data["answers"]:
            target = work / "answers" / pair[1][:16] / _safe_name(pair[0]).name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source(pair), target)
            answers.append(target)

        def copy(pair: list | None, where: str) -> Path | None:
            if pair is None:
                return None
            target = work / where / _safe_name(pair[0]).name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source(pair), target)
            return target

        register = copy(data["register"], "register")
        config_path = copy(data["config"], "config")
        overrides = copy(data["overrides"], "overrides")
        assert register is not None
        config = load_config(config_path, year) if config_path is not None else Config(year=year)
        standard = folder / STANDARD_FILE
        rebuilt = work / "archive"
        build(BuildOptions(tuple(sorted(tops)), register, rebuilt, config,
                           standard_path=standard if standard.is_file() else None, overrides_path=overrides,
                           decisions_paths=tuple(answers), workers=workers, config_path=config_path))
        new = rebuilt / str(year)
        differences += _compare_results(folder / RESULTS_FILE, new / RESULTS_FILE)
        differences += _compare_lists(folder / LISTS, new / LISTS)
    return differences


def _compare_results(kept: Path, made: Path) -> list[str]:
    a, b = kept.read_bytes(), made.read_bytes()
    if a == b:
        return []
    try:
        old, new = json.loads(a), json.loads(b)
    except ValueError:
        return ["results.json 与重建的结果不同(档案中的文件无法解析)"]
    out = []
    for key in sorted(set(old) | set(new)):
        if key == "halls":
            continue
        if old.get(key) != new.get(key):
            out.append(f"results.json 的 {key} 与重建的结果不同")
    halls_old = {h.get("hall_id"): h for h in old.get("halls", []) if isinstance(h, dict)}
    halls_new = {h.get("hall_id"): h for h in new.get("halls", []) if isinstance(h, dict)}
    for hall_id in sorted(set(halls_old) | set(halls_new), key=str):
        x, y = halls_old.get(hall_id), halls_new.get(hall_id)
        if x == y:
            continue
        if x is None or y is None:
            out.append(f"results.json:营业厅 {hall_id} {'只在重建的结果中' if x is None else '只在档案中'}")
            continue
        fields = sorted(k for k in set(x) | set(y) if x.get(k) != y.get(k))
        shown = ";".join(f"{k}:档案为 {_short(x.get(k))},重建为 {_short(y.get(k))}" for k in fields[:4])
        out.append(f"results.json:营业厅 {hall_id} 不同({shown}{'…' if len(fields) > 4 else ''})")
    return out or ["results.json 与重建的结果字节不同(内容相同,格式不同)"]


def _short(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "…"


def _lists(folder: Path) -> dict[str, bytes]:
    if not folder.is_dir():
        return {}
    return {p.name: p.read_bytes() for p in folder.iterdir()
            if p.is_file() and p.name.endswith("上报名单.xlsx") and not p.name.startswith(".")}


def _compare_lists(kept: Path, made: Path) -> list[str]:
    a, b = _lists(kept), _lists(made)
    out = []
    for name in sorted(set(a) | set(b)):
        if name not in b:
            out.append(f"上报名单 {name} 只在档案中,重建时没有签发")
        elif name not in a:
            out.append(f"上报名单 {name} 档案中没有,重建时签发了")
        elif a[name] != b[name]:
            out.append(f"上报名单 {name} 与重建时签发的不同")
    return out

