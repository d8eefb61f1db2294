"""Which files the repository holds, of which kind, and their text.

Discovery never follows a link out of the checked root, never opens anything
but regular files (a FIFO or device would block or worse), and turns binary,
oversized, undecodable and unreadable files into :class:`SkippedFile` records
(MES102) instead of errors.  UTF-8 with a BOM and CRLF line ends are normal input:
the BOM is dropped and CRLF becomes LF, which keeps line numbers intact.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from meslint import safe_io
from meslint.config import DEFAULT_MAX_FILE_SIZE
from meslint.facts import FileKind, Location, SkippedFile
from meslint.listing import classify, existing_paths, fact_candidates, is_dropin, list_paths
from meslint.listing import excluded as is_excluded
from meslint.records import record

_SNIFF_BYTES = 8192


@record(slots=True)
class DiscoveredFile:
    path: str  # repo-relative POSIX
    kind: FileKind
    text: str
    size: int


@record
class Discovery:
    files: tuple[DiscoveredFile, ...]
    skipped: tuple[SkippedFile, ...]
    all_paths: frozenset[str]


def discover(root: Path, *, max_file_size: int = DEFAULT_MAX_FILE_SIZE,
             exclude: Iterable[str] = (), extra_markdown: Iterable[str] = (), store=None) -> Discovery:
    """``store``: a :class:`meslint.stat_reuse.Store`; a file whose stat it recorded is not read."""
    root = root.resolve()
    excluded = tuple(exclude)
    extra_md = frozenset(extra_markdown)
    files: list[DiscoveredFile] = []
    skipped: list[SkippedFile] = []
    all_paths: list[str] = []
    real_dirs: dict[str, str] = {}  # realpath of each directory, for this run only
    unreadable: list[tuple[str, str]] = []
    listed = list_paths(root, unreadable)
    candidates = fact_candidates(root, listed, extra_md)  # most files are not: decided by name
    for rel in listed:
        all_paths.append(rel)  # an excluded file is not checked, but it still exists (links to it hold)
        if (excluded and is_excluded(rel, excluded)) or rel not in candidates:
            continue
        kind = classify(rel, None, extra_md)
        needs_sniff = kind is None  # may_hold_facts: a kind by name, or no extension (a shebang may tell)
        if store is not None and kind is not None:  # a sniffed file is read: its kind is in its bytes
            known = _known(root, rel, kind, max_file_size, real_dirs, store)
            if known is not None:
                files.append(known)
                continue
        outcome = _read(root, rel, max_file_size, real_dirs, sniff_only=needs_sniff)
        if isinstance(outcome, SkippedFile):
            if kind is not None:
                skipped.append(outcome)
            continue
        data = outcome
        if kind is None:
            kind = classify(rel, data[:_SNIFF_BYTES], extra_md)
            if kind is None:
                continue
            full = _read(root, rel, max_file_size, real_dirs, sniff_only=False)
            if isinstance(full, SkippedFile):
                skipped.append(full)
                continue
            data = full
        decoded = _decode(rel, data)
        if isinstance(decoded, SkippedFile):
            skipped.append(decoded)
            continue
        files.append(DiscoveredFile(rel, kind, decoded, len(data)))
    for rel_dir, reason in unreadable:  # a blind spot, not a silent hole (its files may hold the contract)
        if not is_excluded(rel_dir, excluded):
            skipped.append(_skip(rel_dir, f"directory cannot be listed ({reason}); its files were not checked"))
    return Discovery(tuple(files), tuple(skipped), existing_paths(root, all_paths))


def _known(root: Path, rel: str, kind: FileKind, max_size: int, real_dirs: dict[str, str], store):
    """The store's record of ``rel`` if its stat is unchanged; else notes the stat before the file is read."""
    base = str(root)
    parent = rel.rpartition("/")[0]
    real_parent = real_dirs.get(parent)
    if real_parent is None:
        real_parent = os.path.realpath(os.path.join(base, parent)) if parent else base
        real_dirs[parent] = real_parent
    # Only a file reached through no linked directory (its lstat is then the file's own).
    key = store.stat_key(os.path.join(base, rel)) if real_parent == os.path.join(base, parent).rstrip("/") else None
    if key is not None and key[1] > max_size:
        key = None

    def reader(path: str) -> str | None:
        data = _read(root, path, max_size, {}, sniff_only=False)
        text = data if isinstance(data, SkippedFile) else _decode(path, data)
        return None if isinstance(text, SkippedFile) else text

    known = store.known(rel, kind, key, reader)
    if known is None:
        store.note(rel, key)
    return known


def _skip(rel: str, reason: str) -> SkippedFile:
    return SkippedFile(Location(rel, 1, 1), reason)


def _prefix_of(root: str) -> str:
    return root if root.endswith(os.sep) else root + os.sep


def _read(root: Path, rel: str, max_size: int, real_dirs: dict[str, str], *,
          sniff_only: bool) -> bytes | SkippedFile:
    """``real_dirs``: the run's memo of each directory's realpath (one realpath per directory)."""
    # Plain strings rather than Path objects: this runs once per candidate file.
    base = str(root)
    full = os.path.join(base, rel)
    try:
        is_link = os.path.islink(full)
        if is_link and is_dropin(rel) and os.readlink(full) == "/dev/null":
            return b""  # a masked drop-in (systemd reads it as empty); the link is not followed
        # realpath also catches a linked *directory* component on the way to the file.  The
        # directory part is resolved once per directory (a realpath costs an lstat per component).
        if is_link:
            # Not strict: a link out is "outside" whether or not its target exists (the message
            # must not tell the repository what lies outside it); a dangling inside link fails the stat.
            target = os.path.realpath(full)
        else:
            parent, _, name = rel.rpartition("/")
            real_parent = real_dirs.get(parent)
            if real_parent is None:
                real_parent = os.path.realpath(os.path.join(base, parent)) if parent else base
                real_dirs[parent] = real_parent
            target = os.path.join(real_parent, name)
    except (OSError, RuntimeError):
        return _skip(rel, "symbolic link that cannot be resolved (dangling or a loop)")
    if target != base and not target.startswith(_prefix_of(base)):
        return _skip(rel, "symbolic link to a path outside the repository; not followed")
    full = target
    try:
        info = os.stat(full)
    except OSError as exc:
        if is_link:
            return _skip(rel, "symbolic link that cannot be resolved (dangling or a loop)")
        return _skip(rel, f"cannot stat: {exc.strerror or exc}")
    if not stat.S_ISREG(info.st_mode):
        return _skip(rel, "not a regular file (FIFO, socket or device); never opened")
    if info.st_size > max_size:
        return _skip(rel, f"file is {info.st_size} bytes, over the {max_size}-byte limit (max-file-size)")
    try:
        # Opened without following a link and without blocking: the file may have been swapped
        # for a link or a FIFO since the stat above.
        fd, opened = safe_io.open_regular(full)
    except safe_io.UnsafeFile as exc:
        return _skip(rel, exc.reason)
    except OSError as exc:
        return _skip(rel, f"cannot open: {exc.strerror or exc}")
    try:
        data = safe_io.read_upto(fd, _SNIFF_BYTES if sniff_only else max_size + 1, opened.st_size + 1)
    except OSError as exc:
        return _skip(rel, f"cannot read: {exc.strerror or exc}")
    finally:
        os.close(fd)
    if len(data) > max_size:
        return _skip(rel, f"file is over the {max_size}-byte limit (max-file-size)")
    return data


def _decode(rel: str, data: bytes) -> str | SkippedFile:
    if b"\0" in data[:_SNIFF_BYTES]:
        return _skip(rel, "binary content (NUL bytes); not a text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return SkippedFile(Location(rel, line, 1), f"not valid UTF-8 (byte {exc.start}); skipped")
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    return text
