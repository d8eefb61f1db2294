"""Baseline files: the findings a team has accepted, matched by identity with occurrence counts.

A baseline is JSON (``"version": 2``): one entry per finding identity (:meth:`Finding.fingerprint`:
code, subject, file and the primary line's normalised text) with how many findings have it.  A run
with ``--baseline`` reports a finding only beyond that count, so a repeat of a baselined breach is
still new.  The file is untrusted like everything in the repository: it is read without following a
link or blocking on a FIFO, within a size cap, and written atomically (:mod:`meslint.safe_io`).
"""

from __future__ import annotations

import os
from pathlib import Path

from meslint import safe_io
from meslint.errors import ConfigError
from meslint.reporters.escape import visible

BASELINE_VERSION = 2  # version 1 had one entry per code, subject and files, and no counts
BASELINE_SIZE_LIMIT = 64 * 1024 * 1024


def baseline_path(root: Path, given: Path) -> Path:
    """``given`` (--baseline / --write-baseline), refused when it leads out of the checked repository.

    A relative path, or an absolute one inside the repository, must stay inside it once links
    are resolved (a link planted in the repository must not redirect the read or the write);
    only an absolute path outside the repository, the CI owner's own choice, may point elsewhere.
    A link at the file itself is refused when it is opened (:mod:`meslint.safe_io`).
    """
    absolute = Path(os.path.abspath(given))
    if (not given.is_absolute() or safe_io.names_inside(root, absolute)) and not safe_io.inside(root, absolute.parent):
        raise ConfigError(f"{given}: baseline path leads out of the checked repository "
                          "(give an absolute path to use a file outside it)")
    return absolute


def read_baseline(path: Path) -> dict[str, int]:
    """Fingerprint -> how many findings with it the baseline accepts."""
    import json

    raw = safe_io.read_or_fail(path, BASELINE_SIZE_LIMIT, lambda message: ConfigError(f"{path}: {message}"),
                               missing="baseline file not found (create it with --write-baseline)",
                               kind="baseline file", reading="the baseline")
    try:
        return _baseline_counts(path, json.loads(raw.decode("utf-8")))
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: not a meslint baseline ({type(exc).__name__}: {exc})") from None


def _baseline_counts(path: Path, document: dict) -> dict[str, int]:
    if document["version"] != BASELINE_VERSION:
        # A version-1 baseline matched by code, subject and files only: reading it the old way
        # would keep hiding new occurrences, and its fingerprints match nothing now.
        raise ConfigError(f"{path}: baseline version {document['version']!r}, expected "
                          f"{BASELINE_VERSION}; rewrite it with --write-baseline")
    counts: dict[str, int] = {}
    for entry in document["findings"]:
        count = entry.get("count", 1)
        if not isinstance(entry["fingerprint"], str) or not isinstance(count, int) or count < 1:
            raise TypeError("fingerprint must be a string and count a positive integer")
        counts[entry["fingerprint"]] = counts.get(entry["fingerprint"], 0) + count
    return counts


def baseline_document(findings) -> dict:
    """One entry per fingerprint with how many findings have it; sorted.  Fingerprints and counts
    match, the other fields (those of the first finding with it) are for the humans reviewing it."""
    entries: dict[str, dict] = {}
    for f in sorted(findings, key=lambda f: f.sort_key()):
        # visible(): the human fields hold no control character, nor a lone surrogate (a
        # non-UTF-8 file name) that UTF-8 cannot encode.
        entry = entries.setdefault(f.fingerprint(), {
            "fingerprint": f.fingerprint(), "count": 0, "code": f.code, "subject": visible(f.subject),
            "path": visible(f.location.path), "text": visible(f.anchor), "message": visible(f.message)})
        entry["count"] += 1
    ordered = sorted(entries.values(), key=lambda e: (e["path"], e["code"], e["subject"], e["text"],
                                                      e["fingerprint"]))
    return {"version": BASELINE_VERSION, "tool": "meslint", "findings": ordered}


def write_baseline(path: Path, findings) -> int:
    """Record ``findings`` in ``path`` (see :func:`baseline_document`); the number recorded."""
    import json

    document = baseline_document(findings)
    unique = document["findings"]
    try:
        safe_io.write_atomic(path, (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    except safe_io.UnsafeFile as exc:
        raise ConfigError(f"{path}: cannot write the baseline: {exc.reason}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write the baseline: {exc}") from None
    return sum(entry["count"] for entry in unique)


