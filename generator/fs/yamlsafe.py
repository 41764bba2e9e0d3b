"""YAML for user files (overrides, standards): no aliases, bounded size.

``yaml.safe_load`` builds no objects, but aliases still let a few hundred bytes expand to gigabytes ("billion
laughs" in YAML). Files of recorded decisions never need them, so an alias or an anchor is refused outright.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MAX_BYTES = 4 * 1024 * 1024


class _NoAliasLoader(yaml.SafeLoader):
    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        # The stubs leave Parser.peek_event untyped (types-PyYAML): the ignores below are for that alone.
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(None, None, "不允许使用 YAML 别名(*alias)", event.start_mark)
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if getattr(event, "anchor", None):
            raise yaml.composer.ComposerError(None, None, "不允许使用 YAML 锚点(&anchor)", event.start_mark)
        return super().compose_node(parent, index)


def load_yaml(path: str | Path, max_bytes: int = MAX_BYTES) -> Any:
    """Parse a YAML file; raises ``ValueError`` when it is too large and ``yaml.YAMLError`` on aliases/anchors."""
    path = Path(path)
    size = path.stat().st_size
    if size > max_bytes:
        raise ValueError(f"文件 {size} 字节,超过上限 {max_bytes} 字节")
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader
