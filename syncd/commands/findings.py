"""What `syncd check` finds: each finding with its fix, the exit code and the summary line."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    side: str
    """"database", "google" or "zoom"."""
    text: str
    fix: str | None = None
    """For a problem: what the administrator can do about it."""
    unreachable: bool = False
    """The side did not answer: nothing is known to be wrong; check again later."""

    @property
    def ok(self) -> bool:
        return self.fix is None and not self.unreachable

    def lines(self) -> list[str]:
        if self.ok:
            return [f"{self.side}: {self.text}"]
        label = "UNREACHABLE" if self.unreachable else "PROBLEM"
        fix = self.fix or "check again later; syncd retries on its own"
        return [f"{self.side}: {label}: {self.text}", f"{' ' * len(self.side)}  fix: {fix}"]


def exit_code(findings: Iterable[Finding]) -> int:
    """0 when everything works, 2 for a problem to fix, 1 when a side could not be reached."""
    findings = list(findings)
    if any(f.fix is not None for f in findings):
        return 2
    return 1 if any(f.unreachable for f in findings) else 0


def summary(findings: Iterable[Finding]) -> str | None:
    """One line naming the failing sides, or None when all is well."""
    bad = [f for f in findings if not f.ok]
    if not bad:
        return None
    sides = sorted({f.side for f in bad}, key=["database", "google", "zoom"].index)
    problems = sum(1 for f in bad if f.fix is not None)
    unreachable = len(bad) - problems
    counts = [f"{problems} problem{'s' if problems > 1 else ''}"] if problems else []
    counts += [f"{unreachable} unreachable"] if unreachable else []
    return f"check failed ({', '.join(counts)}): {', '.join(sides)}"
