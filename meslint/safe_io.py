"""The one way meslint opens a file the checked repository could have planted, and writes one.

The checked repository is untrusted (see README, "Security").  Anything it controls --
its configuration, a contract pack it names, a baseline or cache file under its root --
may be a link out of the repository, a FIFO that blocks ``open``, a device that never
ends, or a sparse file of gigabytes.  :func:`read_capped` therefore

* opens with ``O_NOFOLLOW`` (a link at the path is refused, never followed) and
  ``O_NONBLOCK`` (a FIFO swapped in cannot block the open),
* accepts only a regular file (``fstat`` on the opened descriptor, so no race),
* checks the size before reading and reads at most ``limit`` bytes.

:func:`write_atomic` never writes through a link: it writes a temporary file in the
target's directory, ``fsync``s it and renames it over the target (a rename replaces a
link planted at the target rather than following it).

:func:`confine` decides whether a path the repository names lies inside the repository
(after resolving links); its refusal does not say whether an outside target exists.
Errors are :class:`UnsafeFile` with a short reason that never quotes file content.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path

from meslint.umask import current_umask

_O_SAFE = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_O_READ = os.O_RDONLY | _O_SAFE


class UnsafeFile(OSError):
    """A file meslint will not read or write; ``reason`` says why without quoting its content."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def open_regular(path: str | os.PathLike, *, create: bool = False) -> tuple[int, os.stat_result]:
    """A read-only descriptor of the regular file at ``path`` (not a link), and its ``fstat``;
    ``create``: read-write, the file created (mode 0600) when nothing is there.

    Raises :class:`UnsafeFile` for a link or a non-regular file, ``FileNotFoundError`` when
    nothing is there, ``OSError`` for other failures.  The caller closes the descriptor.
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | _O_SAFE if create else _O_READ, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafeFile("a symbolic link; not followed") from None
        if exc.errno in (errno.ENXIO, errno.EOPNOTSUPP):  # a socket, or a FIFO without a writer on some systems
            raise UnsafeFile("not a regular file; never read") from None
        raise
    try:
        info = os.fstat(fd)
    except OSError:
        os.close(fd)
        raise
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise UnsafeFile("not a regular file; never read")
    return fd, info


def read_capped(path: str | os.PathLike, limit: int) -> bytes:
    """The bytes of the regular file at ``path`` (not a link), at most ``limit`` of them.

    Raises as :func:`open_regular`, and :class:`UnsafeFile` for a file over ``limit`` bytes
    (checked before reading, and again while reading a file that grows).
    """
    fd, info = open_regular(path)
    try:
        if info.st_size > limit:
            raise UnsafeFile(f"{info.st_size} bytes, over the {limit}-byte limit")
        data = read_upto(fd, limit + 1, info.st_size + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise UnsafeFile(f"over the {limit}-byte limit")
    return data


def read_or_fail(path: str | os.PathLike, limit: int, fail: Callable[[str], Exception], *, missing: str,
                 kind: str, reading: str) -> bytes:
    """:func:`read_capped`, with each way it can fail turned into ``fail(message)``, one line:
    ``missing`` when there is no file, ``"{kind}: why"`` for an unsafe one, ``"cannot read {reading}: why"``."""
    try:
        return read_capped(path, limit)
    except FileNotFoundError:
        raise fail(missing) from None
    except UnsafeFile as exc:
        raise fail(f"{kind}: {exc.reason}") from None
    except OSError as exc:
        raise fail(f"cannot read {reading}: {exc.strerror or exc}") from None


def read_upto(fd: int, limit: int, expected: int) -> bytes:
    """Up to ``limit`` bytes; ``expected`` (the size when opened, plus one) sizes the first read
    so a small file does not allocate ``limit`` bytes.  A file that grew is still read on."""
    chunks: list[bytes] = []
    remaining = limit
    request = min(limit, max(expected, 1))
    while remaining > 0:
        chunk = os.read(fd, min(request, remaining))
        request = 65536
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def write_atomic(path: str | os.PathLike, data: bytes, *, durable: bool = True, mode: int | None = None) -> None:
    """Replace ``path`` with ``data``: a temporary file beside it, fsync (unless not ``durable``:
    a cache can be lost in a crash, it is only ever a miss), rename.  ``mode``: the new file's;
    by default the replaced file's, or what the umask gives a new file.

    A link or anything but a regular file at ``path`` is refused (:class:`UnsafeFile`);
    the rename would replace a link swapped in meanwhile, never write through it.
    """
    target = os.fspath(path)
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        info = None
    if info is not None and stat.S_ISLNK(info.st_mode):
        raise UnsafeFile("a symbolic link; refusing to write through it")
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise UnsafeFile("not a regular file; refusing to replace it")
    tmp = _beside(target, data, durable, stat.S_IMODE(info.st_mode) if mode is None and info is not None else mode)
    try:
        os.replace(tmp, target)
    except BaseException:
        _discard(tmp)
        raise


def create_exclusive(path: str | os.PathLike, data: bytes, *, mode: int | None = None, durable: bool = True) -> None:
    """Create ``path`` with ``data``, never replacing what is there (a file, a link, one that appears
    meanwhile): written beside it, then hard-linked into place -- ``link`` raises
    :class:`FileExistsError` when the name exists, and never follows a link there -- and the
    temporary name removed.  ``mode``: by default what the umask gives a new file; ``durable``: fsync
    before the link (a cache key can be lost in a crash, it is only ever a miss)."""
    tmp = _beside(os.fspath(path), data, durable, mode)
    try:
        os.link(tmp, path)
    finally:
        os.unlink(tmp)


def _beside(target: str, data: bytes, durable: bool, mode: int | None) -> str:
    """A temporary file holding ``data`` in ``target``'s directory, with ``mode`` (by default what the
    umask gives a new file); its name.  Removed again if writing it fails."""
    import tempfile  # only writers need it

    directory, name = os.path.split(target)
    fd, tmp = tempfile.mkstemp(dir=directory or ".", prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~current_umask() if mode is None else mode)  # mkstemp made it 0600
    except BaseException:
        _discard(tmp)
        raise
    return tmp


def _discard(tmp: str) -> None:
    """Remove a temporary file on the way out of a failed write (its own failure is not the story)."""
    try:
        os.unlink(tmp)
    except OSError:
        pass


def inside(root: str | os.PathLike, path: str | os.PathLike) -> bool:
    """Whether ``path``, with every link resolved, lies in ``root`` (also resolved).

    Resolution is not strict: a missing component is taken as it is written, so the
    answer for a link out is the same whether or not its target exists.
    """
    base = os.path.realpath(root)
    resolved = os.path.realpath(path)
    return resolved == base or resolved.startswith(base.rstrip(os.sep) + os.sep)


def names_inside(root: str | os.PathLike, path: str | os.PathLike) -> bool:
    """Whether ``path`` as written (made absolute, links not resolved) names a place in ``root``."""
    absolute = os.path.abspath(path)
    for base in {os.path.abspath(root), os.path.realpath(root)}:
        if absolute == base or absolute.startswith(base.rstrip(os.sep) + os.sep):
            return True
    return False


def confine(root: Path, name: str) -> Path:
    """``name`` (relative, from the repository's own files) as a path inside ``root``.

    Refuses (:class:`UnsafeFile`) an absolute path and one that leaves the repository,
    lexically (``..``) or through a link, with the same words whatever lies outside.
    """
    if os.path.isabs(name) or name.startswith("~"):
        raise UnsafeFile("not a path inside the repository (an absolute path); an outside file needs the command line")
    candidate = root / name
    if not inside(root, candidate):
        raise UnsafeFile("leaves the repository (through .. or a symbolic link); "
                         "an outside file needs the command line")
    return candidate


_PLAIN = re.compile(r"[A-Za-z0-9_.@/+-]{1,64}")


def shown(text: object) -> str:
    """``text`` quoted for an error message when it is a plain short name, else a placeholder.

    Error messages about files name keys and values so the user can fix them, but must never
    echo arbitrary file content (a file read by mistake, control characters, a secret).
    """
    value = str(text)
    return repr(value) if _PLAIN.fullmatch(value) else f"<{len(value)} characters not shown>"
