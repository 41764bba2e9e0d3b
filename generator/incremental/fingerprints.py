"""The fingerprints keys are made with beside the inputs of their own job: the code's (:func:`code_version`: the
package's source, its standards and the intake store's format) and the register's (:func:`register_fingerprint`).

Kept apart from :mod:`generator.incremental.intake_cache`, whose entries are keyed by both, because keys of other
kinds are keyed by the code too (the site's pages and downloads, the issued lists, the work left unchanged): they
need the code's fingerprint, not the intake cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import cache

from generator import __version__
from generator.incremental.intake_tables import STORE_FORMAT
from generator.resources import PACKAGE_DIR, STANDARDS
from generator.rules.register import Hall


@cache
def code_version() -> str:
    """Hash of the package's own source: any change to the code that checks gives new keys (made once per
    process: the code that runs is the code that was imported)."""
    digest = hashlib.sha256(f"{__version__}:{STORE_FORMAT}".encode())
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    for path in sorted(STANDARDS.glob("*")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def register_fingerprint(halls: Iterable[Hall]) -> str:
    """Hash of every register field, in a fixed order."""
    digest = hashlib.sha256()
    for hall in sorted(halls, key=lambda h: h.hall_id):
        fields = (hall.hall_id, hall.name, hall.province, hall.city, hall.district, str(hall.level), hall.type)
        digest.update("\x1f".join(fields).encode("utf-8") + b"\x1e")
    return digest.hexdigest()
