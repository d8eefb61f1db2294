"""``python -m meslint`` and the ``meslint`` console script."""

import os
import sys

EXIT_INTERRUPTED = 130


def run() -> int:
    from meslint.server_client import try_server

    served = try_server(sys.argv[1:])  # a resident `meslint server` of this same meslint, if one is up
    if served is not None:
        return served
    # main() turns Ctrl-C into one line and exit 130; importing the CLI takes a moment on a busy
    # machine, and an interrupt then must not print an import traceback either.
    try:
        from meslint.cli import main
    except KeyboardInterrupt:
        print("meslint: interrupted", file=sys.stderr)
        code = EXIT_INTERRUPTED
    else:
        code = main()
    if code == EXIT_INTERRUPTED:
        # After a Ctrl-C that was handled, CPython can still end the process by re-raising SIGINT
        # at exit (status -2 instead of 130, seen in about one interrupted run in three on 3.11):
        # leave without interpreter finalization, which has nothing left to do (cache files are
        # written atomically or not at all, the parse helper is already reaped).
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # closed or broken: nothing more can be said there
                pass
        os._exit(EXIT_INTERRUPTED)
    return code


if __name__ == "__main__":
    raise SystemExit(run())
