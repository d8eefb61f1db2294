"""The client half of ``meslint server``: hand this run to a resident server, if one is up.

Imported by ``meslint``'s entry point before anything else, so it imports only the standard
library's socket layer: a run the server takes costs the client no more than starting Python.
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

import json
import os
import socket
import stat
import struct
import sys

_HEADER = struct.Struct("!I")
# Codes on the wire: the child's exit status (0-255) or one of these.
STALE = 1000  # another meslint: run here


def runtime_dir() -> str:
    """The per-user directory holding the server's socket: ``$XDG_RUNTIME_DIR/meslint``, else
    ``<tmp>/meslint-<uid>``.  Made 0700; whoever can reach the socket can run meslint as this user."""
    base = os.environ.get("XDG_RUNTIME_DIR") or ""
    if base and os.path.isabs(base):
        return os.path.join(base, "meslint")
    import tempfile

    return os.path.join(tempfile.gettempdir(), f"meslint-{os.getuid()}")


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
    interpreter's version, the hash of the distribution's RECORD (every installed file with its
    SHA-256) and the installed versions of its dependencies, so the same meslint installed in two
    environments is one stamp.  Otherwise (a source checkout on the path, an editable install): the
    sources' location, sizes and modification times."""
    from meslint import __version__

    here = os.path.dirname(os.path.abspath(__file__))
    installed = _installed(os.path.dirname(here))
    if installed is not None:
        return "\0".join([sys.version, __version__, *installed])
    from meslint.own_sources import sources_key

    return "\0".join([sys.executable, sys.version, here, __version__, sources_key()])


def _installed(site: str) -> list[str] | None:
    """The RECORD hash and dependency versions of the meslint wheel installed in ``site``, if it is."""
    import hashlib
    import re

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

    def normal(name: str) -> str:
        return re.sub(r"[-_.]+", "_", name).lower()

    wanted = {normal(m.group(1)) for m in re.finditer(r"^Requires-Dist: *([A-Za-z0-9._-]+)(?![^\n]*;[^\n]*extra *==)",
                                                      metadata, re.M)}
    versions: set[str] = set()
    for path in sys.path:
        try:
            listed = os.listdir(path or ".")
        except OSError:
            continue
        versions.update(n for n in listed if n.endswith(".dist-info") and normal(n.split("-")[0]) in wanted)
    return [hashlib.sha256(record).hexdigest(), *sorted(versions)]


def supported() -> bool:
    return hasattr(socket, "AF_UNIX") and hasattr(socket, "send_fds") and hasattr(os, "fork")


def try_server(argv: list[str]) -> int | None:
    """The run's exit status if a server ran it, else ``None`` (run it here)."""
    if (not supported() or os.environ.get("MESLINT_NO_SERVER")
            or (argv and argv[0] == "server") or not private_dir(runtime_dir())):
        return None
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        try:
            client.connect(socket_path())
        except OSError:
            return None  # no server
        streams = (sys.stdin, sys.stdout, sys.stderr)
        from meslint.safe_io import current_umask

        # The umask too: the files a run writes get this process's mask.
        request = {"stamp": stamp(), "argv": argv, "cwd": os.getcwd(), "env": dict(os.environ),
                   "umask": current_umask(),
                   "encodings": [getattr(s, "encoding", None) or "utf-8" for s in streams],
                   "errors": [getattr(s, "errors", None) or "strict" for s in streams]}
        body = json.dumps(request).encode("utf-8", "surrogateescape")
        fds = []
        for stream in streams:
            try:
                stream.flush()
                fds.append(stream.fileno())
            except (AttributeError, OSError, ValueError):
                return None  # a closed or replaced stream: the in-process run reports it as it does
        socket.send_fds(client, [_HEADER.pack(len(body)) + body], fds)
        answer = _read_exactly(client, 4)
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


def query_status() -> dict | None:
    """The server's pid, how many runs it served and whether it is this meslint; ``None``: none answers."""
    if not supported() or not private_dir(runtime_dir()):
        return None
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.settimeout(5)
        client.connect(socket_path())
        body = json.dumps({"query": "status", "stamp": stamp()}).encode()
        client.sendall(_HEADER.pack(len(body)) + body)
        size = _read_exactly(client, 4)
        answer = _read_exactly(client, _HEADER.unpack(size)[0]) if size is not None else None
        state = json.loads(answer) if answer is not None else None
    except (OSError, ValueError):
        return None
    finally:
        client.close()
    return state if isinstance(state, dict) else None


def _read_exactly(sock: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data
