"""``check --staged`` without reading every blob: what a run derives from a file's text, by blob.

A commit changes a few files; the other blobs of the index are the ones the last ``--staged`` run
read.  What a run derives from a file's text before parsing -- the SHA-256 of the text (the fact
cache's key), its inline suppressions and which filter tokens it holds -- depends on the bytes and
the file's kind alone, and a blob id names the bytes.  So this record keeps them by (blob id,
kind), and the next run takes an unchanged blob from it as a :class:`meslint.stat_reuse.KnownFile`
whose text is read only when asked for (a parse the fact cache cannot answer, a finding anchored
to its lines), through :class:`BlobReader`.

Like every cache file the record is signed (:mod:`meslint.cachefiles`) and shape-checked after its
MAC verifies; a text read later that does not match the recorded hash spoils the record, which is
then not written.  Only the entries of a run's files are written again, so it holds two trees at most.
"""

from __future__ import annotations

import os
import select
import subprocess
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from meslint.facts import FileKind
from meslint.stat_reuse import KnownFile, SignedRecord, derived, known_file, open_record

NAME = "blobs-v1.marshal"
_MAGIC = "meslint-blob-record"
_FORMAT = 1


class BlobStore(SignedRecord):
    """The record of one checked root's blobs: read before the trees are discovered, written after."""

    NAME, MAGIC, FORMAT = NAME, _MAGIC, _FORMAT

    def holds(self, oid: str, kind: FileKind) -> bool:
        return _slot(oid, kind) in self._old

    def known(self, rel: str, kind: FileKind, oid: str, reader: Callable[[str], str | None]) -> KnownFile | None:
        """The file at ``rel`` (blob ``oid``, of ``kind``) from the record, or None."""
        slot = _slot(oid, kind)
        entry = self._old.get(slot)
        if not (isinstance(entry, tuple) and len(entry) == 4 and type(entry[0]) is int):
            return None
        return known_file(rel, kind, entry[0], entry[1:], reader, self)

    def save(self, files: Iterable[tuple[object, str]]) -> None:
        """Write the entries of the files this run discovered (``(file, blob id)`` pairs): those taken
        from the record keep what the run looked up in their text meanwhile (the pack's tokens)."""
        from meslint.build import FILTER_TOKENS  # saved after the build: build imports stat_reuse

        if self.spoiled:
            return
        record = {}
        for item, oid in files:
            record[_slot(oid, item.kind)] = (item.size, *derived(item, FILTER_TOKENS))  # type: ignore[attr-defined]
        self._write(record)


def _slot(oid: str, kind: FileKind) -> str:
    return f"{oid} {kind.value}"


def open_store(root: Path) -> BlobStore | None:
    return open_record(BlobStore, root)


class BlobReader:
    """Reads blobs one at a time, as asked, through one ``git cat-file --batch`` kept open for the run
    (a process per blob would cost more than reading them all).  Plumbing only: no filter runs.  A
    forked helper (the parallel parse or checks) starts its own process; a read that fails or takes
    longer than ``timeout`` seconds ends the process and falls back to ``fallback`` (one-shot)."""

    def __init__(self, command: list[str], cwd: Path, env: dict[str, str],
                 fallback: Callable[[str], bytes | None], timeout: float = 60) -> None:
        self._command, self._cwd, self._env = command, cwd, env
        self._fallback, self._timeout = fallback, timeout
        self._process: subprocess.Popen | None = None
        self._owner = 0
        self._pending = bytearray()

    def read(self, oid: str) -> bytes | None:
        try:
            return self._read(oid)
        except (OSError, ValueError, EOFError, TimeoutError):
            self.close()
            return self._fallback(oid)

    def close(self) -> None:
        process, self._process = self._process, None
        self._pending.clear()
        if process is None or self._owner != os.getpid():
            return  # a forked helper leaves its parent's process alone
        for stream in (process.stdin, process.stdout):
            try:
                stream.close()  # type: ignore[union-attr]
            except OSError:
                pass
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _read(self, oid: str) -> bytes | None:
        if self._process is None or self._owner != os.getpid():
            self._pending = bytearray()
            self._process = subprocess.Popen(self._command, cwd=self._cwd, env=self._env, stdin=subprocess.PIPE,
                                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
            self._owner = os.getpid()
        process = self._process
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(f"{oid}\n".encode())
        deadline = time.monotonic() + self._timeout
        header = self._take_line(process.stdout.fileno(), deadline).split(b" ")
        if len(header) != 3 or header[1] != b"blob":
            return None  # "<oid> missing", or not a blob
        size = int(header[2])
        data = self._take(process.stdout.fileno(), size + 1, deadline)  # the content, then a newline
        return bytes(data[:size])

    def _take_line(self, fd: int, deadline: float) -> bytes:
        while b"\n" not in self._pending:
            self._fill(fd, deadline)
        line, _, rest = bytes(self._pending).partition(b"\n")
        self._pending = bytearray(rest)
        return line

    def _take(self, fd: int, size: int, deadline: float) -> bytearray:
        while len(self._pending) < size:
            self._fill(fd, deadline)
        data, self._pending = self._pending[:size], self._pending[size:]
        return data

    def _fill(self, fd: int, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            raise TimeoutError("git cat-file did not answer")
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            raise EOFError("git cat-file ended")
        self._pending += chunk
