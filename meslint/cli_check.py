"""The ``check`` command (a part of :mod:`meslint.cli`): the rule selection, the run (replayed from
the run cache, fixed, or judging the git index), the report narrowed to the files asked for and
past the baseline, and its output."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path

from meslint import baseline
from meslint.cli_parser import EXIT_CLEAN, EXIT_FINDINGS, STATISTICS_REFUSED
from meslint.config import FAIL_ON, Settings, split_codes
from meslint.errors import ConfigError
from meslint.findings import Report
from meslint.reporters.escape import json_text


def _apply_cli_selection(args: argparse.Namespace, settings: Settings) -> None:
    if args.select:
        settings.select = split_codes(args.select)
    if args.ignore:
        settings.ignore = settings.ignore + split_codes(args.ignore)
    if args.extend_select:
        settings.extend_select = settings.extend_select + split_codes(args.extend_select)


def _check_selectors(settings: Settings) -> None:
    """A selector that matches no rule is a typo (like ruff, refuse it rather than select nothing)."""
    from meslint.checks import all_rules

    codes = [rule.code for rule in all_rules()]
    per_file = [c for codes_ in settings.per_file_ignores.values() for c in codes_]
    for option, selectors in (("select", settings.select), ("ignore", settings.ignore),
                              ("extend-select", settings.extend_select), ("per-file-ignores", per_file),
                              ("unfixable", settings.unfixable), ("extend-safe-fixes", settings.extend_safe_fixes),
                              ("extend-unsafe-fixes", settings.extend_unsafe_fixes)):
        for selector in selectors:
            upper = selector.upper()
            if upper != "ALL" and not any(code.startswith(upper) for code in codes):
                raise ConfigError(f"{option}: unknown rule selector {selector!r} (see 'meslint rules')")


def _check(args: argparse.Namespace, root: Path, settings: Settings) -> int:
    from meslint.reporters import render

    _apply_cli_selection(args, settings)
    if args.fail_on:
        settings.fail_on = args.fail_on
    if args.statistics and args.output_format in STATISTICS_REFUSED:
        raise ConfigError(f"--statistics prints counts (a table, or JSON with json and json-lines), which "
                          f"{args.output_format} output cannot carry; drop one of the two")
    if args.show_settings:
        _check_selectors(settings)
        sys.stdout.write(_settings_text(root, settings, args.contract))
        return EXIT_CLEAN
    if args.staged and args.stdin_path is not None:
        raise ConfigError("--staged checks the git index; it cannot be combined with --stdin-filename")
    if args.staged and args.write_baseline:
        raise ConfigError("--write-baseline records a whole run; --staged reports only what a commit adds")
    accepted = baseline.read_baseline(baseline.baseline_path(root, args.baseline)) if args.baseline else None
    fix_code, fixing = -1, _fixing(args, settings)
    stdin = (args.stdin_path, sys.stdin.read()) if args.stdin_path is not None else None
    if fixing:
        from meslint.fix_run import run_fixes

        fixed, fix_code = run_fixes(args, root, settings)
        if fixed is None:
            return fix_code
        report = fixed
    elif args.staged:
        from meslint.staged import allowance, staged_run

        _check_selectors(settings)
        report, at_head = staged_run(root, settings, args.contract)
        accepted = allowance(at_head, accepted)
    else:
        report = _report(root, settings, args.contract, stdin)
    if args.only_changed:
        from meslint.staged import changed_paths

        args.report_files = (args.report_files or frozenset()) | changed_paths(root)
    report = _narrow(report, args.report_files, args.stdin_path, accepted)
    if args.write_baseline:
        count = baseline.write_baseline(baseline.baseline_path(root, args.write_baseline), report.findings)
        if not args.quiet:
            print(f"meslint: wrote {count} finding(s) to {args.write_baseline}", file=sys.stderr)
        return EXIT_CLEAN
    if args.statistics:
        from meslint.reporters.ci import render_statistics

        text = render_statistics(report.findings, args.output_format)
    else:
        to_terminal = args.output_file is None and sys.stdout.isatty()
        text = render(args.output_format, report, color=_use_color(args.color, to_terminal), summary=not args.quiet)
    _emit(text, args.output_file)
    if args.show_fixes and not fixing:
        from meslint.fix_run import show_available

        sys.stderr.write(show_available(report.findings, settings))
    if fix_code >= 0:
        return fix_code
    if args.exit_zero:
        return EXIT_CLEAN
    threshold = FAIL_ON.index(settings.fail_on)
    failing = [f for f in report.findings if FAIL_ON.index(f.severity) <= threshold]
    return EXIT_FINDINGS if failing else EXIT_CLEAN


def _fixing(args: argparse.Namespace, settings: Settings) -> bool:
    """Whether this run fixes: --fix/--diff/--fix-only, or ``fix = true`` in the configuration (which a
    run judging something else than the working tree -- --staged, stdin -- or recording a baseline ignores)."""
    asked = bool(args.diff or args.fix_only or args.fix)
    other = args.staged or args.stdin_path is not None or args.write_baseline
    if asked and other:
        raise ConfigError("--fix, --diff and --fix-only change the working tree; they cannot be combined with "
                          "--staged, --stdin-filename or --write-baseline")
    return asked or (args.fix is None and settings.fix and not other)


def _report(root: Path, settings: Settings, contract: str | None, stdin: tuple[str, str] | None) -> Report:
    """The run's findings: replayed from the run cache when nothing changed, else computed (and recorded).

    Selector validation is skipped on a replay: the cache key covers settings and meslint's
    own sources, so a recorded run had selectors that validated.
    """
    from meslint.listing import one_listing

    with one_listing():  # the inventory and discovery list and stat the tree once
        return _run_or_replay(root, settings, contract, stdin)


def _run_or_replay(root: Path, settings: Settings, contract: str | None, stdin: tuple[str, str] | None) -> Report:
    from meslint.run_cache import RunCache

    run_cache = RunCache.open(root, settings, contract)
    if run_cache is not None:
        replayed = run_cache.replay(stdin)
        if replayed is not None:
            return replayed
    if run_cache is None or run_cache.prior is None:  # a record under these settings had valid selectors
        _check_selectors(settings)
    from meslint.engine import load_contract, run

    # Parsing builds millions of short-lived AST nodes without reference cycles; at the default
    # threshold (700) the cyclic collector runs thousands of times over a growing heap.
    # Measured on the MES Dashboard tree: about 10-20% of a cold run (as mypy does, raise it).
    gc.set_threshold(100_000, 50, 100)

    pack = load_contract(settings, root, contract)
    if run_cache is not None and stdin is None:  # an editor's buffer run is not recorded
        run_cache.inventory(pack.named_files)  # before anything is read
    # With a run cache, checks whose inputs did not change since the recorded run are replayed.
    result = run(root, settings, pack, overlay=dict([stdin]) if stdin is not None else None,
                 prior=run_cache.prior if run_cache is not None else None,
                 track=run_cache is not None and stdin is None)
    report = Report(result.repo.root, result.pack.name, result.findings, result.suppressed,
                    result.suppression_kinds)
    if run_cache is not None and stdin is None:
        from meslint import cachefiles

        read = [source.path for source in result.repo.files]
        cachefiles.write_later(lambda: run_cache.record(report, pack.named_files, read,
                                                        result.incremental() if result.incremental else None))
    return report


def _narrow(report: Report, report_files: frozenset[str] | None, stdin_path: str | None,
            baseline: dict[str, int] | None) -> Report:
    """Keep findings in the given files (primary or related site; stdin: any site in the buffer, where
    a related one becomes the shown location) and not baselined.

    A baseline accepts as many findings of a fingerprint as it counted, the first ones in report
    order; any more are new occurrences and reported."""
    from dataclasses import replace

    def wanted(finding) -> bool:
        if stdin_path is not None:
            return finding.location.path == stdin_path
        if report_files is not None:
            return bool({finding.location.path, *(r.location.path for r in finding.related)} & report_files)
        return True

    active, baselined = [], []
    remaining = dict(baseline or {})
    for finding in report.findings:
        if stdin_path is not None and finding.location.path != stdin_path:
            finding = _seen_from(finding, stdin_path)
        if finding is None or not wanted(finding):
            continue
        if remaining.get(finding.fingerprint(), 0) > 0:
            remaining[finding.fingerprint()] -= 1
            baselined.append(replace(finding, suppressed=True))
        else:
            active.append(finding)
    pairs = [(f, k) for f, k in zip(report.suppressed, report.suppression_kinds, strict=True) if wanted(f)]
    pairs += [(f, "external") for f in baselined]
    return replace(report, findings=tuple(active), suppressed=tuple(f for f, _ in pairs),
                   suppression_kinds=tuple(k for _, k in pairs))


def _seen_from(finding, path: str):
    """A finding with a related site in ``path`` (the edited buffer), moved to that site so the editor
    shows it there; its primary site becomes the first related one.  ``None``: no site in ``path``."""
    from dataclasses import replace

    from meslint.findings import Related

    sites = [r for r in finding.related if r.location.path == path]
    if not sites:
        return None
    others = tuple(r for r in finding.related if r is not sites[0])
    primary = Related(finding.location, f"primary site of this {finding.code} finding")
    return replace(finding, location=sites[0].location, related=(primary, *others))


def _settings_text(root: Path, settings: Settings, contract: str | None) -> str:
    values = {
        "root": str(root),
        "source": settings.source,
        "contract": contract or settings.contract,
        "select": list(settings.select),
        "extend-select": list(settings.extend_select),
        "ignore": list(settings.ignore),
        "per-file-ignores": {k: list(v) for k, v in settings.per_file_ignores.items()},
        "exclude": list(settings.exclude),
        "max-file-size": settings.max_file_size,
        "fail-on": settings.fail_on,
        "pack-overrides": settings.pack_overrides,
        "waivers": [{k: v for k, v in (("code", w.code), ("subject", w.subject), ("path", w.path),
                                       ("reason", w.reason)) if v is not None} for w in settings.waivers],
    }
    return "".join(f"{key} = {json_text(value)}\n" for key, value in values.items())


def _emit(text: str, output_file: Path | None) -> None:
    if output_file is None:
        sys.stdout.write(text)
        return
    try:
        output_file.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{output_file}: cannot write the report: {exc.strerror or exc}") from None


def _use_color(choice: str, to_terminal: bool) -> bool:
    """--color, then NO_COLOR, then FORCE_COLOR (both: set and not empty), then whether output is a terminal."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return to_terminal
