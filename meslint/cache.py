"""Per-file fact cache: parse a file once per content, not once per run.

One index file per checked root, ``<root>/.meslint_cache/facts-v3.marshal`` (or
``--cache-dir``), maps each repository path to ``[key, facts]``, the facts in pickle form.  ``key`` is the
SHA-256 of the file's kind, path and text; the header carries the meslint
version and a fingerprint of the fact schema and of the parser sources, so an
upgrade (or a parser edit) invalidates everything.  The contract pack does not
enter the key: parsing does not depend on it (the pack only drives the
pre-filter and the checks, which run every time).

Trust: the index is plain data (:mod:`marshal`), each file's facts a pickle loaded through
:mod:`meslint.fact_pickle`, which builds only the fact model's types and a few standard value types
(no other name is looked up, nothing else is called), so a hostile cache cannot run code.
It could still *lie* (forged facts hiding a finding), so the file is signed
(:mod:`meslint.cachefiles`): one written by anyone else is ignored and the run
parses instead.
"""

from __future__ import annotations

import dataclasses
import hashlib
import marshal
import sys
from pathlib import Path

from meslint import __version__, cachefiles, fact_pickle, facts

INDEX_NAME = "facts-v3.marshal"
_MAGIC = "meslint-fact-cache"
_FORMAT = 3


# --------------------------------------------------------------------------- keys


def content_key(kind: facts.FileKind, path: str, text: str | None, variant: str = "", sha: str | None = None) -> str:
    """``variant`` names parser options that change the facts (e.g. Python without dict keys);
    ``sha``: the SHA-256 of ``text`` when the text was not read (meslint.stat_reuse)."""
    if sha is None:
        sha = hashlib.sha256((text or "").encode("utf-8", "surrogatepass")).hexdigest()
    digest = hashlib.sha256()
    digest.update(f"{kind.value}\0{variant}\0{path}\0{sha}".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


_FINGERPRINT: str | None = None


def fingerprint() -> str:
    """meslint version + fact schema + parser sources: what the cached facts depend on."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        digest = hashlib.sha256(__version__.encode())
        for (module, name), cls in sorted(fact_pickle.TYPES.items()):
            names = [f.name for f in dataclasses.fields(cls)] if dataclasses.is_dataclass(cls) else []
            digest.update(f"{module}.{name}({','.join(names)})".encode())
        here = Path(__file__).resolve().parent
        # argv.py: the unit parser finds the ``bash -c`` scripts it parses with it; template.py
        # decodes bash words for the parsers; root_derivation.py places their root anchors;
        # parsers/envfile/ is a package.
        sources = [*(here / f"{module.rpartition('.')[2]}.py" for module in facts.FACT_MODULES),
                   here / "build.py", here / "fact_pickle.py", here / "argv.py", here / "template.py",
                   here / "root_derivation.py",
                   *(here / "parsers").rglob("*.py")]
        for source in sorted(sources):
            try:
                digest.update(source.name.encode() + b"\0" + source.read_bytes())
            except OSError:
                digest.update(source.name.encode() + b"\0?")
        _FINGERPRINT = digest.hexdigest()
    return _FINGERPRINT


# --------------------------------------------------------------------------- the cache


class FactCache:
    """Lookups against the index loaded at start; :meth:`save` writes the entries this run used."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._old: dict = {}
        self._new: dict[str, list] = {}
        self._secret = cachefiles.signing_key_for(directory)
        self.hits = 0
        self.misses = 0
        self.dirty = False
        self._decoded: dict = {}  # path -> facts already decoded by a resident server (see warm)
        self._pending: dict[str, tuple[str, object]] = {}  # path -> (key, facts) put, not pickled yet
        cachefiles.note_used(directory)
        if self._secret is not None:
            resident = RESIDENT.taken(directory, self._secret)
            if resident is not None:
                self._old, self._decoded = resident
            else:
                self._old = self._load(self._secret)

    @property
    def _usable(self) -> bool:
        return self._secret is not None

    # -- lookups

    def get(self, kind: facts.FileKind, path: str, text: str | None, variant: str = "", sha: str | None = None):
        """Cached facts for this content (or the content of this hash), or ``None``."""
        if not self._usable:
            return None
        key = content_key(kind, path, text, variant, sha)
        entry = self._old.get(path)
        if isinstance(entry, list) and len(entry) == 2 and entry[0] == key:
            value = self._decoded.get(path)
            if value is None:
                value = _facts_of(entry[1])
            if value is not None and getattr(value, "path", None) == path:
                self._new[path] = entry
                self.hits += 1
                return value
        self.misses += 1
        return None

    def put(self, kind: facts.FileKind, path: str, text: str, value, variant: str = "") -> None:
        """Keep ``value`` for this content; it is pickled when the index is saved (after a served
        run's answer)."""
        if self._usable:
            self._pending[path] = (content_key(kind, path, text, variant), value)

    # -- storage

    def _load(self, secret: bytes) -> dict:
        return _read_index(self.directory, secret)

    def save(self) -> None:
        """Write the index atomically; failures are silent (the cache is an optimisation)."""
        if self._secret is None:
            return
        for path, (key, value) in self._pending.items():
            blob = _blob_of(value)
            if blob is not None:  # facts that would not load back are parsed again next time
                self._new[path] = [key, blob]
                self.dirty = True
        self._pending.clear()
        if not self.dirty and self._new.keys() == self._old.keys():
            return
        self.dirty = False
        try:
            body = marshal.dumps(self._new)
        except ValueError:
            return
        header = {"magic": _MAGIC, "format": _FORMAT, "version": __version__, "fingerprint": fingerprint(),
                  "python": sys.version}
        cachefiles.write_signed(self.directory / INDEX_NAME, self._secret, header, body)


def _read_index(directory: Path, secret: bytes) -> dict:
    def current(header: dict) -> bool:
        return (header.get("magic") == _MAGIC and header.get("format") == _FORMAT
                and header.get("version") == __version__ and header.get("fingerprint") == fingerprint()
                and header.get("python") == sys.version)  # marshal's format is the interpreter's

    body = cachefiles.read_signed(directory / INDEX_NAME, secret, current)
    try:
        entries = marshal.loads(body) if body is not None else {}
    except Exception:  # damaged (the MAC makes that unlikely), or another Python's marshal format
        return {}
    return entries if isinstance(entries, dict) else {}


def _facts_of(blob) -> object | None:
    """The facts of an index entry; None for anything else (a damaged or foreign entry is a miss)."""
    if type(blob) is not bytes:
        return None
    try:
        return fact_pickle.loads(blob)
    except Exception:
        return None


def _blob_of(value) -> bytes | None:
    """``value`` pickled, if it loads back: facts holding a value of a type :mod:`meslint.fact_pickle`
    does not build would otherwise be stored, missed and stored again by every run."""
    try:
        blob = fact_pickle.dumps(value)
    except Exception:
        return None
    return blob if _facts_of(blob) is not None else None


# --------------------------------------------------------------------------- a resident server's copy

# meslint.server keeps each fact index its runs used read and decoded, so the runs it forks neither
# read nor decode it again: (entries, facts by path) per directory.
RESIDENT = cachefiles.Resident(INDEX_NAME)


def warm(directory: Path) -> None:
    """Read and decode ``directory``'s fact index for the runs this process will fork (a server)."""
    RESIDENT.refresh(directory, _decoded_index(directory))


def _decoded_index(directory: Path):
    def read(secret: bytes, before) -> tuple[dict, dict]:
        entries = _read_index(directory, secret)
        old_entries, old_facts = before if before is not None else ({}, {})
        decoded = {}
        for path, entry in entries.items():
            if not (isinstance(entry, list) and len(entry) == 2):
                continue
            previous = old_entries.get(path)
            if isinstance(previous, list) and previous[0] == entry[0] and path in old_facts:
                decoded[path] = old_facts[path]  # the same content: decoded already
                continue
            value = _facts_of(entry[1])
            if value is not None and getattr(value, "path", None) == path:
                decoded[path] = value
        return entries, decoded

    return read


# --------------------------------------------------------------------------- run-wide setting


def for_root(root: Path) -> FactCache | None:
    directory = cachefiles.directory_for(root)
    return FactCache(directory) if directory is not None else None
