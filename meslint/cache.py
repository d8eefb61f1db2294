"""Per-file fact cache: parse a file once per content, not once per run.

One index file per checked root, ``<root>/.meslint_cache/facts-v2.marshal`` (or
``--cache-dir``), maps each repository path to ``[key, facts]``.  ``key`` is the
SHA-256 of the file's kind, path and text; the header carries the meslint
version and a fingerprint of the fact schema and of the parser sources, so an
upgrade (or a parser edit) invalidates everything.  The contract pack does not
enter the key: parsing does not depend on it (the pack only drives the
pre-filter and the checks, which run every time).

Trust: the facts are stored as plain data (in :mod:`marshal` form, which loads twice as fast as
the same data in JSON and builds only plain values) through a small codec over the frozen
dataclasses of :mod:`meslint.facts` (a registry of known types; nothing is
imported or called by name from the file), so a hostile cache cannot run code.
It could still *lie* (forged facts hiding a finding), so the file is signed
(:mod:`meslint.cachefiles`): one written by anyone else is ignored and the run
parses instead.
"""

from __future__ import annotations

import dataclasses
import hashlib
import marshal
import sys
from enum import Enum
from pathlib import Path

from meslint import __version__, cachefiles, facts

INDEX_NAME = "facts-v2.marshal"
_MAGIC = "meslint-fact-cache"
_FORMAT = 2


# --------------------------------------------------------------------------- codec

# The fact model's types (defined in the modules of facts.FACT_MODULES, all re-exported by meslint.facts).
_TYPES: dict[str, type] = {
    name: obj for name, obj in vars(facts).items()
    if isinstance(obj, type) and (dataclasses.is_dataclass(obj) or issubclass(obj, Enum))
    and obj.__module__ in facts.FACT_MODULES
    and name != "Repository"
}
_FIELDS: dict[type, tuple[str, ...]] = {
    cls: tuple(f.name for f in dataclasses.fields(cls)) for cls in _TYPES.values() if dataclasses.is_dataclass(cls)
}


class CodecError(ValueError):
    """A value the codec cannot represent, or a document it does not accept."""


def encode(value):
    """Facts -> JSON-ready data.  Every array is tagged, so tuples, lists and records stay apart."""
    if value is None or isinstance(value, (bool, int, float, str)) and not isinstance(value, Enum):
        return value
    if isinstance(value, tuple):
        return ["T", *[encode(v) for v in value]]
    if isinstance(value, list):
        return ["L", *[encode(v) for v in value]]
    if isinstance(value, dict):
        return ["M", *[[encode(k), encode(v)] for k, v in value.items()]]
    cls = type(value)
    name = cls.__name__
    if _TYPES.get(name) is not cls:
        raise CodecError(f"cannot cache a {cls.__module__}.{name}")
    if isinstance(value, Enum):
        return ["E", name, value.value]
    return ["D", name, *[encode(getattr(value, f)) for f in _FIELDS[cls]]]


def decode(data):
    kind = type(data)
    if kind is not list:
        if kind is dict:
            raise CodecError("malformed value")
        return data
    if not data:
        raise CodecError("malformed value")
    tag = data[0]
    if tag == "D":
        cls = _TYPES.get(data[1]) if len(data) >= 2 and type(data[1]) is str else None
        fields = _FIELDS.get(cls)  # type: ignore[arg-type]
        if fields is None or len(data) - 2 != len(fields):
            raise CodecError(f"unknown type or field count mismatch: {str(data[1])[:40]!r}")
        return cls(*[v if type(v) is not list else decode(v) for v in data[2:]])
    if tag == "T":
        return tuple([v if type(v) is not list else decode(v) for v in data[1:]])
    if tag == "L":
        return [decode(v) for v in data[1:]]
    if tag == "M":
        return {_hashable(decode(k)): decode(v) for k, v in data[1:]}
    if tag == "E" and len(data) == 3 and type(data[1]) is str:
        cls = _TYPES.get(data[1])
        if cls is None or not issubclass(cls, Enum):
            raise CodecError("malformed enum")
        return cls(data[2])
    raise CodecError(f"unknown tag {str(tag)[:20]!r}")


def _hashable(key):
    if isinstance(key, list):  # a YAML sequence used as a mapping key cannot come back as a list
        raise CodecError("unhashable mapping key")
    return key


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
        for cls, names in sorted(_FIELDS.items(), key=lambda item: item[0].__name__):
            digest.update(f"{cls.__name__}({','.join(names)})".encode())
        here = Path(__file__).resolve().parent
        # argv.py: the unit parser finds the ``bash -c`` scripts it parses with it; template.py
        # decodes bash words for the parsers; root_derivation.py places their root anchors;
        # parsers/envfile/ is a package.
        sources = [*(here / f"{module.rpartition('.')[2]}.py" for module in facts.FACT_MODULES),
                   here / "build.py", here / "argv.py", here / "template.py", here / "root_derivation.py",
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
                try:
                    value = decode(entry[1])
                except Exception:
                    value = None
            if value is not None and getattr(value, "path", None) == path:
                self._new[path] = entry
                self.hits += 1
                return value
        self.misses += 1
        return None

    def put(self, kind: facts.FileKind, path: str, text: str, value, variant: str = "") -> None:
        if not self._usable:
            return
        try:
            self._new[path] = [content_key(kind, path, text, variant), encode(value)]
            self.dirty = True
        except CodecError:
            pass  # e.g. a TOML datetime in DataDoc.data: parsed again next time

    # -- storage

    def _load(self, secret: bytes) -> dict:
        return _read_index(self.directory, secret)

    def save(self) -> None:
        """Write the index atomically; failures are silent (the cache is an optimisation)."""
        if self._secret is None:
            return
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
            try:
                value = decode(entry[1])
            except Exception:
                continue
            if getattr(value, "path", None) == path:
                decoded[path] = value
        return entries, decoded

    return read


# --------------------------------------------------------------------------- run-wide setting


def for_root(root: Path) -> FactCache | None:
    directory = cachefiles.directory_for(root)
    return FactCache(directory) if directory is not None else None
