"""Command line: ``meslint check | show-contract | rule | rules``.

Exit codes: 0 no findings, 1 findings, 2 usage, configuration or internal error.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from meslint import __version__
from meslint.config import ConfigError, Settings, load_settings, split_codes
from meslint.pack import PackError

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
OUTPUT_FORMATS = ("text", "concise", "json")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, like ruff
        self.exit(EXIT_ERROR, f"meslint: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="meslint", description="Static contract linter for conda + systemd deployments.")
    parser.add_argument("--version", action="version", version=f"meslint {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    check = sub.add_parser("check", help="check a repository (default: the current one)")
    check.add_argument("paths", nargs="*", help="repository root (default: the enclosing repository)")
    _common_run_options(check)
    check.add_argument("--select", help="comma-separated codes or prefixes to enable (e.g. MES6)")
    check.add_argument("--ignore", help="comma-separated codes or prefixes to disable")
    check.add_argument("--extend-select", help="codes or prefixes to enable in addition to the selection")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("--output-format", choices=OUTPUT_FORMATS, default="text")
    check.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    check.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)

    show = sub.add_parser("show-contract", help="table of each contract setting per consumer, with provenance")
    show.add_argument("paths", nargs="*")
    _common_run_options(show)
    show.add_argument("--output-format", choices=("text", "json"), default="text")
    show.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)

    rule = sub.add_parser("rule", help="print a rule's documentation")
    rule.add_argument("code")
    rule.add_argument("--output-format", choices=("text", "json"), default="text")

    sub.add_parser("rules", help="list all rules")
    return parser


def _common_run_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--contract", help="contract pack: a built-in name or a path to a pack file")
    sub.add_argument("--config", type=Path, help="configuration file (default: meslint.toml or pyproject.toml)")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        build_parser().print_help()
        return EXIT_ERROR
    try:
        return _dispatch(args)
    except (ConfigError, PackError) as exc:
        print(f"meslint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if getattr(args, "debug", False):
            raise
        print(f"meslint: internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)",
              file=sys.stderr)
        return EXIT_ERROR


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "rules":
        from meslint.docs import rules_table

        print(rules_table())
        return EXIT_CLEAN
    if args.command == "rule":
        from meslint.docs import rule_doc

        text = rule_doc(args.code, args.output_format)
        if text is None:
            raise ConfigError(f"unknown rule {args.code!r} (see 'meslint rules')")
        print(text)
        return EXIT_CLEAN
    root = _root_of(args.paths)
    settings = load_settings(root, args.config)
    if args.command == "show-contract":
        return _show_contract(args, root, settings)
    return _check(args, root, settings)


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


def _check(args: argparse.Namespace, root: Path, settings: Settings) -> int:
    from meslint.engine import load_contract, run
    from meslint.reporters import render

    _apply_cli_selection(args, settings)
    pack = load_contract(settings, root, args.contract)
    result = run(root, settings, pack)
    color = _use_color(args.color)
    sys.stdout.write(render(args.output_format, result, color=color))
    if result.findings and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


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
