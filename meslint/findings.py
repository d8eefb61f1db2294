"""Findings: what checks report and reporters format."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from meslint.location import Location

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Related:
    """Another site of a cross-file finding, with the value seen there."""

    location: Location
    message: str


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    location: Location
    related: tuple[Related, ...] = ()
    # What the finding is about, stable across line moves (e.g. "WATCHDOG_PID_FILE");
    # baselines and waivers match on it.
    subject: str = ""
    name: str = ""
    severity: str = "error"
    suppressed: bool = field(default=False, compare=False)

    def sort_key(self) -> tuple:
        loc = self.location
        return (loc.path, loc.line, loc.column, self.code, self.subject, self.message)

    def fingerprint(self) -> str:
        """Stable identity: code, subject and the files involved, not line numbers."""
        files = sorted({self.location.path, *(r.location.path for r in self.related)})
        basis = "\x1f".join([self.code, self.subject or self.message, *files])
        # surrogatepass: a non-UTF-8 file name is held with lone surrogates (os.fsdecode); any
        # other string encodes exactly as with "utf-8", so fingerprints of such findings are unchanged.
        return hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass(frozen=True)
class Report:
    """What reporters format: one run's findings, and what names the run."""

    root: str  # the checked root, absolute
    contract: str | None  # the contract pack's name
    findings: tuple[Finding, ...]  # active: not suppressed, not waived, not baselined
    suppressed: tuple[Finding, ...] = ()
    # For each suppressed finding, its SARIF suppression kind: "inSource" or "external".
    suppression_kinds: tuple[str, ...] = ()
