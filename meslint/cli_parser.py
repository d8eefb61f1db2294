"""The command line's exit codes and argument parser (a part of :mod:`meslint.cli`, which re-exports them)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import NoReturn

from meslint import __version__
from meslint.config import FAIL_ON

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
    server = sub.add_parser("server", help="a resident meslint that runs this user's meslint commands warm",
                            description="start: in the background, returns once it accepts runs; run: in the "
                                        "foreground (for a service manager); stop; status (exit 1: not running). "
                                        "While it runs, `meslint` hands each run to it (MESLINT_NO_SERVER=1: never).")
    server.add_argument("action", choices=("start", "stop", "status", "run"))
    server.add_argument("--timeout", type=float, metavar="SECONDS",
                        help="start/run: stop after SECONDS without a run (default: never; "
                             "MESLINT_SERVER=auto starts one with 1800)")
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
