"""``meslint check --fix | --unsafe-fixes | --diff | --fix-only | --show-fixes``.

The loop: evaluate the repository, apply the wanted fixes (:mod:`meslint.fixer`) to the
files' texts in memory, evaluate again with those texts in place of the files (the same
overlay an editor's unsaved buffer uses), and repeat until a pass applies nothing, at most
:data:`MAX_PASSES` passes.  The last evaluation is the report of what is left.  Only then are
the files written (``--diff`` writes nothing and prints what would change).
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from meslint import fixer
from meslint.engine import RunResult, load_contract, run
from meslint.findings import Finding, Report
from meslint.reporters.escape import visible

MAX_PASSES = 10


@dataclass
class FixOutcome:
    result: RunResult  # the evaluation of the fixed texts
    applied: list[Finding]  # the findings whose fix was applied, over all passes
    files: dict[str, fixer.FileText]
    refusals: list[str]
    converged: bool  # False: fixes still applied in the last allowed pass


def fix_loop(root: Path, settings, pack, *, unsafe: bool, report_files: frozenset[str] | None = None,
             max_passes: int = MAX_PASSES) -> FixOutcome:
    files: dict[str, fixer.FileText] = {}
    applied: list[Finding] = []
    refusals: list[str] = []
    for _ in range(max_passes):
        result = run(root, settings, pack, overlay=_overlay(files))
        chosen = [f for f in fixer.wanted(result.findings, settings, unsafe)
                  if report_files is None or f.location.path in report_files]
        done = fixer.apply_fixes(root, files, chosen, settings.max_file_size, refusals)
        if not done:
            return FixOutcome(result, applied, files, sorted(set(refusals)), True)
        applied.extend(done)
    result = run(root, settings, pack, overlay=_overlay(files))
    return FixOutcome(result, applied, files, sorted(set(refusals)), False)


def _overlay(files: dict[str, fixer.FileText]) -> dict[str, str] | None:
    changed = {path: state.text for path, state in files.items() if state.changed}
    return changed or None


def run_fixes(args, root: Path, settings) -> tuple[Report | None, int]:
    """Fix as the command line asks.  (report, _): the findings left, to be reported as any run's;
    (None, code): done (``--diff``, ``--fix-only``), exit with ``code``."""
    from meslint.cli import _check_selectors

    _check_selectors(settings)
    pack = load_contract(settings, root, args.contract)
    unsafe = args.unsafe_fixes if args.unsafe_fixes is not None else settings.unsafe_fixes
    outcome = fix_loop(root, settings, pack, unsafe=unsafe, report_files=args.report_files)
    quiet = args.quiet
    for refusal in outcome.refusals:
        print(f"meslint: warning: {visible(refusal)}", file=sys.stderr)
    if not outcome.converged:
        print(f"meslint: warning: fixes still changed the files after {MAX_PASSES} passes; run again and "
              "report this as a bug", file=sys.stderr)
    if args.diff:
        text = fixer.diff(outcome.files)
        sys.stdout.write(text)
        if not quiet:
            print(f"meslint: would fix {_count(outcome.applied)}", file=sys.stderr)
            _show(outcome.applied, args.show_fixes, "would fix")
        return None, 1 if text else 0
    problems = fixer.write(root, outcome.files, settings.max_file_size)
    for problem in problems:
        print(f"meslint: error: {visible(problem)}", file=sys.stderr)
    result = outcome.result
    if problems:  # what was written is not what was evaluated: evaluate the files as they are
        result = run(root, settings, pack)
    if not quiet:
        print(f"meslint: fixed {_count(outcome.applied)}", file=sys.stderr)
        _show(outcome.applied, args.show_fixes, "fixed")
    if args.fix_only:
        return None, 2 if problems else 0
    report = Report(result.repo.root, result.pack.name, result.findings, result.suppressed, result.suppression_kinds)
    return report, 2 if problems else -1


def _count(findings: list[Finding]) -> str:
    return f"{len(findings)} finding{'s' if len(findings) != 1 else ''}"


def _show(applied: list[Finding], show: bool, verb: str) -> None:
    """``--show-fixes``: per file, how many findings of each code were fixed, as ruff lists them."""
    if not show or not applied:
        return
    by_file: dict[str, Counter] = {}
    for finding in applied:
        by_file.setdefault(finding.location.path, Counter())[(finding.code, finding.name)] += 1
    lines = [f"{verb.capitalize()} {_count(applied)}:"]
    for path in sorted(by_file):
        lines.append(f"- {visible(path)}:")
        for (code, name), count in sorted(by_file[path].items()):
            lines.append(f"    {count} × {code} ({name})")
    print("\n".join(lines), file=sys.stderr)


def show_available(findings: tuple[Finding, ...], settings) -> str:
    """``--show-fixes`` without fixing: each finding's fix and whether ``--fix`` would apply it."""
    lines = []
    for finding in findings:
        if finding.fix is None:
            continue
        applicability = fixer.effective_applicability(finding, settings)
        how = {"safe": "--fix", "unsafe": "--unsafe-fixes"}.get(applicability or "", "not applied")
        lines.append(f"{visible(finding.location.short())}: {finding.code} [{finding.fix.applicability}, "
                     f"{how}] {visible(finding.fix.message)}")
    return "\n".join(lines) + ("\n" if lines else "")
