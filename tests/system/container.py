"""A throwaway machine with a real systemd as PID 1: `systemd-nspawn --boot` over a volatile
root (an empty tmpfs with this machine's /usr mounted read-only), a private network (its own
loopback, nothing else) and the bind mounts a test asks for.

Nothing here needs systemd on the host: the container runs in the caller's cgroup
(`--keep-unit`) and is not registered with systemd-machined (`--register=no`), so the test
talks to the container's systemd through `nsenter` into its namespaces, and finds its PID 1
in what nspawn tells its own `$NOTIFY_SOCKET`.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

BOOT_SECONDS = 60
COMMAND_SECONDS = 60
SHUTDOWN_SECONDS = 30
CONTAINER_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
CLONE_NEWNET = 0x40000000

T = TypeVar("T")


class BootFailed(Exception):
    """The container did not come up: nspawn's own words are the message."""


def nspawn() -> str | None:
    return shutil.which("systemd-nspawn")


@dataclass
class Container:
    name: str
    leader: int
    """The container's PID 1, as this machine numbers it."""
    process: subprocess.Popen[bytes]

    def path(self, inside: str) -> Path:
        """A path of the container's file system, as seen from this machine."""
        return Path("/proc", str(self.leader), "root", inside.lstrip("/"))

    def run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a command inside the container: all its namespaces, its root, a clean env."""
        return subprocess.run(
            ["nsenter", f"--target={self.leader}", "--all", "--", *command],
            env={"PATH": CONTAINER_PATH, "LC_ALL": "C.UTF-8", "SYSTEMD_COLORS": "0"},
            capture_output=True,
            text=True,
            timeout=COMMAND_SECONDS,
            check=check,
        )

    def systemctl(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("systemctl", "--no-pager", "--no-ask-password", *arguments, check=check)

    def show(self, unit: str, *properties: str) -> dict[str, str]:
        """`systemctl show -p ...` of the container's systemd, as a dict."""
        output = self.systemctl("show", unit, f"--property={','.join(properties)}").stdout
        return dict(line.split("=", 1) for line in output.splitlines() if "=" in line)

    def journal(self, unit: str, priority: str = "debug") -> str:
        """The unit's journal: its processes' lines and systemd's about it, in order. (Not
        `--after-cursor=`: with `--unit=`, systemd 252's journalctl skips a line after it.)"""
        return self.run(
            "journalctl",
            "--no-pager",
            f"--unit={unit}",
            f"--priority={priority}",
            "--output=short-monotonic",
        ).stdout

    def shut_down(self) -> None:
        """SIGTERM makes nspawn ask the container's systemd to power off."""
        self.process.terminate()
        try:
            self.process.wait(timeout=SHUTDOWN_SECONDS)
        except subprocess.TimeoutExpired:
            _end(self.process, self.leader)


def boot(name: str, read_only_binds: Mapping[Path, str], workdir: Path) -> Container:
    """Boot the container and return once its systemd has finished starting up. The console
    (systemd's boot messages) goes to `workdir/nspawn.log`."""
    arguments = [
        f"--machine={name}",
        "--directory=/",
        "--volatile=yes",
        "--private-network",
        "--keep-unit",
        "--register=no",
        "--console=read-only",
        *(f"--bind-ro={source}:{target}" for source, target in read_only_binds.items()),
        "--boot",
        # systemd's own arguments: no first-boot questions on the console of an empty /etc,
        # and no wait for a network to come online: loopback is all there is.
        "systemd.firstboot=off",
        "systemd.unit=multi-user.target",
        "systemd.mask=systemd-networkd-wait-online.service",
    ]
    notify_name = f"{name}-nspawn-notify"  # an abstract socket: no path length to mind
    log_path = workdir / "nspawn.log"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify, log_path.open("wb") as log:
        notify.bind(f"\0{notify_name}")
        process = subprocess.Popen(
            [nspawn() or "systemd-nspawn", *arguments],
            env={"PATH": CONTAINER_PATH, "NOTIFY_SOCKET": f"@{notify_name}"},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        leader = _leader_pid(notify)
        try:
            _wait_until_booted(leader, process, log_path)
        except BaseException:
            _end(process, leader)
            raise
    return Container(name, leader, process)


def _wait_until_booted(leader: int, process: subprocess.Popen[bytes], log_path: Path) -> None:
    """Until the container's systemd has finished starting up; BootFailed if nspawn ends, or
    the boot does not finish in time."""
    deadline = time.monotonic() + BOOT_SECONDS
    while leader and time.monotonic() < deadline and process.poll() is None:
        if _boot_finished(leader):
            return
        time.sleep(0.2)
    said = log_path.read_text(errors="replace").strip().splitlines()
    reason = said[-1] if said else f"no word from systemd-nspawn in {BOOT_SECONDS} s"
    raise BootFailed(f"systemd-nspawn could not boot a container here: {reason}")


def _leader_pid(notify: socket.socket) -> int:
    """What nspawn tells $NOTIFY_SOCKET once the container's PID 1 runs; 0 for nothing."""
    notify.settimeout(BOOT_SECONDS)
    try:
        message = notify.recv(4096).decode()
    except TimeoutError:
        return 0
    found = re.search(r"^X_NSPAWN_LEADER_PID=(\d+)$", message, re.MULTILINE)
    return int(found.group(1)) if found else 0


def _boot_finished(leader: int) -> bool:
    """`systemctl is-system-running`: "running", or "degraded" (a unit of the bare image
    failed), once startup is over; "initializing", "starting" or no answer before."""
    state = subprocess.run(
        ["nsenter", f"--target={leader}", "--all", "systemctl", "is-system-running"],
        env={"PATH": CONTAINER_PATH},
        capture_output=True,
        text=True,
        timeout=COMMAND_SECONDS,
        check=False,
    ).stdout.strip()
    return state in ("running", "degraded")


def _end(process: subprocess.Popen[bytes], leader: int) -> None:
    """Kill nspawn and the container's PID 1, which takes every process of the container
    with it (killing nspawn alone leaves the container running)."""
    for pid in (leader, process.pid):
        if pid:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    process.wait(timeout=SHUTDOWN_SECONDS)


def _setns(fd: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"setns: {os.strerror(errno)}")


@contextmanager
def network_namespace(pid: int) -> Iterator[None]:
    """The calling thread in the network namespace of `pid` (the container's loopback), and
    back: a socket it opens meanwhile stays in that namespace, and so reachable from the
    container only."""
    with open("/proc/thread-self/ns/net") as own, open(f"/proc/{pid}/ns/net") as theirs:
        _setns(theirs.fileno())
        try:
            yield
        finally:
            _setns(own.fileno())


def wait_for(what: str, probe: Callable[[], T | None], seconds: float, every: float = 0.2) -> T:
    """Poll `probe` until it returns something true (not None, False or empty), within
    `seconds`; that is returned."""
    deadline = time.monotonic() + seconds
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:g} s: {what}")
        time.sleep(every)
