"""Stat-driven discovery: a file whose stat is unchanged since the last run is not read again.

What a run derives from a file's text before parsing -- its inline suppressions, which filter
tokens it mentions (:mod:`meslint.build`'s pre-parse filters) and the SHA-256 of its text (the
fact cache's key and :mod:`meslint.incremental`'s fingerprint) -- is recorded with the file's
``lstat``: mode, size, mtime, ctime, inode and device.  The next run takes those for any file
whose ``lstat`` is the same, the file is a regular file (never a link: a file turned into a
link is read again), no directory on its way is a link, and neither timestamp is within
:data:`meslint.cachefiles.RACY_NS` of the moment discovery started (as git does for racily clean
index entries: a file written in the same timestamp tick as our stat could change again without
its stat changing).  Everything else -- new, changed, racy or sniffed files -- is read as before.

The file's text is still read on demand (:class:`KnownFile.text`), e.g. when its facts must be
parsed again or a finding is anchored to its lines; a text that no longer matches the recorded
hash spoils the record, which is then not written.  The record is signed like every cache file
(:mod:`meslint.cachefiles`) and shape-checked after its MAC verifies; anything unexpected means
"read everything".
"""

from __future__ import annotations

import hashlib
import marshal
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from meslint import __version__, cachefiles
from meslint.cachefiles import RACY_NS
from meslint.facts import FileKind, Location
from meslint.listing import lstat
from meslint.suppressions import Suppression
from meslint.suppressions import scan as scan_suppressions

NAME = "files-v1.marshal"
_MAGIC = "meslint-file-record"
_FORMAT = 1


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class KnownFile:
    """A discovered file taken from the record: a :class:`meslint.discovery.DiscoveredFile` look-alike
    whose text is read only when asked for."""

    __slots__ = ("path", "kind", "size", "sha", "suppressions", "tokens", "_text", "_reader", "_store")

    def __init__(self, path: str, kind: FileKind, size: int, sha: str, suppressions: tuple[Suppression, ...],
                 tokens: dict[str, bool], reader: Callable[[str], str | None], store: Store) -> None:
        self.path, self.kind, self.size, self.sha = path, kind, size, sha
        self.suppressions, self.tokens = suppressions, tokens
        self._text: str | None = None
        self._reader, self._store = reader, store

    @property
    def text(self) -> str:
        if self._text is None:
            text = self._reader(self.path)
            if text is None or text_sha(text) != self.sha:
                # Changed or gone since discovery: the run sees the new text; the record is not kept.
                self._store.spoiled = True
                text = text or ""
            self._text = text
        return self._text


def mentions(item, token: str) -> bool:
    """Whether ``item``'s text contains ``token`` (from the record when the file was not read)."""
    tokens = getattr(item, "tokens", None)
    if tokens is None:
        return token in item.text
    known = tokens.get(token)
    if known is None:
        known = tokens[token] = token in item.text
    return known


def suppressions_of(item) -> tuple[Suppression, ...]:
    known = getattr(item, "suppressions", None)
    if known is not None:
        return known
    return tuple(scan_suppressions(item.path, item.kind, item.text))


class LazyTexts(dict):
    """``{path: text}`` of the discovered files, reading a recorded file's text only when asked."""

    def __init__(self, files) -> None:
        super().__init__()
        self._files = {item.path: item for item in files}

    def __contains__(self, path: object) -> bool:
        return path in self._files

    def __getitem__(self, path: str) -> str:
        return self._files[path].text

    def get(self, path, default=None):  # type: ignore[override]
        item = self._files.get(path)
        return default if item is None else item.text

    # A dict subclass (callers test ``isinstance(texts, dict)``) whose own storage stays empty: every
    # way of looking at it goes through the files, so a loop over it never sees an empty map.
    def __iter__(self):
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)

    def keys(self):  # type: ignore[override]
        return self._files.keys()

    def values(self):  # type: ignore[override]
        return [item.text for item in self._files.values()]

    def items(self):  # type: ignore[override]
        return [(path, item.text) for path, item in self._files.items()]

    def sha(self, path: str) -> str | None:
        item = self._files.get(path)
        if item is None:
            return None
        known = getattr(item, "sha", None)
        return known if known is not None else text_sha(item.text)


# A token's recorded answer (0 and 1 would pass too, and mean the same wherever it is read).
_TRUTH_VALUES = frozenset({True, False})


R = TypeVar("R", bound="SignedRecord")


class SignedRecord:
    """A record file of derived data in the cache directory (:data:`NAME`, signed, in marshal form):
    read when made, written whole by :meth:`_write`.  ``spoiled``: a text read later did not match
    what the record says of it, so the record is not written again."""

    NAME, MAGIC, FORMAT = NAME, _MAGIC, _FORMAT

    def __init__(self, directory: Path, secret: bytes) -> None:
        self.directory = directory
        self._secret = secret
        self.spoiled = False
        self._old = self._load()

    def _header_ok(self, header: dict) -> bool:
        return (header.get("magic") == self.MAGIC and header.get("format") == self.FORMAT
                and header.get("version") == __version__)

    def _load(self) -> dict:
        try:
            body = cachefiles.read_signed(self.directory / self.NAME, self._secret, self._header_ok)
            value = marshal.loads(body) if body is not None else None
        except Exception:
            return {}
        return value if isinstance(value, dict) else {}

    def _write(self, record: dict) -> None:
        if record == self._old:
            return
        header = {"magic": self.MAGIC, "format": self.FORMAT, "version": __version__}
        cachefiles.write_signed(self.directory / self.NAME, self._secret, header, marshal.dumps(record))


class Store(SignedRecord):
    """The record of one checked root: read at discovery, written after the build."""

    def __init__(self, directory: Path, secret: bytes) -> None:
        super().__init__(directory, secret)
        self.now = time.time_ns()
        self._stats: dict[str, tuple] = {}  # this run's trusted stats, taken before reading

    def stat_key(self, full: str) -> tuple | None:
        """The ``lstat`` facts of a regular, non-racy file, else ``None`` (never trusted)."""
        try:
            info = lstat(full)
        except OSError:
            return None
        if not stat.S_ISREG(info.st_mode) or max(info.st_mtime_ns, info.st_ctime_ns) > self.now - RACY_NS:
            return None
        return (info.st_mode, info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)

    def known(self, rel: str, kind: FileKind, key: tuple | None,
              reader: Callable[[str], str | None]) -> KnownFile | None:
        """The recorded file at ``rel`` when ``key`` (its current stat) is the recorded one."""
        if key is None:
            return None
        entry = self._old.get(rel)
        if not (isinstance(entry, tuple) and len(entry) == 5 and entry[0] == key and entry[1] == kind.value):
            return None
        known = known_file(rel, kind, key[1], entry[2:], reader, self)
        if known is not None:
            self._stats[rel] = key
        return known

    def note(self, rel: str, key: tuple | None) -> None:
        """The stat of a file about to be read (taken before reading: a later change shows in the next stat)."""
        if key is not None:
            self._stats[rel] = key

    def save(self, files) -> None:
        from meslint.build import FILTER_TOKENS  # saved after the build: build imports this module

        if self.spoiled:
            return
        record: dict[str, tuple] = {}
        for item in files:
            key = self._stats.get(item.path)
            if key is None or key[1] != item.size:
                continue  # racy, a link, or decoded from other bytes than the stat's (never reused)
            record[item.path] = (key, item.kind.value, *derived(item, FILTER_TOKENS))
        self._write(record)




def derived(item, filter_tokens) -> tuple[str, tuple, dict[str, bool]]:
    """What a record keeps of a discovered file's text: its SHA-256, its suppressions (as rows) and
    which of the build's filter tokens it holds (others are looked up in the text on demand)."""
    tokens = getattr(item, "tokens", None)
    if tokens is None:
        tokens = {token: token in item.text for token in filter_tokens}
    sha = getattr(item, "sha", None) or text_sha(item.text)
    return sha, tuple(_row(s) for s in suppressions_of(item)), tokens


def known_file(rel: str, kind: FileKind, size: int, recorded: tuple, reader: Callable[[str], str | None],
               store) -> KnownFile | None:
    """The file at ``rel`` from a record's (sha, rows, tokens), or None when the record has another shape
    (it is signed: another meslint's).  ``store`` is told (``spoiled``) when the text read later differs."""
    try:
        sha, rows, tokens = recorded
        # (the keys are looked up by the build's token strings, so only the values need a check)
        if not (isinstance(sha, str) and type(tokens) is dict and set(tokens.values()) <= _TRUTH_VALUES):
            return None
        suppressions = tuple(_suppression(rel, row) for row in rows)
    except Exception:
        return None
    return KnownFile(rel, kind, size, sha, suppressions, dict(tokens), reader, store)


def _row(s: Suppression) -> tuple:
    loc = s.location
    return (loc.line, loc.column, loc.end_line, loc.end_column, s.codes, s.target_line, s.text, s.alone, s.lead,
            s.codes_at)


def _suppression(rel: str, row) -> Suppression:
    line, column, end_line, end_column, codes, target, text, alone, lead, codes_at = row
    if not (all(isinstance(c, str) for c in codes) and isinstance(text, str) and isinstance(codes_at, tuple)):
        raise ValueError("malformed suppression row")
    return Suppression(Location(rel, line, column, end_line, end_column), tuple(codes), target, text, alone, lead,
                       tuple(codes_at))


def open_store(root: Path) -> Store | None:
    return open_record(Store, root)


def open_record(kind: type[R], root: Path) -> R | None:
    """``root``'s record of this kind, or None when caching is off or the cache cannot be kept private."""
    directory = cachefiles.directory_for(root)
    if directory is None:
        return None
    secret = cachefiles.signing_key_for(directory)
    return kind(directory, secret) if secret is not None else None
