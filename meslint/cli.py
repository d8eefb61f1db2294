"""Command line: ``meslint check | show-contract | rule | rules``.

Exit codes: 0 no findings, 1 findings, 2 usage, configuration or internal error.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path

from meslint import __version__
from meslint.config import FAIL_ON, Settings, load_settings, split_codes
from meslint.errors import ConfigError, PackError
from meslint.findings import Report
from meslint.reporters.escape import json_text, visible

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
OUTPUT_FORMATS = ("text", "concise", "json", "json-lines", "sarif", "github", "junit")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, like ruff
        self.exit(EXIT_ERROR, f"meslint: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="meslint", description="Static contract linter for conda + systemd deployments.")
    parser.add_argument("--version", action="version", version=f"meslint {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    check = sub.add_parser("check", help="check a repository (default: the current one)")
    check.add_argument("paths", nargs="*",
                       help="repository root (default: the enclosing repository), or files in a repository to "
                            "report on (the whole repository is still evaluated), or - with --stdin-filename")
    _common_run_options(check)
    check.add_argument("--select", help="comma-separated codes or prefixes to enable (e.g. MES6)")
    check.add_argument("--ignore", help="comma-separated codes or prefixes to disable")
    check.add_argument("--extend-select", help="codes or prefixes to enable in addition to the selection")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("--output-format", choices=OUTPUT_FORMATS, default="text")
    check.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    check.add_argument("--fail-on", choices=FAIL_ON,
                       help="exit 1 only for findings of this severity or above (default: info, i.e. any)")
    check.add_argument("--statistics", action="store_true", help="print the number of findings per code")
    check.add_argument("--show-settings", action="store_true", help="print the resolved configuration and exit")
    check.add_argument("--baseline", type=Path, metavar="FILE",
                       help="report only findings whose fingerprint is not in this baseline file")
    check.add_argument("--write-baseline", type=Path, metavar="FILE",
                       help="record the current findings in FILE (then exit 0)")
    check.add_argument("--only-files", nargs="+", metavar="FILE",
                       help="evaluate the whole repository but report only findings touching these files")
    check.add_argument("--stdin-filename", metavar="PATH",
                       help="with '-': read PATH's unsaved content from stdin, report findings in PATH only")
    check.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)

    show = sub.add_parser("show-contract", help="table of each contract setting per consumer, with provenance")
    show.add_argument("paths", nargs="*")
    _common_run_options(show)
    show.add_argument("--output-format", choices=("text", "json"), default="text")
    show.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)

    rule = sub.add_parser("rule", help="print a rule's documentation")
    rule.add_argument("code")
    rule.add_argument("--output-format", choices=("text", "json"), default="text")

    rules = sub.add_parser("rules", help="list all rules")
    rules.add_argument("--output-format", choices=("text", "json"), default="text")
    return parser


def _common_run_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--contract", help="contract pack: a built-in name or a path to a pack file")
    sub.add_argument("--config", type=Path, help="configuration file (default: meslint.toml or pyproject.toml)")
    sub.add_argument("--no-cache", action="store_true",
                     help="evaluate and parse everything: neither read nor write the run and fact caches")
    sub.add_argument("--cache-dir", type=Path,
                     help="cache directory (default: .meslint_cache in the checked root)")


def main(argv: list[str] | None = None) -> int:
    try:
        code = _main(argv)
    except KeyboardInterrupt:  # Ctrl-C outside the run itself: argument parsing, error reporting
        code = 130
    if code == 130:  # Ctrl-C, and only that
        print("meslint: interrupted", file=sys.stderr)
    return code


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        build_parser().print_help()
        return EXIT_ERROR
    try:
        return _dispatch(args)
    except (ConfigError, PackError) as exc:
        print(f"meslint: error: {visible(str(exc))}", file=sys.stderr)  # may quote the repository's config
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        summary = visible(" ".join(str(exc).split()))  # one line, whatever the exception's text holds
        if getattr(args, "debug", False):
            import traceback

            traceback.print_exc(file=sys.stderr)  # still exit 2: 1 means "findings"
            print(f"meslint: internal error: {type(exc).__name__}: {summary}", file=sys.stderr)
            return EXIT_ERROR
        print(f"meslint: internal error: {type(exc).__name__}: {summary} (rerun with --debug for the traceback)",
              file=sys.stderr)
        return EXIT_ERROR


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "rules":
        from meslint.docs import rules_table

        print(rules_table(output_format=args.output_format))
        return EXIT_CLEAN
    if args.command == "rule":
        from meslint.docs import rule_doc

        text = rule_doc(args.code, args.output_format)
        if text is None:
            raise ConfigError(f"unknown rule {args.code!r} (see 'meslint rules')")
        print(text)
        return EXIT_CLEAN
    root, args.report_files, args.stdin_path = _target(args)
    from meslint import cachefiles

    cachefiles.configure(enabled=not args.no_cache, directory=args.cache_dir)
    settings = load_settings(root, args.config)
    if args.command == "show-contract":
        return _show_contract(args, root, settings)
    return _check(args, root, settings)


def _target(args: argparse.Namespace) -> tuple[Path, frozenset[str] | None, str | None]:
    """The repository root, the files to report on (None: all) and the stdin file's path."""
    paths = list(args.paths)
    stdin_name = getattr(args, "stdin_filename", None)
    only = list(getattr(args, "only_files", None) or [])
    if "-" in paths:
        if not stdin_name:
            raise ConfigError("'-' reads a file's content from stdin: give its path with --stdin-filename PATH")
        paths.remove("-")
    elif stdin_name:
        raise ConfigError("--stdin-filename needs '-' as the path (the content comes on stdin)")
    files = [p for p in paths if Path(p).is_file()]
    dirs = [p for p in paths if p not in files]
    if dirs and files:
        raise ConfigError("give either one repository directory or files inside a repository, not both")
    anchors = files + only + ([stdin_name] if stdin_name else [])
    if dirs or not anchors:
        root = _root_of(dirs)
    else:
        root = _repository_of(Path(os.path.abspath(anchors[0])).parent)
    report = frozenset(_relative(root, p) for p in files + only) if files or only else None
    return root, report, _relative(root, stdin_name) if stdin_name else None


def _repository_of(start: Path) -> Path:
    """Nearest ancestor holding .git, meslint.toml or pyproject.toml (else the current directory, if the
    files are under it, else their directory)."""
    for candidate in (start, *start.parents):
        if any((candidate / marker).exists() for marker in (".git", "meslint.toml", ".meslint.toml",
                                                            "pyproject.toml")):
            return candidate.resolve()
    cwd = Path.cwd().resolve()
    return cwd if start.resolve().is_relative_to(cwd) else start.resolve()


def _relative(root: Path, path: str) -> str:
    given = Path(path)
    candidates = [Path(os.path.abspath(given)), given.resolve()]
    if not given.is_absolute() and not given.exists():
        candidates.append(root / given)  # relative to the repository root
    for candidate in candidates:
        for base in (root, root.resolve()):
            try:
                return candidate.relative_to(base).as_posix()
            except ValueError:
                continue
    raise ConfigError(f"{path}: not inside the checked repository {root}")


def _root_of(paths: list[str]) -> Path:
    if len(paths) > 1:
        raise ConfigError("check one repository at a time (got several paths)")
    if paths:
        root = Path(paths[0])
        if not root.exists():
            raise ConfigError(f"{paths[0]}: no such directory")
        if not root.is_dir():
            raise ConfigError(f"{paths[0]}: not a directory (give the repository root)")
        return root.resolve()
    return _enclosing_repository(Path.cwd())


def _enclosing_repository(start: Path) -> Path:
    for candidate in (start, *start.parents):
        if (candidate / ".git").exists():
            return candidate
    return start


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
                              ("extend-select", settings.extend_select), ("per-file-ignores", per_file)):
        for selector in selectors:
            upper = selector.upper()
            if upper != "ALL" and not any(code.startswith(upper) for code in codes):
                raise ConfigError(f"{option}: unknown rule selector {selector!r} (see 'meslint rules')")


def _check(args: argparse.Namespace, root: Path, settings: Settings) -> int:
    from meslint.reporters import render

    _apply_cli_selection(args, settings)
    if args.fail_on:
        settings.fail_on = args.fail_on
    if args.show_settings:
        _check_selectors(settings)
        sys.stdout.write(_settings_text(root, settings, args.contract))
        return EXIT_CLEAN
    baseline = read_baseline(args.baseline) if args.baseline else None
    stdin = (args.stdin_path, sys.stdin.read()) if args.stdin_path is not None else None
    report = _report(root, settings, args.contract, stdin)
    report = _narrow(report, args.report_files, args.stdin_path, baseline)
    if args.write_baseline:
        count = write_baseline(args.write_baseline, report.findings)
        print(f"meslint: wrote {count} finding(s) to {args.write_baseline}", file=sys.stderr)
        return EXIT_CLEAN
    if args.statistics:
        from meslint.reporters.ci import render_statistics

        sys.stdout.write(render_statistics(report.findings, args.output_format))
    else:
        sys.stdout.write(render(args.output_format, report, color=_use_color(args.color)))
    if args.exit_zero:
        return EXIT_CLEAN
    threshold = FAIL_ON.index(settings.fail_on)
    failing = [f for f in report.findings if FAIL_ON.index(f.severity) <= threshold]
    return EXIT_FINDINGS if failing else EXIT_CLEAN


def _report(root: Path, settings: Settings, contract: str | None, stdin: tuple[str, str] | None) -> Report:
    """The run's findings: replayed from the run cache when nothing changed, else computed (and recorded).

    Selector validation is skipped on a replay: the cache key covers settings and meslint's
    own sources, so a recorded run had selectors that validated.
    """
    from meslint.run_cache import RunCache

    run_cache = RunCache.open(root, settings, contract or settings.contract)
    if run_cache is not None:
        replayed = run_cache.replay(stdin)
        if replayed is not None:
            return replayed
    _check_selectors(settings)
    from meslint.engine import load_contract, run

    # Parsing builds millions of short-lived AST nodes without reference cycles; at the default
    # threshold (700) the cyclic collector runs thousands of times over a growing heap.
    # Measured on the MES Dashboard tree: about 10-20% of a cold run (as mypy does, raise it).
    gc.set_threshold(100_000, 50, 100)

    pack = load_contract(settings, root, contract)
    if run_cache is not None:
        run_cache.inventory(tuple(pack.docs.mirrors))  # before anything is read
    result = run(root, settings, pack, overlay=dict([stdin]) if stdin is not None else None)
    report = Report(result.repo.root, result.pack.name, result.findings, result.suppressed,
                    result.suppression_kinds)
    if run_cache is not None and stdin is None:
        run_cache.record(report, tuple(pack.docs.mirrors), [source.path for source in result.repo.files])
    return report


def _narrow(report: Report, report_files: frozenset[str] | None, stdin_path: str | None,
            baseline: set[str] | None) -> Report:
    """Keep findings in the given files (primary or related site; stdin: primary site) and not baselined."""
    from dataclasses import replace

    def wanted(finding) -> bool:
        if stdin_path is not None:
            return finding.location.path == stdin_path
        if report_files is not None:
            return bool({finding.location.path, *(r.location.path for r in finding.related)} & report_files)
        return True

    active, baselined = [], []
    for finding in report.findings:
        if not wanted(finding):
            continue
        if baseline is not None and finding.fingerprint() in baseline:
            baselined.append(replace(finding, suppressed=True))
        else:
            active.append(finding)
    pairs = [(f, k) for f, k in zip(report.suppressed, report.suppression_kinds, strict=True) if wanted(f)]
    pairs += [(f, "external") for f in baselined]
    return replace(report, findings=tuple(active), suppressed=tuple(f for f, _ in pairs),
                   suppression_kinds=tuple(k for _, k in pairs))


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


def read_baseline(path: Path) -> set[str]:
    import json

    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return {entry["fingerprint"] for entry in document["findings"]}
    except FileNotFoundError:
        raise ConfigError(f"{path}: baseline file not found (create it with --write-baseline)") from None
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: not a meslint baseline ({type(exc).__name__}: {exc})") from None


def write_baseline(path: Path, findings) -> int:
    """JSON, sorted; fingerprints match, the other fields are for the humans reviewing it."""
    import json

    # visible(): the human fields hold no control character, nor a lone surrogate (a
    # non-UTF-8 file name) that UTF-8 cannot encode.
    entries = sorted(
        ({"fingerprint": f.fingerprint(), "code": f.code, "subject": visible(f.subject),
          "path": visible(f.location.path), "message": visible(f.message)} for f in findings),
        key=lambda e: (e["path"], e["code"], e["subject"], e["fingerprint"], e["message"]),
    )
    unique = list({e["fingerprint"]: e for e in entries}.values())
    document = {"version": 1, "tool": "meslint", "findings": unique}
    try:
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write the baseline: {exc}") from None
    return len(unique)


def _show_contract(args: argparse.Namespace, root: Path, settings: Settings) -> int:
    from meslint.engine import load_contract
    from meslint.model import build_repository
    from meslint.reporters.contract import render_contract
    from meslint.resolve import resolve

    pack = load_contract(settings, root, args.contract)
    repo = build_repository(root, pack, max_file_size=settings.max_file_size, exclude=settings.exclude)
    sys.stdout.write(render_contract(resolve(repo, pack), args.output_format))
    return EXIT_CLEAN


def _use_color(choice: str) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
