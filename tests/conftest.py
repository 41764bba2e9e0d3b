"""Shared fixtures: the standard, real registers in tmp_path, the test run's installation key (helpers: support/)."""

from __future__ import annotations

import os
import tempfile

import pytest

from generator.rules.register import write_register
from generator.rules.standard_load import load_standard

# The installation key (generator.fs.installkey) of the test run: never the user's own, shared with the
# hallscore processes the tests start.
os.environ.setdefault("HALLSCORE_KEY_FILE", os.path.join(tempfile.mkdtemp(prefix="hallscore-key-"), "key"))


@pytest.fixture(scope="session")
def standard():
    return load_standard()


@pytest.fixture
def write_reg(tmp_path):
    def _write(halls, name="register.xlsx"):
        path = tmp_path / name
        write_register(halls, path)
        return path

    return _write
