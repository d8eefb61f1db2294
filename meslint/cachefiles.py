"""Where meslint's caches live, and how their files are signed.

Both caches (the per-file fact cache and the whole-run cache) are optimisations that
must never be trusted blindly.  Each is one file in the cache directory (by default
``<root>/.meslint_cache``): a JSON header line, then the body.  The header carries an
HMAC-SHA256 of header and body under a per-user secret kept outside the repository
(``$XDG_CACHE_HOME/meslint/secret``, mode 0600), so a cache file written by anyone
else -- committed to the repository, copied from another machine, truncated -- fails
verification and is ignored.  A symlinked or group-writable cache directory is never
used.  Any error while reading or writing means "no cache".
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

from meslint import safe_io

try:
    import fcntl
except ImportError:  # Windows: no flock, so no run waits for a writer either
    fcntl = None  # type: ignore[assignment]

CACHE_DIR_NAME = ".meslint_cache"
# A file whose mtime or ctime is this close to the moment a run looked at it may still change within
# the same timestamp: its stat is not trusted (git's racily clean entries).  FAT keeps mtimes to 2 s;
# ext4, xfs and APFS to the nanosecond.
RACY_NS = 2_000_000_000

_CONFIG: dict = {"enabled": False, "directory": None}


def configure(*, enabled: bool, directory: Path | None = None) -> None:
    """Set by the command line: library callers get no cache by default."""
    _CONFIG["enabled"] = enabled
    _CONFIG["directory"] = directory


def directory_for(root: Path) -> Path | None:
    """The cache directory for a checked root, or ``None`` when caching is off."""
    if not _CONFIG["enabled"] or os.environ.get("MESLINT_NO_CACHE", "").lower() in ("1", "true", "yes"):
        return None
    return Path(_CONFIG["directory"] or os.environ.get("MESLINT_CACHE_DIR") or (Path(root) / CACHE_DIR_NAME))


def signing_key_for(directory: Path, *, wait: bool = True) -> bytes | None:
    """The key to sign and verify cache files in ``directory``; ``None``: do not use it at all.
    ``wait``: for a run writing caches there (a resident server re-reading a file checks instead that
    the file it read is the one still there)."""
    secret = user_secret()
    if secret is None or safe_dir(directory, create=False) is False:
        return None
    if wait:
        wait_for_writer(directory)  # every cache read starts here: not while the last run writes
    return secret


def user_secret() -> bytes | None:
    """The per-user signing key; ``None`` (no cache) when it cannot be kept private."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    directory = os.path.join(base, "meslint")
    path = os.path.join(directory, "secret")
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            try:  # first writer wins; never replace a key in use
                safe_io.create_exclusive(path, os.urandom(32).hex().encode(), mode=0o600, durable=False)
            except FileExistsError:
                pass
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if (hasattr(os, "getuid") and info.st_uid != os.getuid()) or info.st_mode & 0o077:
                return None
            key = handle.read(256).strip()
        return key if len(key) >= 32 else None
    except OSError:
        return None


def safe_dir(directory: Path, *, create: bool) -> bool | None:
    """True: a real directory of ours; None: absent (and not created); False: never use it."""
    try:
        info = os.lstat(directory)
    except FileNotFoundError:
        if not create:
            return None
        try:
            os.mkdir(directory, 0o700)  # the parent must exist: never recreate a removed tree
            (directory / ".gitignore").write_text("# Created by meslint automatically.\n*\n", encoding="utf-8")
        except OSError:
            return False
        return True
    except OSError:
        return False
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        return False
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return False
    if info.st_mode & 0o022:  # group/world-writable: someone else could swap files in
        return False
    return True


# The largest cache file read back.  A cache file is checked before its body is read: its
# size first (a sparse file of gigabytes costs nothing), then its header line.
CACHE_SIZE_LIMIT = 256 * 1024 * 1024
_HEADER_LIMIT = 4096


def read_signed(path: Path, secret: bytes, header_ok: Callable[[dict], bool]) -> bytes | None:
    """The body of a cache file whose header ``header_ok`` accepts and whose MAC verifies.

    Opened as any file the repository could plant (:func:`meslint.safe_io.open_regular`: no
    link, no FIFO, no device); the body is read only after the size and the header pass.
    """
    try:
        fd, info = safe_io.open_regular(path)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as handle:
            if info.st_size > CACHE_SIZE_LIMIT:
                return None
            header_line = handle.readline(_HEADER_LIMIT)
            header = json.loads(header_line)
            if not isinstance(header, dict) or not header_ok(header):
                return None
            body = handle.read(max(info.st_size - len(header_line), 0))  # a file that grew fails the MAC
        expected = hmac.new(secret, _signed(header_line, body), hashlib.sha256).hexdigest()
        mac = header.get("mac")
        if not isinstance(mac, str) or not hmac.compare_digest(mac, expected):
            return None
        return body
    except Exception:
        return None


# A run answers first and writes its caches after: a run forked by meslint.server once its client
# has the answer; a run in a process of its own (meslint/__main__.py) in a writer it forks once its
# output is out, so that a pre-commit hook or an editor waiting for the process does not wait for the
# writes (40-50 ms after an edit on the MES Dashboard: encoding the record, pickling the facts,
# signing).  The writes (encoding, signing, saving) are queued here until then; elsewhere (a library
# caller, the tests) they happen at once.  Whoever writes holds each cache directory's LOCK_NAME, and
# a run that starts meanwhile waits for it (at most WAIT_LIMIT) before it reads a cache: it would
# otherwise take the caches from before the last run.
_DEFERRED: list[Callable[[], None]] | None = None
LOCK_NAME = "writing.lock"
WAIT_LIMIT = 0.5


def write_later(write: Callable[[], None]) -> None:
    """Run ``write`` (a cache save) now, or once the run has answered (see :func:`defer_writes`)."""
    if _DEFERRED is None:
        write()
    else:
        _DEFERRED.append(write)


def defer_writes() -> None:
    global _DEFERRED
    _DEFERRED = []


def run_deferred() -> None:
    """The queued cache saves, in order, holding the cache directories' locks."""
    locks = _lock_directories()
    try:
        _write_all()
    finally:
        _release(locks)


def finish_in_background() -> bool:
    """The queued cache saves, in a forked writer that lets go of the standard streams and the
    terminal's process group, holding the locks this process took; False: there was nothing to save,
    or no fork (saved here).  The caller may leave at once."""
    if not _DEFERRED:
        return False
    locks = _lock_directories()
    try:
        pid = os.fork() if hasattr(os, "fork") else -1
    except OSError:
        pid = -1
    if pid == 0:
        try:
            os.setsid()
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)  # a caller reading our output to its end must not wait for the writes
            _write_all()
        finally:
            os._exit(0)
    if pid < 0:
        _write_all()
    _release(locks)  # this process's copies: the writer's keep the locks until it is done
    return pid > 0


def _write_all() -> None:
    """Each queued save; each fails silently as any cache write does."""
    for write in _DEFERRED or ():
        try:
            write()
        except Exception:
            pass


def _lock_directories() -> list[int]:
    """The locks of the cache directories this process's runs used (the directory is created, as the
    first save would create it).  A directory whose lock another writer holds past WAIT_LIMIT is
    written without it: each file is replaced atomically either way."""
    if fcntl is None:  # no flock (Windows): nothing waits either
        return []
    locks = []
    for directory in directories_used():
        if not safe_dir(Path(directory), create=True):
            continue
        fd = _open_lock(Path(directory), create=True)
        if fd is not None and _locked(fd, fcntl.LOCK_EX):
            locks.append(fd)
        elif fd is not None:
            os.close(fd)
    return locks


def _release(locks: list[int]) -> None:
    for fd in locks:
        os.close(fd)


def wait_for_writer(directory: Path) -> None:
    """Return once no run is writing caches in ``directory`` (or after WAIT_LIMIT)."""
    fd = _open_lock(directory, create=False) if fcntl is not None else None
    if fd is not None:
        try:
            _locked(fd, fcntl.LOCK_SH)
        finally:
            os.close(fd)  # and the shared lock with it


def _open_lock(directory: Path, *, create: bool) -> int | None:
    """The lock file, opened as any file the repository could plant (:func:`safe_io.open_regular`:
    never through a link, never blocking on a FIFO); None: absent, or not a regular file."""
    try:
        fd, _ = safe_io.open_regular(directory / LOCK_NAME, create=create)
    except OSError:
        return None
    return fd


def _locked(fd: int, kind: int) -> bool:
    import time

    deadline = time.monotonic() + WAIT_LIMIT
    while True:
        try:
            fcntl.flock(fd, kind | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.002)
        except OSError:
            return False


def write_signed(path: Path, secret: bytes, header: dict, body: bytes) -> None:
    """Write header (with its MAC) and body atomically; failures are silent."""
    try:
        if not safe_dir(path.parent, create=True):
            return
        unsigned = json.dumps(header, sort_keys=True).encode()
        signed = {**header, "mac": hmac.new(secret, _signed(unsigned, body), hashlib.sha256).hexdigest()}
        data = json.dumps(signed, sort_keys=True).encode() + b"\n" + body
        safe_io.write_atomic(path, data, durable=False, mode=0o600)
    except Exception:
        return


def file_signature(path: Path) -> tuple | None:
    """Device, inode, size and times of a cache file: every write replaces the file, so an unchanged
    signature means the very file a resident server (:mod:`meslint.server`) verified and kept."""
    try:
        info = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


_USED: list[str] = []  # the cache directories this process's runs opened (a server warms them after)


def note_used(directory: Path) -> None:
    _USED.append(str(directory))


def directories_used() -> list[str]:
    return list(dict.fromkeys(_USED))


RESIDENT_DIRECTORIES = 8  # a resident server keeps the caches of this many checked roots, the latest used


class Resident:
    """What a resident server (:mod:`meslint.server`) keeps of one cache file, per cache directory: a
    payload made from the file once it verified, with the file's signature and the key it verified
    under.  A run takes the payload only for that very file under the same key; the server reads the
    file again only when it changed.  The latest used :data:`RESIDENT_DIRECTORIES` are kept."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._kept: dict[str, tuple] = {}  # directory -> (signature, key id, payload), latest used last

    def taken(self, directory: Path, secret: bytes):
        """The payload kept for ``directory``'s file while it is the file verified under ``secret``, else None."""
        kept = self._kept.get(str(directory))
        if kept is None or kept[1] != key_id(secret) or kept[0] != file_signature(directory / self.name):
            return None
        return kept[2]

    def refresh(self, directory: Path, read: Callable[[bytes, object], object]) -> None:
        """Keep ``read(secret, the payload kept before or None)`` for ``directory``'s file unless the kept
        one is current; ``read`` gives None when there is nothing to keep."""
        secret = signing_key_for(directory, wait=False)
        signature = file_signature(directory / self.name)
        kept = self._kept.pop(str(directory), None)
        if secret is None or signature is None:
            return
        if kept is not None and kept[:2] == (signature, key_id(secret)):
            self._kept[str(directory)] = kept  # the latest used
            return
        payload = read(secret, kept[2] if kept is not None else None)
        if payload is not None and file_signature(directory / self.name) == signature:  # not replaced meanwhile
            self._kept[str(directory)] = (signature, key_id(secret), payload)
            while len(self._kept) > RESIDENT_DIRECTORIES:
                del self._kept[next(iter(self._kept))]

    def directories(self) -> set[str]:
        return set(self._kept)


def key_id(secret: bytes) -> bytes:
    """Names a signing key without revealing it (what a resident copy was verified under)."""
    return hashlib.sha256(b"meslint-resident\0" + secret).digest()


def _signed(header_line: bytes, body: bytes) -> bytes:
    """What the MAC covers: the header without its ``mac`` field, then the body."""
    try:
        header = json.loads(header_line)
    except ValueError:
        header = {}
    if isinstance(header, dict):
        header.pop("mac", None)
    return json.dumps(header, sort_keys=True).encode() + b"\n" + body
