"""Run the selected checks over one parsed repository."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from meslint.checks import CheckContext, Rule, all_rules
from meslint.config import Settings
from meslint.facts import Repository
from meslint.findings import Finding
from meslint.model import build_repository
from meslint.pack import ContractPack, apply_overrides, load_pack


@dataclass(frozen=True)
class RunResult:
    repo: Repository
    pack: ContractPack
    findings: tuple[Finding, ...]
    context: CheckContext


def load_contract(settings: Settings, root: Path, override: str | None = None) -> ContractPack:
    pack = load_pack(override or settings.contract, base_dir=root)
    if settings.pack_overrides:
        pack = apply_overrides(pack, settings.pack_overrides, settings.source or "configuration")
    return pack


def run(root: Path, settings: Settings, pack: ContractPack, overlay: dict[str, str] | None = None) -> RunResult:
    repo = build_repository(root, pack, max_file_size=settings.max_file_size,
                            exclude=settings.exclude, overlay=overlay)
    context = CheckContext(repo, pack)
    findings: list[Finding] = []
    for rule in selected_rules(settings):
        for finding in rule.check(context):
            if settings.is_selected(finding.code, finding.location.path):
                findings.append(finding)
    findings = _dedupe(sorted(findings, key=Finding.sort_key))
    return RunResult(repo, pack, tuple(findings), context)


def selected_rules(settings: Settings) -> list[Rule]:
    return [rule for rule in all_rules() if settings.is_selected(rule.code)]


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen = set()
    unique = []
    for finding in findings:
        key = (finding.code, finding.location, finding.message)
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return unique
