"""The package's structure (tools/imports.py --check) and the import picture in docs/architecture.md.

The checker itself is tested on small packages written to tmp_path, so that a clean report of the real package
means the checks ran, not that they cannot find anything."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parent.parent
TOOL = REPO / "tools" / "imports.py"
DOC = REPO / "docs" / "architecture.md"


def load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("imports_tool", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def run_tool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)], capture_output=True, text=True,
                          cwd=REPO, timeout=120)


def write_package(root: Path, files: dict[str, str]) -> Path:
    package = root / "pkg"
    for name, text in {"__init__.py": "", **files}.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return package


def findings(package: Path) -> list[str]:
    result = run_tool("--check", "--package", package)
    lines = result.stdout.splitlines()
    assert lines and lines[-1].startswith(f"{len(lines) - 1} findings"), result.stdout + result.stderr
    assert result.returncode == (1 if len(lines) > 1 else 0)
    return lines[:-1]


def test_the_package_passes_the_structural_check() -> None:
    result = run_tool("--check")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr


def test_the_import_picture_in_the_architecture_doc_is_the_one_the_tool_draws() -> None:
    drawn = run_tool()
    assert drawn.returncode == 0, drawn.stderr
    in_doc = load_tool().doc_block(DOC.read_text(encoding="utf-8"))
    assert in_doc is not None, f"{DOC} has no picture between the markers"
    assert in_doc == drawn.stdout, "the picture is stale: run python tools/imports.py --write"


def test_a_clean_package_passes(tmp_path: Path) -> None:
    package = write_package(tmp_path, {
        "base.py": "VALUE = 1\n",
        "top.py": """\
            from typing import TYPE_CHECKING

            from .base import VALUE

            if TYPE_CHECKING:
                from .base import VALUE as SAME


            def double() -> int:
                return VALUE * 2
            """,
    })
    assert findings(package) == []


def test_a_module_circle_is_found_also_through_type_checking(tmp_path: Path) -> None:
    package = write_package(tmp_path, {
        "a.py": "from .b import B\n\nA = 1\n",
        "b.py": "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from .a import A\nB = 2\n",
    })
    found = findings(package)
    assert any(line.startswith(f"{package / 'a.py'}:1: module-circle") for line in found), found
    assert any(line.startswith(f"{package / 'b.py'}:4: module-circle") for line in found), found


def test_a_circle_between_subpackages_is_found_without_a_module_circle(tmp_path: Path) -> None:
    package = write_package(tmp_path, {
        "low/__init__.py": "",
        "low/a.py": "from ..high.b import B\n",
        "low/c.py": "C = 3\n",
        "high/__init__.py": "",
        "high/b.py": "from ..low.c import C\nB = C\n",
    })
    found = findings(package)
    assert not any("module-circle" in line for line in found), found
    assert any(line.startswith(f"{package / 'low' / 'a.py'}:1: room-circle") for line in found), found
    assert any(line.startswith(f"{package / 'high' / 'b.py'}:1: room-circle") for line in found), found


def test_an_import_inside_a_function_is_found(tmp_path: Path) -> None:
    package = write_package(tmp_path, {
        "late.py": "def load() -> object:\n    def inner() -> object:\n        import json\n        return json\n"
                   "    return inner()\n",
    })
    found = findings(package)
    assert len(found) == 1 and found[0].startswith(f"{package / 'late.py'}:3: function-import"), found
    assert "inner()" in found[0]


def test_a_private_name_from_another_module_is_found(tmp_path: Path) -> None:
    package = write_package(tmp_path, {
        "owner.py": "def _hidden() -> int:\n    return 1\n\n\nX = _hidden()\n",
        "by_name.py": "from .owner import _hidden\n",
        "by_attribute.py": "from . import owner\n\nY = owner._hidden()\nZ = getattr(owner, '_hidden')\n",
        "by_path.py": "import pkg.owner\n\nW = pkg.owner._hidden()\n",
        "own.py": "def _mine() -> int:\n    return 2\n\n\nV = _mine()\n",
    })
    found = findings(package)
    assert [line.split(": ")[0:2] for line in found] == [
        [f"{package / 'by_attribute.py'}:3", "private-name"],
        [f"{package / 'by_attribute.py'}:4", "private-name"],
        [f"{package / 'by_name.py'}:1", "private-name"],
        [f"{package / 'by_path.py'}:3", "private-name"],
    ], found


@pytest.mark.parametrize("body_lines, flagged", [(48, False), (49, True)])
def test_a_function_over_fifty_lines_is_found(tmp_path: Path, body_lines: int, flagged: bool) -> None:
    # def line + docstring + body_lines: 50 lines is the most allowed.
    body = "".join(f"    x{n} = {n}\n" for n in range(body_lines))
    package = write_package(tmp_path, {"long.py": f'def long() -> None:\n    """Doc."""\n{body}'})
    found = findings(package)
    assert found == ([f"{package / 'long.py'}:1: long-function: long() is 51 lines (at most 50)"] if flagged else [])


def test_a_module_over_four_hundred_lines_is_found(tmp_path: Path) -> None:
    package = write_package(tmp_path, {"big.py": "".join(f"X{n} = {n}\n" for n in range(401)),
                                       "fits.py": "".join(f"X{n} = {n}\n" for n in range(400))})
    assert findings(package) == [f"{package / 'big.py'}:1: long-module: 401 lines (at most 400); split it by job"]


def test_write_puts_the_picture_between_the_markers_and_keeps_the_rest(tmp_path: Path) -> None:
    tool = load_tool()
    package = write_package(tmp_path, {"a.py": "from .b import B\n", "b.py": "B = 1\n"})
    doc = tmp_path / "arch.md"
    doc.write_text(f"# Title\n\nbefore\n\n{tool.BEGIN_MARKER}\nold\n{tool.END_MARKER}\n\nafter\n", encoding="utf-8")
    assert run_tool("--write", "--package", package, "--doc", doc).returncode == 0
    written = doc.read_text(encoding="utf-8")
    drawn = run_tool("--package", package).stdout
    assert tool.doc_block(written) == drawn
    assert "  m_a --> m_b\n" in drawn
    assert written.startswith("# Title\n\nbefore\n\n") and written.endswith(f"{tool.END_MARKER}\n\nafter\n")
    assert run_tool("--write", "--package", package, "--doc", doc).returncode == 0
    assert doc.read_text(encoding="utf-8") == written


# Files of other packages the package's comments name, each by its path in that package.
OTHER_PACKAGES = {"material/plugins/search/plugin.py"}
MODULE_NAME = re.compile(r"[\w./-]*\b\w+\.py\b")


def named_modules_that_do_not_exist(package: Path) -> list[str]:
    """Every ``name.py`` the package's source names (comments, docstrings) that is no file of this repository:
    a bare name must be some module's, a path (``archive/inputs.py``) must exist under the package or the repo."""
    known = {p.name for folder in ("generator", "tests", "tools", "bench") for p in (REPO / folder).rglob("*.py")}
    known |= {p.name for p in REPO.glob("*.py")} | {p.name for p in package.rglob("*.py")}
    gone = []
    for path in sorted(package.rglob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in MODULE_NAME.finditer(line):
                name = match.group(0)
                exists = ((package / name).is_file() or (REPO / name).is_file()) if "/" in name else name in known
                if not exists and name not in OTHER_PACKAGES:
                    gone.append(f"{path.relative_to(package.parent)}:{n}: {name}")
    return gone


def test_comments_name_only_modules_that_exist() -> None:
    # A module moved or renamed leaves its old name behind in the prose around it (the move to subpackages left 33).
    assert named_modules_that_do_not_exist(REPO / "generator") == []


def test_a_comment_naming_a_module_that_is_gone_is_found(tmp_path: Path) -> None:
    package = write_package(tmp_path, {"pages.py": '"""Stamped by stamp.py, keyed in site/page_keys.py."""\n',
                                       "site/page_keys.py": "",
                                       "hall.py": "# see pages.py, archive/inputs.py and material/plugins/search/plugin.py\n"})
    assert named_modules_that_do_not_exist(package) == [f"{package.name}/hall.py:1: archive/inputs.py",
                                                        f"{package.name}/pages.py:1: stamp.py"]
