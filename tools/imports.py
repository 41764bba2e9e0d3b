"""The import picture of generator/ and the structural check of its modules (stdlib only).

    python tools/imports.py            print the picture by subpackage (Mermaid)
    python tools/imports.py --write    rewrite the picture between the markers in docs/architecture.md
    python tools/imports.py --check    list the structural findings, exit 1 if there is any

A room is a subpackage (intake/, site/, ...) or a module at the package root (errors.py, build.py): the
picture draws rooms and the arrows between them, importer above what it imports. Every import counts as an
arrow, those under `if TYPE_CHECKING:` and those inside functions included, so a circle hidden by a late
import is still a circle.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BEGIN_MARKER = "<!-- import picture: begin (python tools/imports.py --write) -->"
END_MARKER = "<!-- import picture: end -->"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 50


@dataclass(frozen=True)
class Arrow:
    """One import: the importing module, the imported module and where the import stands."""

    importer: str
    imported: str
    line: int


@dataclass(frozen=True)
class Finding:
    """One structural problem at file:line."""

    path: str
    line: int
    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind}: {self.message}"


@dataclass
class Module:
    """One source file of the package, its dotted name (relative to the package) and its syntax tree."""

    name: str
    path: Path
    shown_path: str
    tree: ast.Module
    line_count: int
    room: str
    shown_name: str
    arrows: list[Arrow] = field(default_factory=list)


def room_of(module: str) -> str:
    """The room a module lives in: its first dotted part (a subpackage), or the module itself at the root."""
    if module == "":
        return "__init__"
    return module.split(".")[0]


def load_package(package: Path) -> dict[str, Module]:
    """Every .py file under `package`, parsed, keyed by its dotted name (`intake.run`; `` for the root __init__)."""
    modules: dict[str, Module] = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        name = ".".join(parts)
        shown_name = name
        text = path.read_text(encoding="utf-8")
        try:
            shown = str(path.relative_to(REPO))
        except ValueError:
            shown = str(path)
        modules[name] = Module(name, path, shown, ast.parse(text, filename=str(path)), len(text.splitlines()),
                               room_of(shown_name), shown_name or package.name)
    return modules


def package_of(module: Module) -> list[str]:
    """The dotted parts of the package a module's relative imports start from."""
    parts = module.name.split(".") if module.name else []
    return parts if module.path.name == "__init__.py" else parts[:-1]


def resolve(module: Module, node: ast.ImportFrom | ast.Import, root: str,
            known: dict[str, Module]) -> Iterator[tuple[str, ast.alias]]:
    """The in-package modules one import statement reaches, each with the alias that reaches it."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            parts = alias.name.split(".")
            if parts[0] == root:
                target = _known_prefix(".".join(parts[1:]), known)
                if target is not None:
                    yield target, alias
        return
    if node.level:
        base = package_of(module)
        if node.level > 1:
            base = base[: len(base) - (node.level - 1)]
        stem = ".".join(base + (node.module.split(".") if node.module else []))
    elif node.module and node.module.split(".")[0] == root:
        stem = ".".join(node.module.split(".")[1:])
    else:
        return
    for alias in node.names:
        full = f"{stem}.{alias.name}" if stem else alias.name
        if full in known:
            yield full, alias
        else:
            target = _known_prefix(stem, known)
            if target is not None:
                yield target, alias


def _known_prefix(dotted: str, known: dict[str, Module]) -> str | None:
    """The longest leading part of `dotted` that names a module of the package."""
    parts = dotted.split(".") if dotted else []
    for cut in range(len(parts), -1, -1):
        candidate = ".".join(parts[:cut])
        if candidate in known:
            return candidate
    return None


def collect_arrows(modules: dict[str, Module], root: str) -> None:
    """Fill each module's arrows from every import statement in it, wherever it stands."""
    for module in modules.values():
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for target, _alias in resolve(module, node, root, modules):
                    if target != module.name:
                        module.arrows.append(Arrow(module.name, target, node.lineno))


def strongly_connected(nodes: Iterable[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """The circles of a directed graph: its strongly connected parts of two nodes or more (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:
        nonlocal counter
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            advanced = False
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = counter
                    counter += 1
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(sorted(edges.get(succ, ())))))
                    advanced = True
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                part: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    part.append(member)
                    if member == node:
                        break
                if len(part) > 1:
                    found.append(sorted(part))

    for node in sorted(nodes):
        if node not in index:
            visit(node)
    return sorted(found)


def module_edges(modules: dict[str, Module]) -> dict[str, set[str]]:
    return {name: {arrow.imported for arrow in module.arrows} for name, module in modules.items()}


def room_edges(modules: dict[str, Module]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for module in modules.values():
        mine = module.room
        edges.setdefault(mine, set())
        for arrow in module.arrows:
            theirs = modules[arrow.imported].room
            if theirs != mine:
                edges[mine].add(theirs)
    return edges


def floors(edges: dict[str, set[str]]) -> dict[str, int]:
    """Each room's floor: 0 for a room that imports nothing, else one above the highest room it imports.

    Rooms in a circle share the floor the circle as a whole gets."""
    parts = {node: node for node in edges}
    for circle in strongly_connected(edges, edges):
        for node in circle:
            parts[node] = circle[0]
    level: dict[str, int] = {}

    def floor_of(part: str) -> int:
        # The circles are folded into one part each, so what lies below a part never leads back to it.
        if part not in level:
            below = {parts[t] for n in edges if parts[n] == part for t in edges[n] if parts[t] != part}
            level[part] = 1 + max((floor_of(b) for b in below), default=-1)
        return level[part]

    return {node: floor_of(parts[node]) for node in edges}


def picture(modules: dict[str, Module]) -> str:
    """The Mermaid text of the rooms and the arrows between them, same bytes for the same tree."""
    edges = room_edges(modules)
    subpackages = {module.room for module in modules.values() if "." in module.shown_name}
    subpackages |= {module.room for module in modules.values() if module.path.name == "__init__.py" and module.name}
    drawn = sorted(room for room in edges if room != "__init__" or edges[room])
    level = floors(edges)
    arrow_count = sum(len(edges[room]) for room in drawn)
    circles = strongly_connected(drawn, edges)
    lines = [
        "flowchart TD",
        f"  %% {len(drawn)} rooms on {max(level.values(), default=-1) + 1} floors, {arrow_count} arrows, "
        f"{len(circles)} circles between rooms; an arrow points from the importer to what it imports",
    ]
    for floor in sorted({level[room] for room in drawn}, reverse=True):
        rooms = [room for room in drawn if level[room] == floor]
        lines.append(f"  %% floor {floor}")
        for room in rooms:
            label = f"{room}/" if room in subpackages else f"{room}.py"
            lines.append(f'  {_node_id(room)}["{label}"]')
    for room in drawn:
        for target in sorted(edges[room]):
            lines.append(f"  {_node_id(room)} --> {_node_id(target)}")
    return "\n".join(lines) + "\n"


def _node_id(room: str) -> str:
    # A prefix keeps names such as `end` or `graph` from reading as Mermaid keywords.
    return "m_" + room


def import_findings(module: Module) -> Iterator[Finding]:
    """Imports placed inside a function (of any module: stdlib and third-party too), named by the nearest def."""
    pending: list[tuple[ast.AST, str | None]] = [(module.tree, None)]
    while pending:
        node, function = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        elif isinstance(node, ast.Import | ast.ImportFrom) and function is not None:
            names = ", ".join(alias.name for alias in node.names)
            if isinstance(node, ast.ImportFrom):
                what = f"from {'.' * node.level}{node.module or ''} import {names}"
            else:
                what = f"import {names}"
            yield Finding(module.shown_path, node.lineno, "function-import",
                          f"`{what}` inside {function}(); hoist it to the top of the module")
        pending.extend((child, function) for child in ast.iter_child_nodes(node))


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_findings(module: Module, modules: dict[str, Module], root: str) -> Iterator[Finding]:
    """Private names (`_x`) imported from, or reached through, another module of the package."""
    module_aliases: dict[str, str] = {}
    for node in ast.walk(module.tree):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        for target, alias in resolve(module, node, root, modules):
            if isinstance(node, ast.Import):
                # `import generator.x as y` binds y to x; `import generator.x` binds the package name only.
                if alias.asname:
                    module_aliases[alias.asname] = target
                continue
            if _is_private(alias.name):
                yield Finding(module.shown_path, node.lineno, "private-name",
                              f"imports private `{alias.name}` from {modules[target].shown_name}")
            elif target.split(".")[-1] == alias.name:
                module_aliases[alias.asname or alias.name] = target
    for node in ast.walk(module.tree):
        owner, attr = _attribute_use(node)
        if owner is None or attr is None or not _is_private(attr):
            continue
        owner_module = module_aliases.get(owner)
        if owner_module is None and owner.startswith(root + ".") and owner[len(root) + 1:] in modules:
            owner_module = owner[len(root) + 1:]  # `import generator.pages` then `generator.pages._x`
        if owner_module is not None and owner_module != module.name:
            yield Finding(module.shown_path, getattr(node, "lineno", 1), "private-name",
                          f"uses private `{attr}` of {modules[owner_module].shown_name}")


def _attribute_use(node: ast.AST) -> tuple[str | None, str | None]:
    """`owner._x` and `getattr(owner, "_x")` as ("owner", "_x"), the owner a dotted name (`pages`,
    `generator.pages`); anything else as (None, None)."""
    if isinstance(node, ast.Attribute):
        return _dotted(node.value), node.attr
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("getattr", "hasattr")
            and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)):
        return _dotted(node.args[0]), node.args[1].value
    return None, None


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr}" if head is not None else None
    return None


def size_findings(module: Module) -> Iterator[Finding]:
    """Modules over MAX_MODULE_LINES lines and functions over MAX_FUNCTION_LINES (def line to last line)."""
    if module.line_count > MAX_MODULE_LINES:
        yield Finding(module.shown_path, 1, "long-module",
                      f"{module.line_count} lines (at most {MAX_MODULE_LINES}); split it by job")
    for node in ast.walk(module.tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                yield Finding(module.shown_path, node.lineno, "long-function",
                              f"{node.name}() is {length} lines (at most {MAX_FUNCTION_LINES})")


def circle_findings(modules: dict[str, Module]) -> Iterator[Finding]:
    """One finding per arrow inside a circle, between modules and between rooms.

    An arrow already inside a circle of modules is not reported again for the circle of rooms it makes."""
    in_module_circle: set[tuple[str, str]] = set()
    for circle in strongly_connected(modules, module_edges(modules)):
        members = set(circle)
        in_module_circle |= {(a, b) for a in circle for b in circle}
        for name in circle:
            for arrow in modules[name].arrows:
                if arrow.imported in members:
                    shown = " ↔ ".join(modules[member].shown_name for member in circle)
                    yield Finding(modules[name].shown_path, arrow.line, "module-circle",
                                  f"{modules[name].shown_name} imports {modules[arrow.imported].shown_name}, "
                                  f"in the circle {shown}")
    edges = room_edges(modules)
    for circle in strongly_connected(edges, edges):
        members = set(circle)
        for module in modules.values():
            mine = module.room
            if mine not in members:
                continue
            for arrow in module.arrows:
                theirs = modules[arrow.imported].room
                if theirs in members and theirs != mine and (module.name, arrow.imported) not in in_module_circle:
                    yield Finding(module.shown_path, arrow.line, "room-circle",
                                  f"{mine} imports {theirs} ({modules[arrow.imported].shown_name}), "
                                  f"in the circle {' ↔ '.join(circle)}")


def check(modules: dict[str, Module], root: str) -> list[Finding]:
    findings = list(circle_findings(modules))
    for module in modules.values():
        findings.extend(import_findings(module))
        findings.extend(private_findings(module, modules, root))
        findings.extend(size_findings(module))
    return sorted(set(findings), key=lambda f: (f.path, f.line, f.kind, f.message))


def doc_block(text: str) -> str | None:
    """The Mermaid text between the markers of a document, or None when the markers are missing."""
    start, end = text.find(BEGIN_MARKER), text.find(END_MARKER)
    if start < 0 or end < start:
        return None
    inner = text[start + len(BEGIN_MARKER):end].strip("\n")
    fence_open, fence_close = "```mermaid\n", "```"
    if not (inner.startswith(fence_open) and inner.endswith(fence_close)):
        return None
    return inner[len(fence_open):-len(fence_close)]


def with_picture(text: str, drawing: str) -> str:
    """The document with the picture between its markers replaced by `drawing`."""
    start, end = text.find(BEGIN_MARKER), text.find(END_MARKER)
    if start < 0 or end < start:
        raise SystemExit(f"the markers are missing: put\n{BEGIN_MARKER}\n{END_MARKER}\nwhere the picture goes")
    block = f"{BEGIN_MARKER}\n```mermaid\n{drawing}```\n"
    return text[:start] + block + text[end:]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--package", type=Path, default=REPO / "generator", help="the package folder to read")
    parser.add_argument("--doc", type=Path, default=REPO / "docs" / "architecture.md",
                        help="the document whose picture --write rewrites")
    parser.add_argument("--write", action="store_true", help="rewrite the picture in --doc")
    parser.add_argument("--check", action="store_true", help="list the findings; exit 1 if there is any")
    args = parser.parse_args(argv)
    package: Path = args.package.resolve()
    root = package.name
    modules = load_package(package)
    collect_arrows(modules, root)
    if args.check:
        findings = check(modules, root)
        for finding in findings:
            print(finding)
        kinds = sorted({f.kind for f in findings})
        counts = ", ".join(f"{sum(f.kind == k for f in findings)} {k}" for k in kinds)
        print(f"{len(findings)} findings in {len(modules)} modules" + (f": {counts}" if counts else ""))
        return 1 if findings else 0
    drawing = picture(modules)
    if args.write:
        doc: Path = args.doc
        doc.write_text(with_picture(doc.read_text(encoding="utf-8"), drawing), encoding="utf-8")
        print(f"wrote the picture into {doc}")
        return 0
    sys.stdout.write(drawing)
    return 0


if __name__ == "__main__":
    sys.exit(main())
