"""Command line: ``meslint check | show-contract | rule | rules``.

Exit codes: 0 no findings, 1 findings, 2 usage, configuration or internal error.
"""

from __future__ import annotations

import argparse
import errno
import gc
import json
import os
import sys
from pathlib import Path
from typing import NoReturn

from meslint import __version__, baseline
from meslint.config import FAIL_ON, Settings, load_settings, project_root, split_codes
from meslint.errors import ConfigError, PackError
from meslint.findings import Report
from meslint.reporters.escape import json_text, visible

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
OUTPUT_FORMATS = ("text", "concise", "json", "json-lines", "sarif", "github", "junit")
# Formats whose readers (code scanning, workflow commands, JUnit) have no place for per-code counts.
STATISTICS_REFUSED = ("sarif", "github", "junit")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2, like ruff
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
    check.add_argument("--statistics", action="store_true",
                       help="print the number of findings per code (text, concise: a table; json, json-lines)")
    check.add_argument("-o", "--output-file", type=Path, metavar="FILE",
                       help="write the report to FILE instead of standard output")
    check.add_argument("-q", "--quiet", action="store_true",
                       help="print findings and nothing else (no summary line, no notes on stderr)")
    check.add_argument("--show-settings", action="store_true", help="print the resolved configuration and exit")
    check.add_argument("--baseline", type=Path, metavar="FILE",
                       help="report only findings the baseline FILE does not record (matched by code, subject, file "
                            "and line text, not line number; a new occurrence is reported)")
    check.add_argument("--write-baseline", type=Path, metavar="FILE",
                       help="record the current findings in FILE (then exit 0)")
    check.add_argument("--only-files", nargs="+", metavar="FILE",
                       help="evaluate the whole repository but report only findings touching these files")
    check.add_argument("--staged", action="store_true",
                       help="judge the commit being made: evaluate the git index and HEAD, report the findings "
                            "the index adds, in any file (the default pre-commit hook)")
    check.add_argument("--only-changed", action="store_true",
                       help="report only findings touching the files git says the commit changes (staged, or "
                            "PRE_COMMIT_FROM_REF...PRE_COMMIT_TO_REF); the second pre-commit hook")
    check.add_argument("--stdin-filename", metavar="PATH",
                       help="read PATH's unsaved content from stdin ('-' optional) and report the findings "
                            "with a site in PATH, at that site")
    check.add_argument("--fix", action=argparse.BooleanOptionalAction, default=None,
                       help="apply the safe fixes, then report what is left (default: the 'fix' setting)")
    check.add_argument("--unsafe-fixes", action=argparse.BooleanOptionalAction, default=None,
                       help="with --fix/--diff/--fix-only: apply the unsafe fixes too (they change a value)")
    check.add_argument("--diff", action="store_true",
                       help="print the unified diff of the fixes instead of applying them (exit 1 if any)")
    check.add_argument("--fix-only", action="store_true", help="apply the fixes and report no findings")
    check.add_argument("--show-fixes", action="store_true",
                       help="list the fixes applied (with --fix), or each finding's fix")
    check.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)

    show = sub.add_parser("show-contract", help="table of each contract setting per consumer, with provenance")
    show.add_argument("paths", nargs="*")
    _common_run_options(show)
    show.add_argument("--output-format", choices=("text", "json"), default="text")
    show.add_argument("--runtime", choices=("configured", "defaults"), default="configured",
                      help="configured: the runtimes the repository configures (default); defaults: each consumer "
                           "on its own, with no env file and no contract variable from a unit or the start script")
    show.add_argument("--override", action="append", default=[], metavar="NAME=VALUE",
                      help="what if NAME=VALUE: with --runtime configured, as the env file's only line; with "
                           "--runtime defaults, the only variable set (repeatable)")
    show.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)

    rule = sub.add_parser("rule", help="print a rule's documentation")
    rule.add_argument("code")
    rule.add_argument("--output-format", choices=("text", "json"), default="text")

    rules = sub.add_parser("rules", help="list all rules")
    rules.add_argument("--output-format", choices=("text", "json"), default="text")

    sub.add_parser("pack-schema", help="print the JSON Schema of the contract pack format")

    init = sub.add_parser("init", help="write a starting contract pack from what the repository holds")
    init.add_argument("path", nargs="?", default=".", help="the repository (default: the current directory)")
    init.add_argument("--output", default="meslint-pack.yaml",
                      help="the pack file to write, relative to the repository (never replaced if it exists)")
    init.add_argument("--name", help="the pack's name (default: the repository directory's name)")
    gates = sub.add_parser("gates", help="which cutover gates are statically ready (meslint.gates)")
    gates.add_argument("paths", nargs="*")
    _common_run_options(gates)
    gates.add_argument("--output-format", choices=("text", "json"), default="text")
    gates.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


def _common_run_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--contract", help="contract pack: a built-in name or a path to a pack file")
    sub.add_argument("--config", action="append", default=[], metavar="FILE|KEY=VALUE",
                     help="configuration file (default: the project's meslint.toml or pyproject.toml), or a "
                          "TOML 'KEY = VALUE' setting overriding it (repeatable, as ruff's --config)")
    sub.add_argument("--extend-exclude", metavar="GLOB,...",
                     help="comma-separated globs to exclude in addition to the configured 'exclude'")
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
        if sys.stdout is None:  # started with stdout closed (>&-)
            raise OSError(errno.EBADF, "standard output is closed")
        code = _dispatch(args)
        sys.stdout.flush()  # a closed pipe or a full disk fails here, not in a traceback at exit
        return code
    except (ConfigError, PackError) as exc:
        print(f"meslint: error: {visible(str(exc))}", file=sys.stderr)  # may quote the repository's config
        return EXIT_ERROR
    except OSError as exc:
        return _system_error(exc)
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


def _system_error(exc: OSError) -> int:
    """The system refused something (a permission, a closed or full output): the user's to fix, one line."""
    if exc.filename is None:  # not a named file: writing the output failed
        try:  # the interpreter flushes stdout again at exit; let that go nowhere instead of failing
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass
        what = "cannot write the output"
    else:
        what = f"{exc.filename}"
    print(f"meslint: error: {what}: {exc.strerror or type(exc).__name__}", file=sys.stderr)
    return EXIT_ERROR


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "pack-schema":
        from meslint.pack_schema import pack_schema

        print(json.dumps(pack_schema(), indent=2, ensure_ascii=False))
        return EXIT_CLEAN
    if args.command == "init":
        from meslint.pack_init import init_pack

        target, _ = init_pack(Path(args.path), args.output, args.name)
        print(f"wrote {visible(str(target))}: check every guess in it, then run "
              f"meslint check --contract {visible(args.output)}")
        return EXIT_CLEAN
    if args.command == "rules":
        from meslint.rule_docs import rules_table

        print(rules_table(output_format=args.output_format))
        return EXIT_CLEAN
    if args.command == "rule":
        from meslint.rule_docs import rule_doc

        text = rule_doc(args.code, args.output_format)
        if text is None:
            raise ConfigError(f"unknown rule {args.code!r} (see 'meslint rules')")
        print(text)
        return EXIT_CLEAN
    root, args.report_files, args.stdin_path = _target(args)
    from meslint import cachefiles

    cachefiles.configure(enabled=not args.no_cache, directory=args.cache_dir)
    settings = _settings(root, args)
    if args.command == "show-contract":
        return _show_contract(args, root, settings)
    if args.command == "gates":
        from meslint.gates import command

        return command(args, root, settings)
    return _check(args, root, settings)


def _settings(root: Path, args: argparse.Namespace) -> Settings:
    """The configuration file's settings, then ``--config KEY=VALUE`` overrides and ``--extend-exclude``.

    As ruff decides: a ``--config`` value that names an existing file, or holds no ``=``, is a file
    (one at most); any other is a TOML ``KEY = VALUE`` pair."""
    from meslint.config import check_glob, settings_from_table, toml_setting

    files = [value for value in args.config if "=" not in value or Path(value).is_file()]
    if len(files) > 1:
        raise ConfigError("--config: give one configuration file (the other values must be KEY = VALUE)")
    settings = load_settings(root, Path(files[0]) if files else None)
    overrides: dict = {}
    for value in args.config:
        if value not in files:
            overrides.update(toml_setting(value))
    if overrides:
        chosen = settings_from_table(overrides, "--config")
        for key in overrides:
            attr = key.replace("-", "_")
            setattr(settings, attr, getattr(chosen, attr))
    extra = tuple(part.strip() for part in (getattr(args, "extend_exclude", None) or "").split(",") if part.strip())
    for pattern in extra:
        check_glob(pattern, "--extend-exclude")
    settings.exclude = settings.exclude + extra
    return settings


def _target(args: argparse.Namespace) -> tuple[Path, frozenset[str] | None, str | None]:
    """The repository root, the files to report on (None: all) and the stdin file's path."""
    paths = list(args.paths)
    stdin_name = getattr(args, "stdin_filename", None)
    only = list(getattr(args, "only_files", None) or [])
    if "-" in paths:
        if not stdin_name:
            raise ConfigError("'-' reads a file's content from stdin: give its path with --stdin-filename PATH")
        paths.remove("-")
    elif stdin_name and paths:
        # Without '-' (as ruff allows) the content still comes on stdin; other paths would be ambiguous.
        raise ConfigError("--stdin-filename reads the content from stdin: give no other path (or only '-')")
    files = [p for p in paths if Path(p).is_file()]
    dirs = [p for p in paths if p not in files]
    if dirs and files:
        raise ConfigError("give either one repository directory or files inside a repository, not both")
    anchors = files + only + ([stdin_name] if stdin_name else [])
    if dirs or not anchors:
        root = _root_of(dirs)
    else:
        root = _root_of_files(anchors)
    report = frozenset(_relative(root, p) for p in files + only) if files or only else None
    return root, report, _relative(root, stdin_name) if stdin_name else None


def _root_of_files(anchors: list[str]) -> Path:
    """One project root for the given files (see config.project_root).  Files under two configured
    or version-controlled roots are two projects; a file whose root was only guessed (a plain
    pyproject.toml, or its directory) joins the widest root found."""
    cwd = Path.cwd().resolve()
    found = set()
    for anchor in anchors:
        root, how = project_root(Path(os.path.abspath(anchor)).parent)
        if how == "start" and root.resolve().is_relative_to(cwd):
            root = cwd  # no marker anywhere: the directory meslint runs in, as before
        found.add((root, how))
    strong = sorted({root for root, how in found if how in ("config", "vcs")})
    if len(strong) > 1:
        raise ConfigError(f"the files belong to different projects ({strong[0]} and {strong[1]}): "
                          "check one project at a time")
    if strong:
        return strong[0].resolve()
    widest = min((root for root, _ in found), key=lambda root: len(root.parts))
    return widest.resolve()


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
    return project_root(Path.cwd())[0].resolve()


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
    if run_cache is not None:
        run_cache.inventory(pack.named_files)  # before anything is read
    # With a run cache, checks whose inputs did not change since the recorded run are replayed.
    result = run(root, settings, pack, overlay=dict([stdin]) if stdin is not None else None,
                 prior=run_cache.prior if run_cache is not None else None,
                 track=run_cache is not None and stdin is None)
    report = Report(result.repo.root, result.pack.name, result.findings, result.suppressed,
                    result.suppression_kinds)
    if run_cache is not None and stdin is None:
        run_cache.record(report, pack.named_files, [source.path for source in result.repo.files],
                         result.incremental)
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


def _show_contract(args: argparse.Namespace, root: Path, settings: Settings) -> int:
    from meslint.build import build_repository
    from meslint.engine import load_contract
    from meslint.reporters.contract import render_contract
    from meslint.resolve import resolve

    overrides = [_override(text) for text in args.override]
    pack = load_contract(settings, root, args.contract)
    repo = build_repository(root, pack, max_file_size=settings.max_file_size, exclude=settings.exclude)
    if args.runtime == "configured" and not overrides:
        resolution = resolve(repo, pack)
    else:
        from meslint import counterfactual

        what_if = (counterfactual.code_defaults(repo, pack, resolve(repo, pack), overrides)
                   if args.runtime == "defaults"
                   else counterfactual.no_env_file(overrides))
        resolution = counterfactual.resolve_what_if(repo, pack, what_if)
    from meslint.reporters.write_sets import write_sets

    sys.stdout.write(render_contract(resolution, args.output_format, write_sets(repo, pack, resolution)))
    return EXIT_CLEAN


def _override(text: str) -> tuple[str, str]:
    """``NAME=VALUE`` of ``show-contract --override``."""
    name, sep, value = text.partition("=")
    if not sep or not (name.isascii() and name.isidentifier()):
        raise ConfigError(f"--override {json_text(text)}: give NAME=VALUE with NAME a variable name")
    return name, value


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


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
