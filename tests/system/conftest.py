"""Fixtures: syncd installed as the README says, a container booted around it, and the
simulators listening on the container's own loopback.

The simulators are the shared `google_sim` and `zoom_sim` fixtures, started while the test's
thread is in the container's network namespace: their sockets stay there, where syncd
reaches them on 127.0.0.1 through the unit's private network, and the test still drives and
inspects them in process (the thread goes back to this machine's namespace at teardown).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from tests.system.container import BootFailed, Container, boot, network_namespace, nspawn
from tests.system.installation import Installation, make_venv, usable_interpreter

IN_CI = bool(os.environ.get("CI"))


def cannot_boot(reason: str) -> NoReturn:
    """A machine that cannot run nspawn skips, with one line; CI must be able to."""
    if IN_CI:
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def installation(tmp_path: Path) -> Installation:
    interpreter = usable_interpreter()
    if interpreter is None:
        cannot_boot("no Python the unit's sandbox can run: ProtectHome= hides this venv's")
    return make_venv(tmp_path / "opt-syncd", interpreter)


@pytest.fixture
def container(installation: Installation, tmp_path: Path) -> Iterator[Container]:
    if nspawn() is None:
        cannot_boot("systemd-nspawn not here (CI installs Debian's systemd-container)")
    if os.geteuid() != 0:
        cannot_boot("systemd-nspawn needs root")
    try:
        booted = boot(f"syncd-test-{os.getpid()}", installation.read_only_binds(), tmp_path)
    except BootFailed as exc:
        cannot_boot(str(exc))
    yield booted
    booted.shut_down()


@pytest.fixture
def container_network(container: Container) -> Iterator[None]:
    with network_namespace(container.leader):
        yield


@pytest.fixture
def google_sim(container_network, google_sim):
    return google_sim


@pytest.fixture
def zoom_sim(container_network, zoom_sim):
    return zoom_sim
