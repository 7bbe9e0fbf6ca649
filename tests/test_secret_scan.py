"""The secrets scan itself: a session whose tests print an issued secret, or start a syncd
process that writes one, fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent

LEAKY_TESTS = """
from syncd.sim.issued import issued
from tests.conftest import child_log


def test_a_log_line_with_a_token():
    print("Authorization: Bearer " + issued("printed-" + "t" * 32))


def test_a_child_process_that_writes_one(tmp_path):
    with child_log(tmp_path / "syncd.log") as output:
        output.write("refresh_token=" + issued("child-" + "r" * 32))


def test_one_that_keeps_its_secret():
    issued("kept-" + "k" * 32)
"""


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_printed_secret_fails_the_session(tmp_path, workers):
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import (\n"
        "    child_log, pytest_runtest_logreport, pytest_sessionfinish, pytest_testnodedown\n"
        ")\n"
    )
    (tmp_path / "test_leaky.py").write_text(LEAKY_TESTS)
    inner = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-n",
            workers,
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=os.environ | {"PYTHONPATH": str(REPOSITORY)},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert inner.returncode == 1, inner.stdout + inner.stderr
    assert "3 passed" in inner.stdout
    found = inner.stdout.split("secrets found in test output:", 1)[1]
    assert "test_a_log_line_with_a_token (call): a secret ...tttt" in found
    assert "syncd.log: a secret ...rrrr" in found
    assert "kkkk" not in found
