"""A throwaway PostgreSQL server for the tests that run the store against it.

Started once per session from the machine's PostgreSQL binaries (Debian's `postgresql`, which
.ci/run installs), on 127.0.0.1 with trust authentication and fsync off; each test gets a
database of its own. Without the binaries the tests skip, saying why, except in CI, where a
skip would hide that PostgreSQL went untested: there they fail."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy

SUPERUSER = "syncd"


def server_binaries() -> Path | None:
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / "initdb").exists():
            return folder
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.root = Path(tempfile.mkdtemp(prefix="syncd-pg-"))
        self.port = _free_port()
        self._runas: list[str] = []
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            shutil.chown(self.root, "postgres", "postgres")
            self._runas = ["runuser", "-u", "postgres", "--"]
        self._databases = 0

    def _run(self, *command: str) -> None:
        result = subprocess.run(
            [*self._runas, *command], capture_output=True, text=True, timeout=120, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {result.stdout}{result.stderr}")

    def start(self) -> None:
        data = self.root / "data"
        self._run(
            str(self.binaries / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust",
            "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            str(self.binaries / "pg_ctl"), "-D", str(data), "-o", options,
            "-l", str(self.root / "server.log"), "-w", "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._run(
            str(self.binaries / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "stop"
        )
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        self._databases += 1
        name = f"test_{self._databases}"
        engine = sqlalchemy.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text(f"CREATE DATABASE {name}"))
        engine.dispose()
        return self.url(name)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server]:
    binaries = server_binaries()
    if binaries is None:
        if os.environ.get("CI"):
            pytest.fail("no PostgreSQL server binaries: .ci/run installs Debian's postgresql")
        pytest.skip("no PostgreSQL server binaries here (CI installs Debian's postgresql)")
    server = Server(binaries)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server: Server) -> str:
    """A new, empty database on the session's server."""
    return postgres_server.new_database()
