"""The shipped unit's process restrictions, applied to a child process without systemd: its
system call filter (expanded by `systemd-analyze syscall-filter`, loaded with libseccomp)
and MemoryDenyWriteExecute (the kernel's PR_SET_MDWE, which systemd itself uses where it
can). A test runs syncd under them to show the unit does not break it."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import subprocess
from collections.abc import Callable
from pathlib import Path

PR_SET_NO_NEW_PRIVS = 38
PR_SET_MDWE = 65
PR_MDWE_REFUSE_EXEC_GAIN = 1
SCMP_ACT_ALLOW = 0x7FFF0000
EPERM = 1


def unit_settings(unit: Path) -> dict[str, list[str]]:
    """Each `Key=value` of the unit, values in order (a key may repeat)."""
    settings: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


@functools.cache
def syscall_group(name: str) -> frozenset[str]:
    """The system calls of a systemd group such as @system-service, groups expanded."""
    listed = subprocess.run(
        ["systemd-analyze", "syscall-filter", name], capture_output=True, text=True, check=True
    ).stdout.splitlines()[1:]
    calls: set[str] = set()
    for line in (line.strip() for line in listed):
        if not line or line.startswith("#"):
            continue
        calls |= syscall_group(line) if line.startswith("@") else {line}
    return frozenset(calls)


def allowed_syscalls(filters: list[str]) -> frozenset[str]:
    """What `SystemCallFilter=` lines allow: the first an allow list, `~` lines deny."""
    allowed: set[str] = set()
    for line in filters:
        deny = line.startswith("~")
        names = line.removeprefix("~").split()
        calls = set().union(*(syscall_group(n) if n.startswith("@") else {n} for n in names))
        allowed = allowed - calls if deny else allowed | calls
    return frozenset(allowed)


def restrictions(unit: Path) -> Callable[[], None]:
    """A `preexec_fn` that puts the child under the unit's filter and memory protection."""
    settings = unit_settings(unit)
    allowed = sorted(allowed_syscalls(settings.get("SystemCallFilter", [])))
    deny_write_execute = settings.get("MemoryDenyWriteExecute") == ["yes"]
    libc = ctypes.CDLL(None, use_errno=True)
    seccomp = ctypes.CDLL(ctypes.util.find_library("seccomp") or "libseccomp.so.2")
    seccomp.seccomp_init.restype = ctypes.c_void_p
    seccomp.seccomp_init.argtypes = [ctypes.c_uint32]
    seccomp.seccomp_rule_add.argtypes = [
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_int,
        ctypes.c_uint,
    ]
    seccomp.seccomp_load.argtypes = [ctypes.c_void_p]
    numbers = [seccomp.seccomp_syscall_resolve_name(name.encode()) for name in allowed]
    known = [number for number in numbers if number >= 0]

    def restrict() -> None:  # in the child, between fork and exec
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS")
        if deny_write_execute and libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0):
            raise OSError(ctypes.get_errno(), "PR_SET_MDWE")
        context = seccomp.seccomp_init(0x00050000 | EPERM)  # SystemCallErrorNumber=EPERM
        for number in known:
            seccomp.seccomp_rule_add(context, SCMP_ACT_ALLOW, number, 0)
        if seccomp.seccomp_load(context) != 0:
            raise OSError("seccomp_load failed")

    return restrict
