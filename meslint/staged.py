"""``meslint check --staged``: judge a commit by what it changes.

Contracts span files: an edit of ``.env.example`` can break a start script that the commit does
not touch, and deleting a document breaks the links to it.  So the commit is judged by evaluating
two trees -- the git index (what would be committed) and ``HEAD`` (its parent) -- and reporting the
findings of the index that ``HEAD`` does not have, whichever file they sit in.  "Does not have" is
the baseline identity (:meth:`meslint.findings.Finding.fingerprint`, with occurrence counts).

Both trees are read with git *plumbing* only: ``ls-tree``/``ls-files --stage`` list the entries and
``cat-file --batch`` reads the blobs as stored, so no filter, textconv, hook or fsmonitor configured
by the repository ever runs (``checkout-index`` and ``archive`` would run the repository's
``filter.*.smudge`` programs).  Nothing is written: each tree becomes a
:class:`meslint.discovery.Discovery` in memory, with discovery's rules (kinds, size limit, binary and
encoding checks, links resolved inside the tree only), and is checked like a working tree.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import shutil
import subprocess
from collections.abc import Callable
from functools import partial
from pathlib import Path

from meslint.blob_reuse import BlobReader, BlobStore
from meslint.blob_reuse import open_store as open_blob_store
from meslint.discovery import DiscoveredFile, Discovery
from meslint.discovery import _decode as decode
from meslint.errors import ConfigError
from meslint.facts import FileKind, Location, SkippedFile
from meslint.listing import classify, excluded, is_dropin, may_hold_facts
from meslint.records import record
from meslint.stat_reuse import KnownFile

# Settings of the checked repository's own config that would make git run a program, switched off.
_GIT = ("git", "--no-pager", "--no-replace-objects", "-c", "core.fsmonitor=false", "-c", "core.untrackedCache=false",
        "-c", "core.hooksPath=/dev/null", "-c", "protocol.allow=never")
_TIMEOUT = 120


@record
class Entry:
    mode: str  # git's file mode: 100644, 100755, 120000 (link), 160000 (submodule)
    oid: str
    path: str  # relative to the checked root, POSIX


def _git_env() -> dict[str, str]:
    return {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1"}


def _run_git(root: Path, args: tuple[str, ...], stdin: bytes | None = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([*_GIT, *args], cwd=root, input=stdin, capture_output=True, timeout=_TIMEOUT,
                              check=False, env=_git_env())
    except (OSError, subprocess.SubprocessError) as exc:
        raise ConfigError(f"--staged: cannot run git: {exc}") from None


def _git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    done = _run_git(root, args, stdin)
    if done.returncode != 0:
        message = " ".join(done.stderr.decode("utf-8", "replace").split()) or f"exit {done.returncode}"
        raise ConfigError(f"--staged: git {args[0]} failed: {message[:300]}")
    return done.stdout


def _head_tree(root: Path) -> str | None:
    """The id of HEAD's tree at ``root`` (git resolves ``HEAD:./`` in the directory it runs in), or
    None: no commit yet (the first commit: everything in it is new), or ``root`` is not in HEAD."""
    done = _run_git(root, ("rev-parse", "--verify", "--quiet", "HEAD:./"))
    return done.stdout.decode("ascii", "replace").strip() if done.returncode == 0 else None


def head_entries(root: Path) -> list[Entry]:
    """HEAD's entries under ``root`` (``ls-tree`` run there lists that subtree, paths relative to it)."""
    return _tree_entries(root) if _head_tree(root) is not None else []


def _tree_entries(root: Path) -> list[Entry]:
    entries = []
    for line in _git(root, "ls-tree", "-r", "-z", "HEAD").split(b"\0"):
        if line:
            meta, _, path = line.partition(b"\t")
            mode, _kind, oid = meta.split(b" ")
            entries.append(Entry(mode.decode(), oid.decode(), os.fsdecode(path)))
    return entries


def index_entries(root: Path) -> list[Entry]:
    """The index's entries under ``root``; an unmerged path is an error (nothing can be committed)."""
    entries = []
    for line in _git(root, "ls-files", "--stage", "-z").split(b"\0"):
        if line:
            meta, _, path = line.partition(b"\t")
            mode, oid, stage = meta.split(b" ")
            if stage != b"0":
                raise ConfigError(f"--staged: {os.fsdecode(path)} is unmerged; resolve the conflict first")
            entries.append(Entry(mode.decode(), oid.decode(), os.fsdecode(path)))
    return entries


def read_blobs(root: Path, oids: set[str]) -> dict[str, bytes]:
    """Each blob's bytes as stored (no filters): one ``cat-file --batch`` for all of them."""
    if not oids:
        return {}
    ordered = sorted(oids)
    out = _git(root, "cat-file", "--batch", stdin="".join(f"{oid}\n" for oid in ordered).encode())
    blobs: dict[str, bytes] = {}
    position = 0
    for oid in ordered:
        end = out.index(b"\n", position)
        header = out[position:end].split(b" ")
        if len(header) != 3 or header[1] != b"blob":
            raise ConfigError(f"--staged: git cat-file: object {oid} is not a blob")
        size = int(header[2])
        blobs[oid] = out[end + 1:end + 1 + size]
        position = end + 1 + size + 1  # content, then a newline
    return blobs


def discovery_of(entries: list[Entry], blobs: dict[str, bytes], *, max_file_size: int,
                 exclude: tuple[str, ...], mirrors: tuple[str, ...], records: BlobStore | None = None,
                 reader: Callable[[str], str | None] | None = None,
                 read: list[tuple[DiscoveredFile, str]] | None = None,
                 fetch: Callable[[str], bytes | None] | None = None) -> Discovery:
    """What :func:`meslint.discovery.discover` would find in a checkout of ``entries`` (every path
    listed, as ``git ls-files`` lists them; submodules are paths without content).

    ``records``: a regular file whose blob it recorded is taken from it (``reader`` reads its text
    when asked), and ``blobs`` need not hold it (:func:`blobs_to_read`); a blob the record held but
    does not answer for after all (a link's target, a file now over the size limit) comes from
    ``fetch``.  ``read`` collects each regular file with its blob id, for the record."""
    by_path = {e.path: e for e in entries}
    files: list[DiscoveredFile | KnownFile] = []
    skipped: list[SkippedFile] = []
    paths: list[str] = []
    for entry in sorted(entries, key=lambda e: e.path):
        rel = entry.path
        paths.append(rel)
        if excluded(rel, exclude) or entry.mode == "160000" or not may_hold_facts(rel, mirrors):
            continue
        if records is not None and reader is not None and entry.mode in _REGULAR:
            named_kind = classify(rel, None, mirrors)  # a kind by name wins over a shebang
            known = records.known(rel, named_kind, entry.oid, reader) if named_kind is not None else None
            if known is not None and known.size <= max_file_size:
                files.append(known)
                if read is not None:
                    read.append((known, entry.oid))  # type: ignore[arg-type]
                continue
        if entry.mode == "120000" and is_dropin(rel) and blobs.get(entry.oid) == b"/dev/null":
            files.append(DiscoveredFile(rel, FileKind.UNIT, "", 0))  # a masked drop-in, as discover() reads it
            continue
        target = _follow(entry, by_path, blobs)
        if isinstance(target, str):
            if classify(rel, None, mirrors) is not None:
                skipped.append(SkippedFile(Location(rel, 1, 1), target))
            continue
        data = blobs.get(target.oid)
        if data is None and fetch is not None:
            data = fetch(target.oid)
        if data is None:
            continue
        kind = classify(rel, data[:8192], mirrors)
        if kind is None:
            continue
        if len(data) > max_file_size:
            skipped.append(SkippedFile(Location(rel, 1, 1), f"file is {len(data)} bytes, over the "
                                                             f"{max_file_size}-byte limit (max-file-size)"))
            continue
        decoded = decode(rel, data)
        if isinstance(decoded, SkippedFile):
            skipped.append(decoded)
            continue
        files.append(DiscoveredFile(rel, kind, decoded, len(data)))
        if read is not None and target is entry:
            read.append((files[-1], entry.oid))  # type: ignore[arg-type]
    return Discovery(tuple(files), tuple(skipped), frozenset(paths))  # type: ignore[arg-type]


_REGULAR = ("100644", "100755")


def blobs_to_read(entries: list[Entry], records: BlobStore | None, mirrors: tuple[str, ...]) -> set[str]:
    """The blobs :func:`discovery_of` needs: of links, and of the files it may take facts from that
    ``records`` does not hold."""
    wanted = set()
    for entry in entries:
        if entry.mode == "120000":
            wanted.add(entry.oid)
        elif entry.mode != "160000" and may_hold_facts(entry.path, mirrors):
            kind = classify(entry.path, None, mirrors) if records is not None else None
            if kind is None or not records.holds(entry.oid, kind):  # type: ignore[union-attr]
                wanted.add(entry.oid)
    return wanted


def _follow(entry: Entry, by_path: dict[str, Entry], blobs: dict[str, bytes]) -> Entry | str:
    """The regular file ``entry`` is or links to inside the tree, or why it is skipped (discovery's words)."""
    seen = set()
    while entry.mode == "120000":
        if entry.path in seen:
            return "symbolic link that cannot be resolved (dangling or a loop)"
        seen.add(entry.path)
        link = os.fsdecode(blobs.get(entry.oid, b""))
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(entry.path), link))
        if link.startswith("/") or joined == ".." or joined.startswith("../"):
            return "symbolic link to a path outside the repository; not followed"
        found = by_path.get(joined)
        if found is None:
            if any(path.startswith(joined + "/") for path in by_path):
                return "not a regular file (FIFO, socket or device); never opened"
            return "symbolic link that cannot be resolved (dangling or a loop)"
        entry = found
    if entry.mode == "160000":
        return "not a regular file (FIFO, socket or device); never opened"
    return entry


def staged_run(root: Path, settings, contract: str | None):
    """The index's findings (as a Report for ``root``) and how many findings of each fingerprint HEAD has."""
    import gc

    from meslint import cachefiles
    from meslint.engine import load_contract, run
    from meslint.findings import Report
    from meslint.run_cache import RunCache

    if shutil.which("git") is None:
        raise ConfigError("--staged needs git on PATH")
    pack = load_contract(settings, root, contract)
    mirrors = pack.named_files  # mirror docs and pack-named data files
    # Facts are cached by content, so both trees use (and feed) the root's fact cache; the checks whose
    # inputs are as the last run (of the working tree, or of an index) recorded them are replayed from
    # the run cache (meslint.incremental: inputs are fingerprinted by content); HEAD's finding counts
    # are recorded per HEAD tree, which every commit until the next one judges again; the blobs the
    # last run read are taken from their record (meslint.blob_reuse) and read only when asked for.
    run_cache = RunCache.open(root, settings, contract)
    prior = run_cache.prior if run_cache is not None else None
    head_tree = _head_tree(root)
    tree_key = head_tree or "none"
    counts = run_cache.head_counts(tree_key) if run_cache is not None else None
    index = index_entries(root)
    head = _tree_entries(root) if counts is None and head_tree is not None else []
    records = open_blob_store(root)
    # Discovery reads only the files it may take facts from (and links); the others need only exist.
    blobs = read_blobs(root, blobs_to_read(index + head, records, mirrors))
    gc.set_threshold(100_000, 50, 100)  # as in cli._report: parsing makes many acyclic objects
    reader = BlobReader([*_GIT, "cat-file", "--batch"], root, _git_env(),
                        lambda oid: read_blobs(root, {oid}).get(oid))
    read: list[tuple[DiscoveredFile, str]] = []

    def check(entries: list[Entry], record: bool):
        oids = {e.path: e.oid for e in entries}

        def text_of(path: str) -> str | None:
            data = reader.read(oids[path])
            text = decode(path, data) if data is not None else None
            return text if isinstance(text, str) else None

        found = discovery_of(entries, blobs, max_file_size=settings.max_file_size, exclude=settings.exclude,
                             mirrors=mirrors, records=records, reader=text_of, read=read, fetch=reader.read)
        result = run(root, settings, pack, found=found, prior=prior, track=record and run_cache is not None)
        if run_cache is not None and result.incremental is not None:
            cachefiles.write_later(partial(_record_inputs, run_cache, result.incremental))
        return result

    recorded: dict[str, dict[str, int]] = {}
    try:
        index_run = check(index, record=True)
        index_key = tree_id(index)
        if index_key is not None:  # the tree HEAD will name once this index is committed
            recorded[index_key] = fingerprint_counts(index_run.findings)
        if counts is None:
            counts = fingerprint_counts(check(head, record=False).findings)
        recorded[tree_key] = counts  # HEAD's stays among the latest kept
    finally:
        reader.close()
    if run_cache is not None and recorded:
        cachefiles.write_later(partial(run_cache.record_head_counts, recorded))
    if records is not None:
        cachefiles.write_later(partial(records.save, read))
    report = Report(index_run.repo.root, index_run.pack.name, index_run.findings, index_run.suppressed,
                    index_run.suppression_kinds)
    return report, counts


def fingerprint_counts(findings) -> dict[str, int]:
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.fingerprint()] = counts.get(finding.fingerprint(), 0) + 1
    return counts


def tree_id(entries: list[Entry]) -> str | None:
    """The id git gives the tree of ``entries`` (what ``HEAD:./`` names once they are committed),
    computed as git computes it, without writing an object: in each directory the entries sorted by
    name (a directory's name as if it ended in ``/``), each ``<mode> <name>\0<binary id>``, the whole
    hashed as ``tree <size>\0...`` with the repository's hash (SHA-1, or SHA-256 for 64-digit ids).
    None when the entries cannot make a tree (no entries, mixed id lengths, a file where a directory is)."""
    if not entries:
        return None
    width = len(entries[0].oid)
    hasher = {40: hashlib.sha1, 64: hashlib.sha256}.get(width)
    if hasher is None or any(len(entry.oid) != width for entry in entries):
        return None
    root: dict[bytes, object] = {}
    for entry in entries:
        *directories, name = os.fsencode(entry.path).split(b"/")
        node = root
        for directory in directories:
            child = node.setdefault(directory, {})
            if not isinstance(child, dict):
                return None
            node = child
        if name in node:
            return None
        node[name] = entry

    def digest(node: dict[bytes, object]) -> bytes:
        rows = []
        for name, child in node.items():
            if isinstance(child, dict):
                rows.append((name + b"/", b"40000 " + name + b"\0" + digest(child)))
            else:
                rows.append((name, child.mode.encode() + b" " + name + b"\0" + bytes.fromhex(child.oid)))  # type: ignore[attr-defined]
        body = b"".join(row for _, row in sorted(rows))
        return hasher(b"tree %d\0" % len(body) + body).digest()

    try:
        return digest(root).hex()
    except ValueError:  # an id that is not hex
        return None


def _record_inputs(run_cache, inputs) -> None:
    record = inputs()
    if record is not None:
        run_cache.record_inputs(record)


def changed_paths(root: Path) -> frozenset[str]:
    """The files a commit changes, relative to ``root``: the staged ones, or -- when pre-commit runs
    with ``--from-ref``/``--to-ref`` (``PRE_COMMIT_FROM_REF``/``PRE_COMMIT_TO_REF``) -- those between
    the two refs.  Deleted files included: findings citing them still touch them."""
    start, end = os.environ.get("PRE_COMMIT_FROM_REF"), os.environ.get("PRE_COMMIT_TO_REF")
    if start and end:
        if start.startswith("-") or end.startswith("-"):
            raise ConfigError("PRE_COMMIT_FROM_REF/PRE_COMMIT_TO_REF must name revisions, not options")
        listed = _git(root, "diff", "--name-only", "-z", "--relative", "--no-renames", f"{start}...{end}", "--")
    else:
        listed = _git(root, "diff", "--cached", "--name-only", "-z", "--relative", "--no-renames", "--")
    return frozenset(os.fsdecode(p) for p in listed.split(b"\0") if p)


def allowance(at_head: dict[str, int], baseline: dict[str, int] | None) -> dict[str, int]:
    """How many findings of each fingerprint are not new: those HEAD has, or the baseline accepts."""
    merged = dict(baseline or {})
    for fingerprint, count in at_head.items():
        merged[fingerprint] = max(count, merged.get(fingerprint, 0))
    return merged
