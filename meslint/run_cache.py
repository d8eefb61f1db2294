"""Whole-run cache: replay the last run's findings when nothing they depend on has changed.

Findings are cross-file: a unit's finding can come from a line of README.  So the unit of
reuse is the whole run.  Its key covers everything a run's findings depend on:

* meslint itself: its version, the Python version, and the size and mtime of each of its
  own source files (an edited checkout of meslint invalidates the key);
* the resolved settings (configuration file plus command line) and the contract pack's bytes;
* the tree: every path the listing yields (``git ls-files`` or the walk, ``exclude``d ones too),
  and for each file discovery would read, its ``lstat`` (and, for a link, its target's
  ``stat``): type, size, mtime, ctime and inode.

When the key matches, the stored findings are replayed without reading or parsing any
file: this is what makes a warm run (a pre-commit hook on an unchanged tree, an editor
asking again) cost a directory listing and a few hundred ``stat`` calls.  When it does not
match, the run proceeds as usual (with the per-file fact cache) and records itself.

Timestamps are coarse on some file systems, so, as git does for its racily clean index
entries, a file whose mtime or ctime is within :data:`RACY_NS` of the moment the tree was
listed could change again without its stat changing.  Such a file's content is hashed when
the tree is listed and again after the run: the record keeps the hash, and a replay must
find the same content, not only the same stat (a pre-commit hook right after an edit gets
the replay instead of a full run).  A racy file that cannot be hashed, or whose content
changed during the run, keeps the run from being recorded.  The file is signed like the
fact cache (:mod:`meslint.cachefiles`); anything unexpected means "miss".
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import marshal
import os
import stat
import sys
import time
from pathlib import Path

from meslint import __version__, cachefiles, own_sources, pack_files, safe_io
from meslint.cachefiles import RACY_NS
from meslint.edits import Edit, Fix
from meslint.errors import PackError
from meslint.findings import Finding, Related, Report
from meslint.listing import excluded, existing_paths, fact_candidates, list_paths, lstat
from meslint.location import Location

RUN_NAME = "run-v1.json"
# What each check read, with its findings (meslint.incremental): read only when the replay misses.
DEPS_NAME = "deps-v1.marshal"
# ``--staged``: the finding counts of the last HEAD tree judged (meslint.staged).
HEAD_NAME = "staged-head-v2.json"
TREES_KEPT = 4  # HEAD, the index being committed, and the trees of a branch switched away from and back
_MAGIC = "meslint-run-cache"
_FORMAT = 2


@dataclasses.dataclass(frozen=True)
class Inventory:
    """The tree as the key sees it, taken before any file is read."""

    mirrors: tuple[str, ...]  # extra Markdown names, which decide which files are read
    digest: str
    racy: bool  # a file changed too recently for its stat to be trusted, and could not be hashed
    # The files whose stat is too fresh to trust, with the SHA-256 of their bytes when listed.
    hashes: tuple[tuple[str, str], ...] = ()


class RunCache:
    """The run cache of one checked root under the current settings."""

    def __init__(self, root: Path, directory: Path, secret: bytes, settings_key: str,
                 exclude: tuple[str, ...]) -> None:
        self.root = root
        self.directory = directory
        self._secret = secret
        self._settings_key = settings_key
        self._exclude = exclude
        self._inventory: Inventory | None = None
        self._prior: dict | None | bool = False  # False: not read yet

    @classmethod
    def open(cls, root: Path, settings, override: str | None = None) -> RunCache | None:
        """``None`` when caching is off, or the pack cannot be read (the run reports why).

        ``override``: ``--contract``; else the configuration's pack, found as the run finds it."""
        directory = cachefiles.directory_for(root)
        if directory is None:
            return None
        secret = cachefiles.signing_key_for(directory)
        if secret is None:
            return None
        try:
            contract = override or settings.contract
            path, source = pack_files.locate(contract, root, confined=override is None and settings.from_repository)
            pack_bytes = pack_files.read_bytes(path, source)
        except PackError:
            return None
        key = _settings_key(root, settings, contract, pack_bytes)
        cachefiles.note_used(directory)  # a replayed run opens no fact cache: a server warms this one too
        return cls(root, directory, secret, key, tuple(settings.exclude))

    def replay(self, stdin: tuple[str, str] | None = None) -> Report | None:
        """The recorded report if the key matches; ``stdin`` (path, text) must equal the file on disk."""
        if stdin is not None and not self._same_as_disk(stdin):
            return None  # an edited buffer: no recorded run answers it (known before the tree is listed)
        try:
            body = cachefiles.read_signed(self.directory / RUN_NAME, self._secret, self._same_settings)
            if body is None:
                return None
            stored = json.loads(body)
            inventory = self.inventory(tuple(stored["mirrors"]))
            if stored["tree"] != inventory.digest:
                return None
            if not _same_content(self.root, stored.get("racy", []), dict(inventory.hashes)):
                return None  # a file racily clean at record time has changed under the same stat
            if stdin is not None and stdin[0] not in stored["read"]:
                return None  # only a file the recorded run read can be replayed
            report = Report(stored["root"], stored["contract"], _findings(stored["findings"]),
                            _findings(stored["suppressed"], suppressed=True), tuple(stored["kinds"]))
        except Exception:  # a damaged or foreign record is a miss, never an error
            return None
        self._forget_settled(stored, inventory)
        return report

    def _forget_settled(self, stored: dict, inventory: Inventory) -> None:
        """Drop from the record the racily clean files that have settled (as git rewrites its index).

        A file changed within :data:`RACY_NS` of the record is hashed by every replay, for as long as
        the record stands: after a checkout, every file of the tree (1,390 hashes, 60 ms a run, on the
        MES Dashboard).  Its content was verified just now and its stat is the recorded one; once its
        times are older than the racy window, a change would give it new ones, so the stat alone
        answers for it from now on."""
        still = {path for path, _ in inventory.hashes}
        racy = stored.get("racy", [])
        settled = [pair for pair in racy if pair[0] in still]
        if inventory.racy or len(settled) == len(racy):
            return
        stored["racy"] = settled
        body = _run_json(stored)
        cachefiles.write_later(lambda: self._write(RUN_NAME, body))

    @property
    def prior(self) -> dict | None:
        """The recorded run's per-check inputs and findings (:mod:`meslint.incremental`), if any.

        A file of its own, so that a replay never reads it.  It is plain data in :mod:`marshal`
        form: decoding it measured twice as fast as JSON (2.2 MB: 35 ms against 70 ms on a loaded
        2-core machine), and marshal builds only plain values, never running code.  Like every
        cache file it is read only once its MAC verifies under the user's key; the data is then
        shape-checked like any untrusted input.  (Pickle was measured too: slower here, 190 ms for
        the facts as objects, and it would be as safe as the key alone.)"""
        if self._prior is False:
            resident = RESIDENT.taken(self.directory, self._secret)
            if resident is not None and self._same_settings(resident[0]):
                self._prior = resident[1]
            else:
                self._prior = _read_prior(self.directory, self._secret, self._same_settings)
        return self._prior  # type: ignore[return-value]

    def inventory(self, mirrors: tuple[str, ...]) -> Inventory:
        """The tree's key for these mirrors (taken once per run and mirrors)."""
        if self._inventory is None or self._inventory.mirrors != mirrors:
            self._inventory = _take_inventory(self.root, mirrors, self._exclude)
        return self._inventory

    def record(self, report: Report, mirrors: tuple[str, ...], read: list[str],
               incremental: dict | None = None) -> None:
        """Store ``report``; call :meth:`inventory` before the run read the tree."""
        if incremental is not None:
            self.record_inputs(incremental)
        inventory = self._inventory
        if inventory is None or inventory.mirrors != mirrors or inventory.racy:
            return
        if not _same_content(self.root, inventory.hashes):
            return  # a racy file changed while the run read the tree: which content do the findings see?
        document = {
            "mirrors": list(mirrors),
            "tree": inventory.digest,
            "racy": [list(pair) for pair in inventory.hashes],
            "read": sorted(read),
            "root": report.root,
            "contract": report.contract,
            "findings": [_encode(f) for f in report.findings],
            "suppressed": [_encode(f) for f in report.suppressed],
            "kinds": list(report.suppression_kinds),
        }
        self._write(RUN_NAME, _run_json(document))

    def record_inputs(self, incremental: dict) -> None:
        """Store what each check read and found (:mod:`meslint.incremental`), for the next run to replay
        from.  Its fingerprints are of the texts the run read, not of stats: valid for any tree these
        settings check (a racy working tree, the git index of ``--staged``)."""
        try:
            data = marshal.dumps(incremental)
        except ValueError:  # not plain data: no record, every check runs next time
            return
        self._write(DEPS_NAME, data)

    def head_counts(self, tree_key: str) -> dict[str, int] | None:
        """``--staged``: how many findings of each fingerprint the tree ``tree_key`` has, if a run under
        these settings recorded it: as ``HEAD``, or as the index a commit then made ``HEAD``."""
        counts = self._tree_counts().get(tree_key)
        if not isinstance(counts, dict) or not all(isinstance(k, str) and type(v) is int for k, v in counts.items()):
            return None
        return counts

    def _tree_counts(self) -> dict:
        try:
            body = cachefiles.read_signed(self.directory / HEAD_NAME, self._secret, self._same_settings)
            stored = json.loads(body) if body is not None else None
        except ValueError:
            return {}
        trees = stored.get("trees") if isinstance(stored, dict) else None
        return trees if isinstance(trees, dict) else {}

    def record_head_counts(self, counts_by_tree: dict[str, dict[str, int]]) -> None:
        """Keep these trees' counts with the latest others recorded (:data:`TREES_KEPT` in all)."""
        before = self._tree_counts()
        trees = {key: value for key, value in before.items() if key not in counts_by_tree}
        trees.update(counts_by_tree)
        trees = dict(list(trees.items())[-TREES_KEPT:])
        if list(trees.items()) == list(before.items()):
            return
        self._write(HEAD_NAME, json.dumps({"trees": trees}, sort_keys=False).encode("utf-8", "surrogatepass"))

    # -- helpers

    def _write(self, name: str, body: bytes) -> None:
        """Sign and save one of this cache's files, under the header :meth:`_same_settings` accepts."""
        header = {"magic": _MAGIC, "format": _FORMAT, "settings": self._settings_key}
        cachefiles.write_signed(self.directory / name, self._secret, header, body)

    def _same_settings(self, header: dict) -> bool:
        return (header.get("magic") == _MAGIC and header.get("format") == _FORMAT
                and header.get("settings") == self._settings_key)

    def _same_as_disk(self, stdin: tuple[str, str]) -> bool:
        # Only with the same text (normalised as discovery and the editor overlay normalise it).
        path, text = stdin
        try:
            # No link is followed here (the inventory vouches for the tree, but the file could be
            # swapped in between): a link or anything but a regular file is simply a miss, and a
            # file larger than the text could be (BOM, CRLF for every LF) is one too.
            limit = 3 + 2 * len(text.encode("utf-8", "surrogatepass"))
            disk = safe_io.read_capped(self.root / path, limit).decode("utf-8-sig")
        except (OSError, UnicodeDecodeError):
            return False
        return text.lstrip("\ufeff").replace("\r\n", "\n") == disk.replace("\r\n", "\n")


def _read_prior(directory: Path, secret: bytes, header_ok) -> dict | None:
    try:
        body = cachefiles.read_signed(directory / DEPS_NAME, secret, header_ok)
        value = marshal.loads(body) if body is not None else None
    except Exception:  # damaged, or written by another Python's marshal: no record
        return None
    return value if isinstance(value, dict) else None


# meslint.server keeps the per-check record of the runs it forked read, as meslint.cache keeps the
# facts: (header, record) per directory; a run takes it only under its own settings too.
RESIDENT = cachefiles.Resident(DEPS_NAME)


def warm(directory: Path) -> None:
    """Read ``directory``'s per-check record for the runs this process will fork (a server)."""

    def read(secret: bytes, before) -> tuple[dict, dict] | None:
        headers: list[dict] = []

        def header_ok(header: dict) -> bool:
            headers.append(header)
            return header.get("magic") == _MAGIC and header.get("format") == _FORMAT

        value = _read_prior(directory, secret, header_ok)
        return (headers[-1], value) if value is not None and headers else None

    RESIDENT.refresh(directory, read)


def _settings_key(root: Path, settings, contract: str, pack_bytes: bytes) -> str:
    digest = hashlib.sha256()
    # The root too: a --cache-dir shared between checkouts must never replay another tree's run.
    digest.update(f"{__version__}\0{sys.version}\0{root}\0{contract}\0".encode("utf-8", "surrogateescape"))
    fields = dataclasses.asdict(settings)
    digest.update(json.dumps(fields, sort_keys=True, default=repr).encode("utf-8", "surrogatepass"))
    digest.update(b"\0pack\0" + pack_bytes)
    digest.update(b"\0meslint\0" + own_sources.sources_key().encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _run_json(document: dict) -> bytes:
    """The run record's body (:meth:`RunCache.record`)."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass")


def _take_inventory(root: Path, mirrors: tuple[str, ...], exclude: tuple[str, ...]) -> Inventory:
    now = time.time_ns()
    digest = hashlib.sha256()
    racy = False
    hashes: list[tuple[str, str]] = []
    hashed: set[str] = set()
    base = str(root)
    paths = list_paths(root)
    digest.update("\0".join(paths).encode("utf-8", "surrogateescape"))  # excluded paths exist too
    digest.update(b"\1" + "\0".join(sorted(existing_paths(root, paths))).encode("utf-8", "surrogateescape"))
    candidates = fact_candidates(root, paths, mirrors)
    if exclude:
        paths = [rel for rel in paths if not excluded(rel, exclude)]
    for rel in paths:
        if rel not in candidates:
            continue
        for info in _stats(os.path.join(base, rel)):
            if isinstance(info, str):
                digest.update(f"{rel}\0{info}\0".encode("utf-8", "surrogateescape"))
                continue
            digest.update(b"%o %d %d %d %d\0" % (info.st_mode, info.st_size, info.st_mtime_ns,
                                                 info.st_ctime_ns, info.st_ino))
            if max(info.st_mtime_ns, info.st_ctime_ns) > now - RACY_NS and rel not in hashed:
                hashed.add(rel)
                content = _content_hash(root, rel)
                if content is None:
                    racy = True
                else:
                    hashes.append((rel, content))
    return Inventory(mirrors, digest.hexdigest(), racy, tuple(hashes))


def _content_hash(root: Path, rel: str) -> str | None:
    """SHA-256 of the bytes at ``rel`` (a link's target is read through ``realpath`` inside the root);
    ``None`` when it cannot be read: then the stat alone would have to be trusted, and it is not."""
    full = os.path.join(str(root), rel)
    try:
        target = os.path.realpath(full)
        if os.path.commonpath([target, os.path.realpath(root)]) != os.path.realpath(root):
            return None
        data = safe_io.read_capped(target, cachefiles.CACHE_SIZE_LIMIT)
    except (OSError, ValueError):
        return None
    return hashlib.sha256(data).hexdigest()


def _same_content(root: Path, hashes, known: dict[str, str] | None = None) -> bool:
    """Whether each (path, hash) pair still holds: the git answer to a racily clean entry.  ``known``:
    hashes taken just now (the inventory's, of the files still racy), not read again."""
    for item in hashes:
        if not (isinstance(item, (list, tuple)) and len(item) == 2):
            return False
        current = known.get(item[0]) if known is not None and isinstance(item[0], str) else None
        if (current if current is not None else _content_hash(root, item[0])) != item[1]:
            return False
    return True


def _stats(full: str) -> list:
    try:
        link = lstat(full)
    except OSError as exc:
        return [f"lstat:{exc.errno}"]
    if not stat.S_ISLNK(link.st_mode):
        return [link]
    try:
        return [link, os.stat(full)]
    except OSError as exc:
        return [link, f"stat:{exc.errno}"]


# --------------------------------------------------------------------------- findings as JSON


def _encode(finding: Finding) -> list:
    return [finding.code, finding.message, _location(finding.location),
            [[_location(r.location), r.message] for r in finding.related],
            finding.subject, finding.name, finding.severity, finding.anchor, _fix(finding.fix)]


def _fix(fix: Fix | None) -> list | None:
    if fix is None:
        return None
    return [fix.applicability, fix.message, [[e.path, e.line, e.column, e.end_line, e.end_column, e.content]
                                             for e in fix.edits]]


def _unfix(data: list | None) -> Fix | None:
    if data is None:
        return None
    applicability, message, edits = data
    return Fix(applicability, message, tuple(Edit(*edit) for edit in edits))


def _location(loc: Location) -> list:
    return [loc.path, loc.line, loc.column, loc.end_line, loc.end_column]


def _findings(items: list, *, suppressed: bool = False) -> tuple[Finding, ...]:
    return tuple(
        Finding(code, message, Location(*location), tuple(Related(Location(*where), text) for where, text in related),
                subject, name, severity, suppressed, anchor, _unfix(fix))
        for code, message, location, related, subject, name, severity, anchor, fix in items
    )
