"""The client half of ``meslint server``: hand this run to a resident server, if one is up.

Imported by ``meslint``'s entry point before anything else, so the way to a served run imports only
modules built into the interpreter or cheap to load (``_socket``, ``marshal``, ``struct``): the
``socket``, ``json``, ``hashlib`` and ``tempfile`` modules cost a client some 35 ms together, as
much as half of a warm served run.
The server (:mod:`meslint.server`) forks a child that runs exactly what this process would have
run (the same ``meslint.cli.main`` on the same arguments, working directory and environment),
writing to this process's own standard streams, which travel with the request (SCM_RIGHTS).
What the child saves is the import of meslint and the decoding of the fact cache, both already
done in the server.

The server is used only when it is this same meslint: the request carries :func:`stamp` (the
package's location, version and the modification times of its sources, and the interpreter);
a server started from other sources answers ``stale`` and the run happens here, as it does
when no server answers, when ``MESLINT_NO_SERVER`` is set, or on a platform without Unix
sockets and descriptor passing.
"""

from __future__ import annotations

import marshal
import os
import stat
import struct
import sys

try:
    import _socket  # what ``socket`` wraps: the same calls, without importing its enums
except ImportError:  # not CPython: no server
    _socket = None  # type: ignore[assignment]

_HEADER = struct.Struct("!I")
# Codes on the wire: the child's exit status (0-255) or one of these.
STALE = 1000  # another meslint: run here
# Requests travel in marshal's form of plain values (this version of it); both ends are this meslint.
MARSHAL_VERSION = 4


def runtime_dir() -> str:
    """The per-user directory holding the server's socket: ``$XDG_RUNTIME_DIR/meslint``, else
    ``<tmp>/meslint-<uid>``.  Made 0700; whoever can reach the socket can run meslint as this user."""
    base = os.environ.get("XDG_RUNTIME_DIR") or ""
    if base and os.path.isabs(base):
        return os.path.join(base, "meslint")
    return os.path.join(_temp_dir(), f"meslint-{os.getuid()}")


def _temp_dir() -> str:
    """Where ``tempfile.gettempdir()`` looks first (``$TMPDIR``, ``$TEMP``, ``$TMP``), else ``/tmp``:
    without importing ``tempfile``, which costs more than the rest of the client."""
    for name in ("TMPDIR", "TEMP", "TMP"):
        value = os.environ.get(name) or ""
        if os.path.isabs(value) and os.path.isdir(value):
            return os.path.normpath(value)
    return "/tmp"


def socket_path() -> str:
    return os.path.join(runtime_dir(), "server.sock")


def private_dir(directory: str) -> bool:
    """``directory`` is a real directory of this user that nobody else can enter or write."""
    try:
        info = os.lstat(directory)
    except OSError:
        return False
    return (stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
            and not info.st_mode & (stat.S_IRWXG | stat.S_IRWXO))


def stamp() -> str:
    """Which meslint this is.  Installed from a wheel (a pre-commit environment, a pip install): the
    interpreter's version, the distribution's RECORD (every installed file with its SHA-256) and the
    installed versions of its dependencies, so the same meslint installed in two environments is one
    stamp.  Otherwise (a source checkout on the path, an editable install): the sources' location,
    sizes and modification times.  Compared as they are, not hashed: no hash module to import."""
    from meslint import __version__

    here = os.path.dirname(os.path.abspath(__file__))
    installed = _installed(os.path.dirname(here))
    if installed is not None:
        return "\0".join([sys.version, __version__, *installed])
    from meslint.own_sources import sources_key

    return "\0".join([sys.executable, sys.version, here, __version__, sources_key()])


def _installed(site: str) -> list[str] | None:
    """The RECORD and dependency versions of the meslint wheel installed in ``site``, if it is."""
    try:
        names = os.listdir(site)
        info = next(os.path.join(site, n) for n in names if n.startswith("meslint-") and n.endswith(".dist-info"))
        with open(os.path.join(info, "RECORD"), "rb") as handle:
            record = handle.read()
        with open(os.path.join(info, "METADATA"), "rb") as handle:
            metadata = handle.read().decode("utf-8", "replace")
    except (OSError, StopIteration):
        return None
    if b"meslint/__init__.py," not in record:
        return None  # an editable install: the sources are elsewhere, and RECORD does not list them
    wanted = {_normal(name) for name in _required(metadata)}
    versions: set[str] = set()
    for path in sys.path:
        try:
            listed = os.listdir(path or ".")
        except OSError:
            continue
        versions.update(n for n in listed if n.endswith(".dist-info") and _normal(n.split("-")[0]) in wanted)
    return [record.decode("utf-8", "surrogateescape"), *sorted(versions)]


_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def _required(metadata: str) -> list[str]:
    """The names in METADATA's ``Requires-Dist:`` lines, but those of an extra (``; extra == "test"``)."""
    names = []
    for line in metadata.split("\n"):
        if not line.startswith("Requires-Dist:"):
            continue
        rest = line[len("Requires-Dist:"):].lstrip(" ")
        end = 0
        while end < len(rest) and rest[end] in _NAME_CHARS:
            end += 1
        marker = rest[end:].partition(";")[2]
        if end and not any(marker[i + 5:].lstrip(" ").startswith("==") for i in _positions(marker, "extra")):
            names.append(rest[:end])
    return names


def _positions(text: str, word: str) -> list[int]:
    found, start = [], text.find(word)
    while start >= 0:
        found.append(start)
        start = text.find(word, start + 1)
    return found


def _normal(name: str) -> str:
    """A distribution name as packaging normalises it: runs of ``-``, ``_``, ``.`` become one ``_``."""
    out: list[str] = []
    for char in name.lower():
        if char in "-_.":
            if not out or out[-1] != "_":  # a "_" in out always came from a separator
                out.append("_")
        else:
            out.append(char)
    return "".join(out)


def supported() -> bool:
    return (_socket is not None and hasattr(_socket, "AF_UNIX") and hasattr(_socket, "SCM_RIGHTS")
            and hasattr(_socket.socket, "sendmsg") and hasattr(os, "fork"))


def try_server(argv: list[str]) -> int | None:
    """The run's exit status if a server ran it, else ``None`` (run it here)."""
    if not supported() or os.environ.get("MESLINT_NO_SERVER") or (argv and argv[0] == "server"):
        return None
    directory = runtime_dir()
    if not private_dir(directory):
        if not os.path.lexists(directory):  # never started here (one others can enter is never used)
            _start_if_auto()
        return None
    client = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        try:
            client.connect(socket_path())
        except OSError:
            _start_if_auto()
            return None  # no server
        streams = (sys.stdin, sys.stdout, sys.stderr)
        from meslint.umask import current_umask

        # The umask too: the files a run writes get this process's mask.
        request = {"stamp": stamp(), "argv": argv, "cwd": os.getcwd(), "env": dict(os.environ),
                   "umask": current_umask(),
                   "encodings": [getattr(s, "encoding", None) or "utf-8" for s in streams],
                   "errors": [getattr(s, "errors", None) or "strict" for s in streams]}
        body = marshal.dumps(request, MARSHAL_VERSION)
        fds = []
        for stream in streams:
            try:
                stream.flush()
                fds.append(stream.fileno())
            except (AttributeError, OSError, ValueError):
                return None  # a closed or replaced stream: the in-process run reports it as it does
        message = _HEADER.pack(len(body)) + body
        try:
            sent = client.sendmsg([message], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS,
                                               struct.pack(f"{len(fds)}i", *fds))])
            if sent < len(message):  # (an empty send to a server that has answered and closed is EPIPE)
                client.sendall(message[sent:])  # the descriptors went with the first part
        except OSError:
            return None  # not delivered whole: the server runs nothing it has not read whole
        try:
            answer = _read_exactly(client, 4)
        except OSError:
            answer = None  # delivered: the server may have run it, and a run must never happen twice
    except OSError:
        return None
    except KeyboardInterrupt:  # closing the connection ends the server's run too
        client.close()
        print("meslint: interrupted", file=sys.stderr)
        return 130
    finally:
        client.close()
    if answer is None:
        print("meslint: the server's run ended without a status (see `meslint server status`)", file=sys.stderr)
        return 2
    code = _HEADER.unpack(answer)[0]
    return None if code == STALE else code


# A server MESLINT_SERVER=auto started ends after this long without a run (the next run starts another).
AUTO_TIMEOUT = 1800


def _start_if_auto() -> None:
    """``MESLINT_SERVER=auto``: start a server for the runs after this one (which runs here), without
    waiting for it.  From meslint's own directory (``-m`` puts the working directory on the path), as
    a session of its own; two runs racing to start one leave one (the second start is refused)."""
    if os.environ.get("MESLINT_SERVER", "").lower() != "auto":
        return
    import subprocess

    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "MESLINT_SERVER": ""}
    try:
        subprocess.Popen([sys.executable, "-m", "meslint", "server", "start", "--timeout", str(AUTO_TIMEOUT)],
                         cwd=package_parent, env=env,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    except OSError:
        pass  # this run does not need it


def query_status() -> dict | None:
    """The server's pid, how many runs it served and whether it is this meslint; ``None``: none answers."""
    if not supported() or not private_dir(runtime_dir()):
        return None
    client = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        client.settimeout(5)
        client.connect(socket_path())
        body = marshal.dumps({"query": "status", "stamp": stamp()}, MARSHAL_VERSION)
        client.sendall(_HEADER.pack(len(body)) + body)
        size = _read_exactly(client, 4)
        answer = _read_exactly(client, _HEADER.unpack(size)[0]) if size is not None else None
        state = marshal.loads(answer) if answer is not None else None
    except (OSError, ValueError, EOFError, TypeError):
        return None
    finally:
        client.close()
    return state if isinstance(state, dict) else None


def _read_exactly(sock, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data
