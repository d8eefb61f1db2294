"""``python -m meslint`` and the ``meslint`` console script."""

import gc
import os
import sys

EXIT_INTERRUPTED = 130
EXIT_ERROR = 2


def run() -> int:
    # A run is one short process whose objects (facts, parse trees, findings) hold no reference cycles
    # worth collecting: without the cyclic collector an edit's run took 34 ms less and a cold run
    # 0.1-0.15 s less on the MES Dashboard tree, with the same peak memory (79 MB; 203 MB on the
    # synthetic tree 100 times its size).  A resident server turns it back on for itself.
    gc.disable()
    from meslint.server_client import try_server

    served = try_server(sys.argv[1:])  # a resident `meslint server` of this same meslint, if one is up
    if served is not None:
        return served
    from meslint import cachefiles

    if sys.argv[1:2] != ["server"]:  # (a server's own process never queues: its children write)
        cachefiles.defer_writes()  # saved once the output is out, by a writer of their own (see below)
    # main() turns Ctrl-C into one line and exit 130; importing the CLI takes a moment on a busy
    # machine, and an interrupt then must not print an import traceback either.
    try:
        from meslint.cli import main
    except KeyboardInterrupt:
        print("meslint: interrupted", file=sys.stderr)
        code = EXIT_INTERRUPTED
    else:
        code = main()
    # Leave without interpreter finalization: its full collection and the teardown of the fact model
    # cost 50-60 ms of every run (measured on the MES Dashboard tree, after an edit and cold), and it
    # has nothing left to do: the output is flushed here, cache files are written atomically or not at
    # all, forked helpers are reaped, meslint registers no atexit handler.  (After a handled Ctrl-C,
    # CPython could also end the process by re-raising SIGINT at exit: status -2 instead of 130.)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):  # closed, broken or absent (>&-): nothing more to say
            pass
    # The caches are saved in a forked writer that lets go of this process's streams: whoever waits for
    # the run (a pre-commit hook, an editor) has its answer 40-50 ms sooner after an edit, and a run that
    # starts while the writer works waits for it before it reads a cache (meslint.cachefiles).
    try:
        cachefiles.finish_in_background()
    except KeyboardInterrupt:  # the answer is out: an interrupt now only loses the caches
        pass
    os._exit(code if 0 <= code <= 255 else EXIT_ERROR)


if __name__ == "__main__":
    raise SystemExit(run())
