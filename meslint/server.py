"""``meslint server``: a resident process that runs ``meslint`` commands for this user, warm.

A run's fixed costs are interpreter work that does not depend on what changed: importing meslint
(its fact model is some hundred dataclasses) and decoding the fact cache.  After an edit they are
most of the run.  The server pays them once: it imports every part of meslint, keeps each fact
cache it has seen decoded, and forks a child per request.  The child runs ``meslint.cli.main`` on
the client's arguments, in the client's working directory and environment, writing to the
client's own standard streams (passed over the socket), so its output and exit status are those
of the same run in the client's process.  Nothing of a run flows back into the server but the
name of the cache directory it used, which the server then re-reads, verified like any run
would (:mod:`meslint.cache`), to have it decoded for the next request.

Trust: the socket lives in a directory only this user can enter (:func:`server_client.private_dir`),
and on Linux each connection's peer must be this user (``SO_PEERCRED``).  The server never
runs anything but meslint; a request names arguments, a directory and an environment, exactly
what the user could run directly.  A client of other meslint sources gets ``stale`` and runs
itself.  Unix only (fork and descriptor passing).
"""

from __future__ import annotations

import gc
import json
import marshal
import os
import select
import selectors
import signal
import socket
import struct
import sys
import time
from pathlib import Path

from meslint import server_client
from meslint.errors import ConfigError

_MAX_REQUEST = 8 << 20  # arguments and environment; anything larger is not a meslint invocation


def preload() -> None:
    """Import what any run may need, so that no child pays for it."""
    import importlib
    import pkgutil

    import meslint
    from meslint.checks import all_rules

    all_rules()
    from meslint.pack import load_pack
    from meslint.pack_files import builtin_pack_names

    for name in builtin_pack_names():
        load_pack(name)
    for package in ("meslint", "meslint.parsers", "meslint.reporters", "meslint.autofix"):
        module = importlib.import_module(package)
        for info in pkgutil.iter_modules(module.__path__, package + "."):
            if info.name not in (__name__, "meslint.__main__"):
                importlib.import_module(info.name)
    del meslint
    _build_parsers()


def _build_parsers() -> None:
    """Build the parsers the modules make on first use, and import what runs import lazily: a child
    that parses an edited unit's ``bash -c`` script must not import tree-sitter first (11 ms)."""
    import pickle  # noqa: F401  (the forked check helper's answer)
    import subprocess  # noqa: F401  (git ls-files)
    import tempfile  # noqa: F401  (cache writes)

    from meslint.parsers import markdown, shell, vite_config

    shell._parser()
    markdown._markdown_it()
    for typescript in (False, True):
        vite_config._parser(typescript)
    # Not the Dockerfile parser: importing it starts the Go runtime's threads, which a forked child
    # would not have (a child calling into Go could hang).  Children import it themselves.


# A small tree of the shape the built-in packs describe, checked once at start (see _warm_up).
_WARM_UP_TREE = {
    "deploy/mes-dashboard.service": "[Service]\nUser=mes\nWorkingDirectory=/opt/app\nEnvironmentFile=/opt/app/.env\n"
                                    "ExecStart=/opt/app/scripts/start_server.sh start\n",
    ".env.example": "GUNICORN_BIND=0.0.0.0:8080\n",
    "scripts/start_server.sh": "#!/bin/bash\nset -e\ncd \"$(dirname \"$0\")/..\"\nsource .env\nexec gunicorn app:app\n",
    "README.md": "# App\n\nRun `scripts/start_server.sh start`; see [the guide](docs/guide.md).\n\n"
                 "| Variable | Default |\n|---|---|\n| GUNICORN_BIND | 0.0.0.0:8080 |\n",
    "gunicorn.conf.py": "import os\nbind = os.getenv('GUNICORN_BIND', '0.0.0.0:8080')\n",
    "src/mes_dashboard/app.py": "import os\nPORT = int(os.environ.get('PORT', '8080'))\n",
}


def _warm_up() -> None:
    """Check a small tree once with each built-in pack, output discarded: what a first run builds
    lazily (the pack's glob and marker regexes, functools caches, argparse's patterns) is then in the
    server for every child (some 5-10 ms of each served run).  A failure here only costs that."""
    import contextlib
    import tempfile

    from meslint import cli
    from meslint.pack_files import builtin_pack_names

    try:
        with tempfile.TemporaryDirectory() as tmp, open(os.devnull, "w") as null, \
                contextlib.redirect_stdout(null), contextlib.redirect_stderr(null):
            for rel, text in _WARM_UP_TREE.items():
                target = Path(tmp, rel)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text)
            for name in builtin_pack_names():
                cli.main(["check", tmp, "--no-cache", "--exit-zero", "--contract", name])
    except Exception:
        pass


def serve(ready_fd: int | None = None, timeout: float | None = None) -> int:
    """Serve until SIGTERM/SIGINT, or until ``timeout`` seconds pass without a request while no run is
    going (as ``dmypy start --timeout``); ``ready_fd`` is written once the socket accepts (see
    :func:`start`)."""
    if not server_client.supported():
        raise ConfigError("meslint server needs Unix sockets with descriptor passing and fork (Linux, macOS)")
    directory = server_client.runtime_dir()
    _make_private(directory)
    path = server_client.socket_path()
    if _answers(path):
        raise ConfigError(f"a meslint server already listens on {path}")
    gc.enable()  # a long-lived process (meslint.__main__ starts every command without the collector)
    preload()
    _warm_up()
    gc.freeze()  # see _warm
    my_stamp = server_client.stamp()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    listener.bind(path)
    listener.listen(16)
    Path(directory, "server.pid").write_text(f"{os.getpid()}\n")
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(1))
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "listen")
    if ready_fd is not None:
        os.write(ready_fd, b"ok")
        os.close(ready_fd)
    runs: dict[int, _Run] = {}  # the children still running, by pid
    served = [0]
    listening = True
    idle_since, counted = time.monotonic(), 0  # a status query is no run: it keeps no server up
    try:
        while not stopping:
            if runs or served[0] != counted:
                idle_since, counted = time.monotonic(), served[0]
            if timeout is not None and time.monotonic() - idle_since >= timeout:
                break  # idle: the next run starts in its own process (and, with MESLINT_SERVER=auto, a server)
            # While a child that has answered writes its caches, a new request waits (a bounded time):
            # forked now, its run would find the caches being replaced, and read and decode them itself.
            hold = _writing(runs)
            if hold and listening:
                selector.unregister(listener)
            elif not hold and not listening:
                selector.register(listener, selectors.EVENT_READ, "listen")
            listening = not hold
            for key, _ in selector.select(timeout=_HOLD_POLL if hold else 1.0):
                if key.data == "listen":
                    _accept(listener, my_stamp, runs, selector, served)
                else:
                    kind, pid = key.data
                    run = runs.get(pid)
                    if run is not None and kind == "report":
                        run.on_report(selector)
                    elif run is not None:
                        run.on_client(selector)
            _reap(runs)
    finally:
        listener.close()
        for name in ("server.sock", "server.pid"):
            try:
                os.unlink(os.path.join(directory, name))
            except OSError:
                pass
    return 0


class _Run:
    """A forked run, as the server sees it: the pipe its child reports on, and the client's connection
    (a copy), watched until the child has answered: a client that goes away first (Ctrl-C) ends it."""

    def __init__(self, pid: int, report: int, client: socket.socket) -> None:
        self.pid, self.report, self.client = pid, report, client
        self.received = b""
        self.done = False
        self.answered: float | None = None  # when the child reported its answer (then it writes caches)

    def on_report(self, selector) -> None:
        try:
            chunk = os.read(self.report, 1 << 16)
        except OSError:
            chunk = b""
        if chunk:
            self.received += chunk
            if self.received.startswith(_ANSWERED):
                if self.answered is None:
                    self.answered = time.monotonic()
                self._forget_client(selector)  # answered: the client may leave now
            return
        selector.unregister(self.report)
        os.close(self.report)
        self._forget_client(selector)
        self.done = True
        _warm(self.received[len(_ANSWERED):] if self.received.startswith(_ANSWERED) else b"")

    def on_client(self, selector) -> None:
        # The client sends nothing after its request: readable means it has gone.  The child
        # reports "answered" before it sends the answer, so a client that left after its answer
        # finds that report in the pipe already.
        if select.select([self.report], [], [], 0)[0]:
            self.on_report(selector)
        self._forget_client(selector)
        if self.received.startswith(_ANSWERED) or self.done:
            return
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass

    def _forget_client(self, selector) -> None:
        if self.client.fileno() >= 0:
            selector.unregister(self.client)
            self.client.close()


_ANSWERED = b"A"  # what a child writes on its report pipe once its client has the answer

# How long a new request may wait for children writing their caches after their answer (about 50 ms
# on the MES Dashboard tree; the server's re-read after it, 30 ms), and how often that is looked at.
_HOLD_LIMIT = 0.5
_HOLD_POLL = 0.01


def _writing(runs: dict[int, _Run]) -> bool:
    """Whether a child that answered is still writing its caches, for less than :data:`_HOLD_LIMIT`."""
    now = time.monotonic()
    return any(not run.done and run.answered is not None and now - run.answered < _HOLD_LIMIT
               for run in runs.values())


def _accept(listener: socket.socket, my_stamp: str, runs: dict[int, _Run], selector, served: list[int]) -> None:
    try:
        conn, _ = listener.accept()
    except OSError:
        return
    fds: list[int] = []
    try:
        if not _same_user(conn):
            return
        conn.settimeout(5)
        data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 3)
        if len(data) < 4:
            return
        size = struct.unpack("!I", data[:4])[0]
        if size > _MAX_REQUEST:
            return
        body = data[4:]
        while len(body) < size:
            chunk = conn.recv(min(1 << 20, size - len(body)))
            if not chunk:
                return
            body += chunk
        request = _request(body)
        if request is None:
            conn.sendall(struct.pack("!I", server_client.STALE))  # not this meslint's protocol: it runs itself
            return
        if request.get("query") == "status":
            answer = marshal.dumps({"pid": os.getpid(), "runs": served[0],
                                    "running": sum(not run.done for run in runs.values()),
                                    "warm": len(_warm_roots()),
                                    "same_meslint": request.get("stamp") == my_stamp}, server_client.MARSHAL_VERSION)
            conn.sendall(struct.pack("!I", len(answer)) + answer)
            return
        if len(fds) != 3:
            return
        if request.get("stamp") != my_stamp:
            conn.sendall(struct.pack("!I", server_client.STALE))
            return
        conn.settimeout(None)
        report_r, report_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child never returns
            os.close(report_r)
            listener.close()
            _run_child(conn, fds, request, report_w)
        os.close(report_w)
        served[0] += 1
        runs[pid] = _Run(pid, report_r, conn.dup())
        selector.register(report_r, selectors.EVENT_READ, ("report", pid))
        selector.register(runs[pid].client, selectors.EVENT_READ, ("client", pid))
    except (OSError, ValueError, KeyError, TypeError):
        return
    finally:
        for fd in fds:
            os.close(fd)
        conn.close()


def _run_child(conn: socket.socket, fds: list[int], request: dict, report_w: int) -> None:
    code = 2
    gc.disable()  # one run, then os._exit: as a run in its own process (meslint.__main__)
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        for fd in fds:  # only 0-2 hold the client's streams now: _answer lets go of them, and then the
            if fd > 2:  # client's pipes end (a caller that reads them to the end, as pre-commit and editors
                os.close(fd)  # do, would otherwise wait for this child's deferred cache writes)
        streams: list = []  # text files over the client's descriptors, in its encodings
        for target, (encoding, errors) in enumerate(zip(request["encodings"], request["errors"], strict=True)):
            mode, buffering = ("r", -1) if target == 0 else ("w", 1 if os.isatty(target) else -1)
            streams.append(open(target, mode, buffering, encoding=encoding, errors=errors, closefd=False))
        sys.stdin, sys.stdout, sys.stderr = streams
        os.chdir(request["cwd"])
        os.umask(int(request["umask"]) & 0o777)
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = ["meslint", *request["argv"]]
        from meslint import cachefiles
        from meslint.cli import main

        cachefiles.defer_writes()  # the client gets its answer first
        try:
            code = main(list(request["argv"]))
        except SystemExit as exc:  # argparse: --help, usage errors
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        _answer(conn, code, report_w)
        cachefiles.run_deferred()
        try:
            os.write(report_w, json.dumps(cachefiles.directories_used()).encode("utf-8", "surrogateescape"))
        except OSError:
            pass
    except BaseException:  # nothing may escape a forked child into the server's loop
        code = 2
    finally:
        _answer(conn, code, report_w)
        os._exit(code if 0 <= code <= 255 else 2)


def _answer(conn: socket.socket, code: int, report_w: int) -> None:
    """Flush the run's output, send the client its exit status and let go of its streams (once)."""
    if conn.fileno() < 0:
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    try:
        os.write(report_w, _ANSWERED)  # before the answer: see _Run.on_client
    except OSError:
        pass
    try:
        conn.sendall(struct.pack("!I", code & 0xFF if code >= 0 else 2))
    except OSError:
        pass
    conn.close()
    null = os.open(os.devnull, os.O_RDWR)
    for target in (0, 1, 2):
        os.dup2(null, target)  # the client may be gone: a late write must not reach its terminal
    os.close(null)


def _request(body: bytes) -> dict | None:
    """A request as the client sent it (:mod:`meslint.server_client`: marshal's plain values), else None."""
    try:
        request = marshal.loads(body)
    except (ValueError, EOFError, TypeError):
        return None
    return request if isinstance(request, dict) else None


def _warm(report: bytes) -> None:
    """Re-read the caches a finished run used (its report: their directories, as JSON)."""
    try:
        directories = json.loads(report.decode("utf-8", "surrogateescape") or "[]")
    except ValueError:
        return
    from meslint import cache, run_cache

    # The caches are plain data without cycles: with the collector on, reading one ran collections over
    # the whole resident heap (an incremental re-read took 30-70 ms instead of 17-19).
    gc.disable()
    try:
        for directory in directories if isinstance(directories, list) else ():
            if isinstance(directory, str):
                cache.warm(Path(directory))
                run_cache.warm(Path(directory))
    finally:
        gc.enable()
        gc.freeze()  # what the server keeps is never traversed again, by it or by a forked child


def _warm_roots() -> set[str]:
    from meslint import cache, run_cache

    return cache.RESIDENT.directories() | run_cache.RESIDENT.directories()


def _reap(runs: dict[int, _Run]) -> None:
    for pid in list(runs):
        try:
            ended, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            ended = pid
        if ended and runs[pid].done:
            del runs[pid]


def _same_user(conn: socket.socket) -> bool:
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return True  # the socket's directory is private to this user (checked at start)
    creds = conn.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    _, uid, _ = struct.unpack("3i", creds)
    return uid == os.getuid()


def _make_private(directory: str) -> None:
    try:
        os.mkdir(directory, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise ConfigError(f"cannot create {directory}: {exc.strerror}") from None
    if not server_client.private_dir(directory):
        raise ConfigError(f"{directory} must be a directory of this user that no one else can enter (mode 0700)")


def _answers(path: str) -> bool:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
        return True
    except OSError:
        return False
    finally:
        probe.close()


# --------------------------------------------------------------------------- commands


def start(timeout: float | None = None) -> int:
    """Start a server in the background; return once it accepts requests."""
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(ready_r)
        os.setsid()
        if os.fork():
            os._exit(0)
        os.chdir("/")  # hold no directory busy; each run works in its client's
        log = os.path.join(server_client.runtime_dir(), "server.log")
        try:
            _make_private(server_client.runtime_dir())
            out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(out, 1)
            os.dup2(out, 2)
            code = serve(ready_w, timeout)
        except ConfigError as exc:
            os.write(ready_w, f"error: {exc}".encode())
            code = 2
        except BaseException as exc:  # reported through the pipe, then the daemon ends
            try:
                os.write(ready_w, f"error: {type(exc).__name__}: {exc}".encode())
            except OSError:
                pass
            code = 2
        os._exit(code)
    os.close(ready_w)
    os.waitpid(pid, 0)
    answer = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        chunk = os.read(ready_r, 4096)
        if not chunk:
            break
        answer += chunk
    os.close(ready_r)
    if answer == b"ok":
        print(f"meslint server: listening on {server_client.socket_path()}")
        return 0
    message = answer.decode("utf-8", "replace").removeprefix("error: ") or "the server did not start"
    print(f"meslint server: {message}", file=sys.stderr)
    return 2


def stop() -> int:
    pid = _pid()
    if pid is None:
        print("meslint server: not running")
        return 0
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        print("meslint server: not running")
        return 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _answers(server_client.socket_path()):
        time.sleep(0.05)
    print("meslint server: stopped")
    return 0


def status() -> int:
    path = server_client.socket_path()
    state = server_client.query_status()
    if state is None:
        print("meslint server: not running")
        return 1
    same = "" if state.get("same_meslint") else "; it runs other meslint sources, so runs happen in their own process"
    print(f"meslint server: running (pid {state.get('pid')}), socket {path}, {state.get('runs')} run(s) served, "
          f"{state.get('running')} running now, caches of {state.get('warm')} checked root(s) kept{same}")
    return 0


def _pid() -> int | None:
    directory = server_client.runtime_dir()
    if not server_client.private_dir(directory):
        return None
    try:
        return int(Path(directory, "server.pid").read_text().strip())
    except (OSError, ValueError):
        return None


def command(action: str, timeout: float | None = None) -> int:
    if action == "start":
        return start(timeout)
    if action == "stop":
        return stop()
    if action == "status":
        return status()
    return serve(timeout=timeout)  # "run": in the foreground (a service manager, a test)
