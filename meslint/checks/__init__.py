"""The rule registry: one module per rule in this package.

Each rule module defines ``CODE`` (``MES###``), ``NAME`` (kebab-case), ``GATE``
(``"2"``, ``"6"``, ``"8"`` or ``"-"``), ``SEVERITY`` and ``check(ctx)``, a pure
query over the fact model that yields findings.  Its docstring is the rule's
documentation, in fixed sections: ``## What it does``, ``## Why it matters``,
``## Example``, ``## Options``.  ``meslint rule CODE`` and the README table are
made from it.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from types import ModuleType
from typing import TypeVar

from meslint.facts import Location, Repository
from meslint.findings import Finding, Related
from meslint.pack import ContractPack

T = TypeVar("T")

DOC_SECTIONS = ("What it does", "Why it matters", "Example", "Options")


class CheckContext:
    """What a check may query: the fact model, the contract pack, the resolution."""

    def __init__(self, repo: Repository, pack: ContractPack, options: dict | None = None) -> None:
        self.repo = repo
        self.pack = pack
        self.options = options or {}
        self._shared: dict[Hashable, object] = {}

    def shared(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, run once per check run for ``key``.

        For derived views of the facts that several checks need (a script's working-directory
        flow, ...): each is computed by the first check that asks and reused by the others.
        """
        if key not in self._shared:
            self._shared[key] = compute()
        return self._shared[key]

    @cached_property
    def resolution(self):
        from meslint.resolve import resolve

        return resolve(self.repo, self.pack, self.shared)


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    gate: str
    severity: str
    summary: str
    doc: str
    module: ModuleType

    @property
    def check(self) -> Callable[[CheckContext], Iterable[Finding]]:
        return self.module.check

    def sections(self) -> dict[str, str]:
        return parse_sections(self.doc)

    def finding(self, message: str, location: Location, related: Iterable[Related] = (),
                subject: str = "") -> Finding:
        return Finding(code=self.code, name=self.name, severity=self.severity, message=message,
                       location=location, related=tuple(related), subject=subject)


def parse_sections(doc: str) -> dict[str, str]:
    sections: dict[str, str] = {}
    current = None
    lines: list[str] = []
    for line in doc.splitlines():
        match = re.match(r"^## (.+?)\s*$", line)
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
def all_rules() -> tuple[Rule, ...]:
    rules = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if not hasattr(module, "CODE"):
            continue
        doc = (module.__doc__ or "").strip()
        summary = doc.splitlines()[0].strip() if doc else ""
        rules.append(Rule(module.CODE, module.NAME, module.GATE, getattr(module, "SEVERITY", "error"),
                          summary, doc, module))
    return tuple(sorted(rules, key=lambda r: r.code))


def rule_by_code(code: str) -> Rule | None:
    code = code.upper()
    for rule in all_rules():
        if rule.code == code or rule.name == code.lower():
            return rule
    return None
