"""The rule registry: one module per rule in this package.

Each rule module declares one ``RULE = Rule(code, name, gate, severity[, fix])`` and
``check(ctx)``, a pure query over the fact model that yields findings built with
``RULE.finding(...)``.  Its docstring is the rule's documentation, in fixed sections:
``## What it does``, ``## Why it matters``, ``## Example``, ``## How to fix``,
``## Options``.
``meslint rule CODE`` and the README table are made from it.

A finding's ``subject`` is what the finding is about, stable when lines move (a setting
name such as ``WATCHDOG_PID_FILE``, ``unit:key``, a document path and claim): baselines
and ``[[tool.meslint.waivers]]`` match on it, so a rule keeps it stable across releases.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Hashable, Iterable
from enum import Enum
from functools import cached_property, lru_cache
from typing import TypeVar

from meslint.edits import Fix
from meslint.facts import Location, Repository
from meslint.findings import Finding, Related
from meslint.pack import ContractPack
from meslint.records import record

T = TypeVar("T")

DOC_SECTIONS = ("What it does", "Why it matters", "Example", "How to fix", "Options")


class CheckContext:
    """What a check may query: the fact model, the contract pack, the resolution."""

    def __init__(self, repo: Repository, pack: ContractPack) -> None:
        self.repo = repo
        self.pack = pack

    def shared(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, run once per check run for ``key``.

        For derived views of the facts that several checks need (a script's working-directory
        flow, ...): each is computed by the first check that asks and reused by the others.  The
        repository's memo holds them (:meth:`Repository.memo`), the one place derived views live.
        """
        return self.repo.memo(key, compute)

    @cached_property
    def resolution(self):
        from meslint import incremental

        # A derived view of the repository and the pack, so a run can tell whether it changed.
        return self.shared(incremental.RESOLUTION, lambda: incremental.resolution(self.repo, self.pack))


class Gate(Enum):
    """The cutover gate a rule enforces (``MESLINT``: meslint's own findings)."""

    MESLINT = "-"
    FRONTEND_BUILD = "1"
    ROOT_EXECUTION = "2"
    FIELD_CONTRACTS = "3"
    OBSERVABILITY = "4"
    RESILIENCE = "5"
    RUNTIME_CONTRACT = "6"
    DOCUMENTATION = "8"


class Severity(Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class FixApplicability(Enum):
    """Whether and how ``--fix`` can repair what a rule reports (ruff's applicability)."""

    NONE = "none"
    SAFE = "safe"  # keeps every consumer's resolved value: only the form changes
    UNSAFE = "unsafe"  # changes a value some consumer sees
    DISPLAY_ONLY = "display-only"  # a suggestion shown, never applied


@record
class Rule:
    """A rule's declaration: the one place its code, name, gate, severity and fixability live."""

    code: str
    name: str
    gate: Gate
    severity: Severity = Severity.ERROR
    fix: FixApplicability = FixApplicability.NONE

    def finding(self, message: str, location: Location, related: Iterable[Related] = (),
                subject: str = "", fix: Fix | None = None) -> Finding:
        """Every finding of the rule is built here: its code, name and severity come from the declaration.
        ``fix``: what ``--fix`` may apply (its applicability is the fix's own: a rule declared unsafe may
        offer a safe fix where it can prove one keeps every value)."""
        return Finding(code=self.code, name=self.name, severity=self.severity.value, message=message,
                       location=location, related=tuple(related), subject=subject, fix=fix)


@record
class RegisteredRule:
    """A declared rule with its check and its documentation (the module docstring)."""

    rule: Rule
    check: Callable[[CheckContext], Iterable[Finding]] | None  # None: the engine computes it (MES100)
    doc: str

    @property
    def code(self) -> str:
        return self.rule.code

    @property
    def name(self) -> str:
        return self.rule.name

    @property
    def gate(self) -> str:
        return self.rule.gate.value

    @property
    def severity(self) -> str:
        return self.rule.severity.value

    @property
    def fix(self) -> str:
        return self.rule.fix.value

    @property
    def summary(self) -> str:
        return self.doc.splitlines()[0].strip() if self.doc else ""

    def sections(self) -> dict[str, str]:
        return parse_sections(self.doc)


def parse_sections(doc: str) -> dict[str, str]:
    """The docstring's ``## Title`` sections; a ``## `` line inside a code fence is example text."""
    sections: dict[str, str] = {}
    current = None
    lines: list[str] = []
    fence: str | None = None
    for line in doc.splitlines():
        opener = re.match(r"^\s*(`{3,}|~{3,})", line)
        if opener:
            mark = opener.group(1)
            if fence is None:
                fence = mark
            elif mark[0] == fence[0] and len(mark) >= len(fence) and not line.strip()[len(mark):].strip():
                fence = None
        match = None if fence is not None else re.match(r"^## (.+?)\s*$", line)
        if match:
            if current is not None:
                sections[current] = "\n".join(lines).strip()
            current, lines = match.group(1), []
        elif current is not None:
            lines.append(line)
    if current is not None:
        sections[current] = "\n".join(lines).strip()
    return sections


@lru_cache(maxsize=1)
def all_rules() -> tuple[RegisteredRule, ...]:
    rules = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        declared = getattr(module, "RULE", None)
        if not isinstance(declared, Rule):
            continue
        rules.append(RegisteredRule(declared, getattr(module, "check", None), (module.__doc__ or "").strip()))
    return tuple(sorted(rules, key=lambda r: r.code))


def rule_by_code(code: str) -> RegisteredRule | None:
    """The rule a user named by code or name (``meslint rule CODE``); None when there is none."""
    code = code.upper()
    for rule in all_rules():
        if rule.code == code or rule.name == code.lower():
            return rule
    return None
