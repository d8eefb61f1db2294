"""Command line: ``meslint check | show-contract | rule | rules``.

Exit codes: 0 no findings, 1 findings, 2 usage, configuration or internal error.

This module runs a command and turns its failures into one line and an exit code; the rest is in
parts, re-exported here (import from here): :mod:`meslint.cli_parser` (exit codes, argument
parser), :mod:`meslint.cli_target` (the root, files and settings a command runs on),
:mod:`meslint.cli_check` (the ``check`` command) and :mod:`meslint.cli_commands` (the others;
``gates`` is :func:`meslint.gates.command`).
"""

from __future__ import annotations

import argparse
import errno
import os
import sys

from meslint.cli_check import _check
from meslint.cli_check import _check_selectors as _check_selectors  # for meslint.gates and meslint.fix_run,
from meslint.cli_check import _report as _report  # which run the checks as `check` does
from meslint.cli_commands import STANDALONE, show_contract, standalone
from meslint.cli_parser import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, OUTPUT_FORMATS, STATISTICS_REFUSED, build_parser
from meslint.cli_target import _settings, _target
from meslint.errors import ConfigError, PackError
from meslint.reporters.escape import visible

__all__ = ["EXIT_CLEAN", "EXIT_ERROR", "EXIT_FINDINGS", "OUTPUT_FORMATS", "STATISTICS_REFUSED", "build_parser", "main"]


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
    if args.command in STANDALONE:
        return standalone(args)
    root, args.report_files, args.stdin_path = _target(args)
    from meslint import cachefiles

    cachefiles.configure(enabled=not args.no_cache, directory=args.cache_dir)
    settings = _settings(root, args)
    if args.command == "show-contract":
        return show_contract(args, root, settings)
    if args.command == "gates":
        from meslint.gates import command

        return command(args, root, settings)
    return _check(args, root, settings)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
