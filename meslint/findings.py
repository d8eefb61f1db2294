"""Findings: what checks report and reporters format."""

from __future__ import annotations

import hashlib
from dataclasses import field

from meslint.edits import Fix
from meslint.location import Location
from meslint.records import record

SEVERITIES = ("error", "warning", "info")


@record
class Related:
    """Another site of a cross-file finding, with the value seen there."""

    location: Location
    message: str


@record
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
    # The primary site's line, whitespace-normalised (set by the engine from the file's text):
    # what tells two occurrences of the same code and subject in one file apart.
    anchor: str = field(default="", compare=False)
    # What ``--fix`` can do about it (meslint.edits); None: nothing, fix by hand.
    fix: Fix | None = field(default=None, compare=False)

    def sort_key(self) -> tuple:
        loc = self.location
        return (loc.path, loc.line, loc.column, self.code, self.subject, self.message)

    def fingerprint(self) -> str:
        """Stable identity: code, subject, the primary file and the primary line's text, not its
        number (a moved line keeps it; an edited or added line gets its own).  Identical lines
        share it: baselines count occurrences (see :func:`occurrence_fingerprints`)."""
        basis = "\x1f".join([self.code, self.subject or self.message, self.location.path, self.anchor])
        # surrogatepass: a non-UTF-8 file name is held with lone surrogates (os.fsdecode); any
        # other string encodes exactly as with "utf-8".
        return hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def normalise_line(line: str) -> str:
    """A line's text as identities see it: whitespace runs collapsed, ends stripped."""
    return " ".join(line.split())


def occurrence_fingerprints(findings) -> list[str]:
    """Each finding's fingerprint with its occurrence number among equal fingerprints, in the
    given order (``fp:1``, ``fp:2``, ...): unique within one run, as code scanning requires."""
    seen: dict[str, int] = {}
    result = []
    for finding in findings:
        base = finding.fingerprint()
        seen[base] = seen.get(base, 0) + 1
        result.append(f"{base}:{seen[base]}")
    return result


@record
class Report:
    """What reporters format: one run's findings, and what names the run."""

    root: str  # the checked root, absolute
    contract: str | None  # the contract pack's name
    findings: tuple[Finding, ...]  # active: not suppressed, not waived, not baselined
    suppressed: tuple[Finding, ...] = ()
    # For each suppressed finding, its SARIF suppression kind: "inSource" or "external".
    suppression_kinds: tuple[str, ...] = ()
