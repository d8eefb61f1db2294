"""Run the selected checks over one parsed repository."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from meslint import parallel_checks
from meslint.build import TEXTS, build_repository
from meslint.checks import CheckContext, RegisteredRule, all_rules, unused_suppression
from meslint.config import Settings
from meslint.discovery import Discovery
from meslint.facts import Repository
from meslint.findings import Finding, normalise_line
from meslint.pack import ContractPack, apply_overrides, load_pack
from meslint.pack_detect import require_detected
from meslint.records import record


@record
class RunResult:
    repo: Repository
    pack: ContractPack
    findings: tuple[Finding, ...]  # active findings: not suppressed, not waived
    context: CheckContext
    # Findings an inline suppression or a config waiver covers, and for each its SARIF
    # suppression kind ("inSource" or "external").
    suppressed: tuple[Finding, ...] = ()
    suppression_kinds: tuple[str, ...] = ()
    # What each check read, for the next run (meslint.incremental): computed when asked for.
    incremental: Callable[[], dict | None] | None = None


def load_contract(settings: Settings, root: Path, override: str | None = None) -> ContractPack:
    """``override``: ``--contract`` (trusted); else the configuration's, confined to the repository
    when the configuration is the repository's own."""
    pack = load_pack(override or settings.contract, base_dir=root,
                     confined=override is None and settings.from_repository)
    if override is None and not settings.contract_configured:
        require_detected(pack, root)  # the built-in default applies only to its own layout
    if settings.pack_overrides:
        pack = apply_overrides(pack, settings.pack_overrides, settings.source or "configuration")
    return pack


def run(root: Path, settings: Settings, pack: ContractPack, overlay: dict[str, str] | None = None,
        found: Discovery | None = None, prior: dict | None = None, track: bool = False) -> RunResult:
    """``found``: the files to check instead of discovering ``root``'s (a git tree, see meslint.staged).

    ``track``: measure what each check reads and return it (``RunResult.incremental``); ``prior``:
    such a record from an earlier run under the same settings, whose unaffected checks are replayed."""
    repo = build_repository(root, pack, max_file_size=settings.max_file_size,
                            exclude=settings.exclude, overlay=overlay, found=found)
    context = CheckContext(repo, pack)
    tracker = None
    if track or prior is not None:
        from meslint.incremental import Fingerprints, Tracker

        tracker = Tracker(repo, pack, prior, Fingerprints(repo, repo._index.get(TEXTS, {})))
    findings: list[Finding] = []
    checks = ([(rule.code, rule.check) for rule in selected_rules(settings) if rule.check is not None]
              if tracker is None else tracker.plan(lambda: selected_rules(settings)))
    if tracker is None:
        def run_one(code: str, check: Callable) -> list:
            return list(check(context))
    else:
        def run_one(code: str, check: Callable) -> list:
            return tracker.run_check(code, check, lambda proxy: CheckContext(proxy, pack))
    found_by_code = parallel_checks.run(checks, run_one, tracker, size=sum(source.size for source in repo.files))
    for code, _ in checks:
        for finding in found_by_code[code]:
            if settings.is_selected(finding.code, finding.location.path):
                findings.append(finding)
    findings = _dedupe(sorted(findings, key=Finding.sort_key))
    active, suppressed, kinds, used, used_waivers = apply_suppressions(findings, repo.suppressions, settings.waivers)
    # MES100 needs every other finding and the suppressions they used, so the engine
    # computes it here (the rule module has no check of its own).
    if settings.is_selected(unused_suppression.RULE.code) and (repo.suppressions or settings.waivers):
        rules = selected_rules(settings)
        for finding in unused_suppression.unused(repo, settings, rules, used, used_waivers):
            if settings.is_selected(finding.code, finding.location.path):
                active.append(finding)
    active.sort(key=Finding.sort_key)
    texts = repo._index.pop(TEXTS, {})
    active, suppressed = anchored(active, texts), anchored(suppressed, texts)
    record = tracker.record if tracker is not None and track else None
    return RunResult(repo, pack, tuple(active), context, tuple(suppressed), tuple(kinds), record)


def anchored(findings: list[Finding], texts: dict[str, str]) -> list[Finding]:
    """``findings`` with each one's primary line text (the baseline identity's content part)."""
    lines: dict[str, list[str]] = {}
    result = []
    for finding in findings:
        path, number = finding.location.path, finding.location.line
        if path not in lines:
            lines[path] = texts.get(path, "").split("\n")
        split = lines[path]
        text = split[number - 1] if 0 < number <= len(split) else ""
        result.append(replace(finding, anchor=normalise_line(text)))
    return result


def apply_suppressions(findings: list[Finding], suppressions: tuple, waivers: tuple) -> tuple:
    """Split findings into active and suppressed; also which suppressions and waivers were used."""
    active: list[Finding] = []
    suppressed: list[Finding] = []
    kinds: list[str] = []
    used: dict[int, set[str]] = {}  # suppression -> the code prefixes of it some finding matched
    used_waivers: set[int] = set()
    for finding in findings:
        kind = None
        for index, suppression in enumerate(suppressions):
            if suppression.covers(finding.code, finding.location):
                used.setdefault(index, set()).update(c for c in suppression.codes if finding.code.startswith(c))
                kind = "inSource"
        if kind is None:
            for index, waiver in enumerate(waivers):
                if waiver.matches(finding):
                    used_waivers.add(index)
                    kind = "external"
        if kind is None:
            active.append(finding)
        else:
            suppressed.append(replace(finding, suppressed=True))
            kinds.append(kind)
    return active, suppressed, kinds, used, used_waivers


def selected_rules(settings: Settings) -> list[RegisteredRule]:
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
