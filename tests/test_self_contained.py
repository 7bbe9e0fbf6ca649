"""The checkout carries everything it reads: no file names a path outside it.

A clone on another machine has none of the folders beside the checkout or of this machine;
a test that reads one fails there with FileNotFoundError (issue 22). System paths a real
install uses (/etc/syncd, /var/lib/syncd, /usr/lib/postgresql, /proc) are not this machine's
and stay allowed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
SCANNED = ("syncd", "tests", "bench", "tools")
TEXT = {".py", ".json", ".toml", ".md", ".sh", ".txt", ".ini", ".mako", ".cfg"}

# Absolute paths of the development machine: not a URL's path, not part of a longer path.
MACHINE_PATH = re.compile(r"(?<![\w.:/~-])/(?:work|root|home|farm|old_root|shared)(?:/|\b)")
# A relative path that climbs out of the checkout, spelled as a string or as ROOT.parent.
CLIMBS_OUT = re.compile(r"""(?:["'/]\.\./|\bROOT\s*\.\s*parent\b|Path\(["']\.\.["']\))""")
PARENTS = re.compile(r"\.parents\[(\d+)\]")
# Strings that look like a path out but are data: a hostile zone name, say.
NOT_PATHS = {(Path("tests/unit/test_zoom_zones.py"), '"../')}


def problems_in(relative: Path, text: str) -> list[str]:
    """One line per place where ``text`` (the file at ``relative``) leaves the checkout."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        where = f"{relative}:{number}"
        found += [f"{where}: names {m.group(0)!r}" for m in MACHINE_PATH.finditer(line)]
        found += [
            f"{where}: climbs out with {m.group(0)!r}"
            for m in CLIMBS_OUT.finditer(line)
            if (relative, m.group(0)) not in NOT_PATHS
        ]
        for match in PARENTS.finditer(line):
            # parents[len(parts) - 1] of a file is the checkout's root; one more is outside it.
            if int(match.group(1)) >= len(relative.parts):
                found.append(f"{where}: {match.group(0)} is above the checkout")
    return found


def scanned_files() -> list[Path]:
    return sorted(
        path
        for folder in SCANNED
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and path.suffix in TEXT and "__pycache__" not in path.parts
    )


def test_no_file_names_a_path_outside_the_checkout():
    files = scanned_files()
    assert len(files) > 50  # the scan sees the tree, not an empty folder
    problems = [
        problem
        for path in files
        for problem in problems_in(path.relative_to(ROOT), path.read_text(encoding="utf-8"))
        if path.name != Path(__file__).name  # this file spells out what it looks for
    ]
    assert problems == []


@pytest.mark.parametrize(
    ("relative", "line"),
    [
        ("tests/schemas.py", 'SPEC = Path("' + "/wo" + "rk/sha" + 'red/reference/zoom.json")'),
        ("tests/unit/x.py", 'SPEC = ROOT.parent / "sha' + 'red/reference/zoom.json"'),
        ("tests/x.py", 'open("..' + "/sha" + 'red/DESIGN.md")'),
        ("bench/x.py", 'HOME = "/root/.cache/syncd"'),
        ("tools/x.py", "Path(__file__).parents[2]"),
        ("tests/x.py", 'Path("..") / "shared"'),
        ("syncd/store/x.py", "Path(__file__).resolve().parents[3]"),
    ],
)
def test_a_planted_path_outside_the_checkout_is_found(relative, line):
    assert problems_in(Path(relative), line)


@pytest.mark.parametrize(
    ("relative", "line"),
    [
        ("syncd/store/migrate.py", 'Path(__file__).resolve().parents[2] / "migrations"'),
        ("syncd/config.py", 'DEFAULT = Path("/etc/syncd/config.toml")'),
        ("syncd/x.py", '"https://zoom.us/docs/en-us/home/x"'),
        ("tests/postgres.py", 'glob("/usr/lib/postgresql/*/bin/initdb")'),
    ],
)
def test_paths_a_real_install_uses_are_allowed(relative, line):
    assert problems_in(Path(relative), line) == []
