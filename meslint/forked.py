"""Two cores, two shares of one piece of work: this process does one, a forked helper the other.

Used by the parse (:mod:`meslint.build`) and by the checks (:mod:`meslint.engine`).  A plain fork and
a pipe, not a process pool, so that Ctrl-C ends the run at once: SIGINT is blocked across the fork
and the helper ignores it before unblocking (it never raises a KeyboardInterrupt of its own, whose
traceback would reach the terminal), and on any way out, Ctrl-C included, the parent kills and reaps
the helper instead of waiting for it (a pool's shutdown waited forever on a helper blocked writing
its results).  The helper inherits everything with the fork; only its result crosses back, pickled
(it is this very process's data, never the checked repository's bytes).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
U = TypeVar("U")


def available() -> bool:
    import signal

    return hasattr(os, "fork") and hasattr(signal, "pthread_sigmask") and (os.cpu_count() or 1) >= 2


def split(remote: Callable[[], T], local: Callable[[], U]) -> tuple[T, U]:
    """``remote()`` in a forked helper while ``local()`` runs here; both results.

    Raises ``OSError`` when there is no fork, ``ChildProcessError`` when the helper failed (its
    share is then the caller's to do), and whatever ``local`` raises."""
    import pickle
    import signal

    if not available():
        raise OSError("no fork")
    read_fd, write_fd = os.pipe()
    pid = 0
    try:
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            pid = os.fork()
            if pid == 0:
                _helper(remote, read_fd, write_fd, mask)  # never returns
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a Ctrl-C that came meanwhile is raised here
        os.close(write_fd)
        write_fd = -1
        mine = local()
        chunks = []
        while chunk := os.read(read_fd, 1 << 20):
            chunks.append(chunk)
        _, status = os.waitpid(pid, 0)
        pid = 0
        if status != 0:
            raise ChildProcessError(f"helper process failed (wait status {status})")
        return pickle.loads(b"".join(chunks)), mine
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        for fd in (read_fd, write_fd):
            if fd >= 0:
                os.close(fd)


def _helper(remote: Callable[[], object], read_fd: int, write_fd: int, mask) -> None:
    """The forked helper: compute, send the pickled result, exit without running any cleanup."""
    import pickle
    import signal

    status = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the terminal's Ctrl-C is the parent's to handle
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        os.close(read_fd)
        payload = pickle.dumps(remote(), protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write_fd, "wb") as out:
            out.write(payload)
        status = 0
    finally:
        os._exit(status)  # never the parent's atexit handlers, buffered output or exception printing
