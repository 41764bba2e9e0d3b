"""``hallscore verify``: the archive is the record (standard.md). A year is rebuilt from the inputs kept in
``archive/<Y>/输入/`` alone, in a temporary folder, and its results.json and issued lists are compared with the
archived ones byte for byte.

It sits above build (it runs one); the store of inputs it reads (``archive/inputs.py``) stays below it.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from generator.archive.inputs import FOLDER, OBJECTS, Manifest, StoredFile, VerifyError, read_manifest
from generator.archive.store import RESULTS_FILE, STANDARD_FILE
from generator.build import BuildOptions, build
from generator.evaluate.decisions import FOLDER as LISTS
from generator.fs.files import file_sha256
from generator.rules.config import Config, load_config


def verify_year(archive: Path, year: int, workers: int = 1) -> list[str]:
    """Rebuild ``year`` from ``archive/<year>`` alone; the differences (empty when results.json and every issued
    list are the same bytes)."""
    folder = Path(archive) / str(year)
    if not (folder / RESULTS_FILE).is_file():
        raise VerifyError(f"档案 {archive} 中没有 {year} 年的结果({year}/{RESULTS_FILE}):请核对 --archive 和 --year,"
                          f"或先用 hallscore build 生成该年度")
    manifest = read_manifest(folder)
    with tempfile.TemporaryDirectory(prefix="hallscore-verify-") as tmp:
        restored = _Restored(folder, Path(tmp))
        options = restored.build_options(manifest, year, workers)
        build(options)
        new = options.archive_dir / str(year)
        differences = restored.differences
        differences += compare_results(folder / RESULTS_FILE, new / RESULTS_FILE)
        differences += compare_lists(folder / LISTS, new / LISTS)
    return differences


@dataclass
class _Restored:
    """The kept inputs of the year in ``folder`` copied out under ``work`` by their names, as a build reads them;
    a kept file whose content no longer matches its checksum is noted in ``differences``."""

    folder: Path
    work: Path
    differences: list[str] = field(default_factory=list)

    def source(self, kept: StoredFile) -> Path:
        path = self.folder / FOLDER / OBJECTS / kept[1]
        if not path.is_file():
            raise VerifyError(f"档案 {self.folder} 缺少输入文件 {kept[0]}({FOLDER}/{OBJECTS}/{kept[1]}),无法核对")
        if file_sha256(path) != kept[1]:
            self.differences.append(f"输入 {kept[0]} 的内容与输入清单记录的校验码不符(档案中的 {FOLDER}/{OBJECTS}/"
                                    f"{kept[1]} 被改动过)")
        return path

    def copy(self, kept: StoredFile, target: Path) -> Path:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.source(kept), target)
        return target

    def copy_one(self, kept: StoredFile | None, where: str) -> Path | None:
        if kept is None:
            return None
        return self.copy(kept, self.work / where / safe_name(kept[0]).name)

    def build_options(self, manifest: Manifest, year: int, workers: int) -> BuildOptions:
        """Copy every kept input out (in the manifest's order) and say the build that remakes the year."""
        tops: set[Path] = set()
        for kept in manifest["returns"]:
            relative = safe_name(kept[0])
            self.copy(kept, self.work / "returns" / relative)
            tops.add(self.work / "returns" / relative.parts[0])
        answers = [self.copy(kept, self.work / "answers" / kept[1][:16] / safe_name(kept[0]).name)
                   for kept in manifest["answers"]]
        register = self.copy(manifest["register"], self.work / "register" / safe_name(manifest["register"][0]).name)
        config_path = self.copy_one(manifest["config"], "config")
        overrides = self.copy_one(manifest["overrides"], "overrides")
        config = load_config(config_path, year) if config_path is not None else Config(year=year)
        standard = self.folder / STANDARD_FILE
        return BuildOptions(tuple(sorted(tops)), register, self.work / "archive", config,
                            standard_path=standard if standard.is_file() else None, overrides_path=overrides,
                            decisions_paths=tuple(answers), workers=workers, config_path=config_path)


def safe_name(name: str) -> Path:
    """A kept input's recorded name as a relative path that stays inside the folder it is copied to."""
    parts = [p for p in name.split("/") if p not in ("", ".", "..")]
    if not parts:
        raise VerifyError(f"输入清单中的文件名“{name}”不可用")
    return Path(*parts)


def compare_results(kept: Path, made: Path) -> list[str]:
    """How the rebuilt results.json differs from the archived one, hall by hall (empty when the bytes agree)."""
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


def compare_lists(kept: Path, made: Path) -> list[str]:
    """Which issued lists the rebuild did not issue, issued anew, or issued with other bytes."""
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
