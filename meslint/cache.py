"""Per-file fact cache: parse a file once per content, not once per run.

One index file per checked root, ``<root>/.meslint_cache/facts-v1.json`` (or
``--cache-dir``), maps each repository path to ``[key, facts]``.  ``key`` is the
SHA-256 of the file's kind, path and text; the header carries the meslint
version and a fingerprint of the fact schema and of the parser sources, so an
upgrade (or a parser edit) invalidates everything.  The contract pack does not
enter the key: parsing does not depend on it (the pack only drives the
pre-filter and the checks, which run every time).

Trust: the facts are stored as JSON through a small codec over the frozen
dataclasses of :mod:`meslint.facts` (a registry of known types; nothing is
imported or called by name from the file), so a hostile cache cannot run code.
It could still *lie* (forged facts hiding a finding), so the body is signed
with HMAC-SHA256 under a per-user secret kept outside the repository
(``$XDG_CACHE_HOME/meslint/secret``, mode 0600): a cache file written by anyone
else -- committed to the repository, copied from another machine, truncated,
from another version -- fails verification and is ignored; the run parses
instead.  A symlinked cache directory is never used, and nothing in the cache
is ever followed out of it.  Any error while loading or saving means "no cache".
"""

from __future__ import annotations

import atexit
import dataclasses
import hashlib
import hmac
import json
import os
import stat
import tempfile
from enum import Enum
from pathlib import Path

from meslint import __version__, facts

CACHE_DIR_NAME = ".meslint_cache"
INDEX_NAME = "facts-v1.json"
_MAGIC = "meslint-fact-cache"
_FORMAT = 1


# --------------------------------------------------------------------------- codec

_TYPES: dict[str, type] = {
    name: obj for name, obj in vars(facts).items()
    if isinstance(obj, type) and (dataclasses.is_dataclass(obj) or issubclass(obj, Enum))
    and obj.__module__ == facts.__name__ and name != "Repository"
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


def content_key(kind: facts.FileKind, path: str, text: str) -> str:
    digest = hashlib.sha256()
    digest.update(f"{kind.value}\0{path}\0".encode("utf-8", "surrogatepass"))
    digest.update(text.encode("utf-8", "surrogatepass"))
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
        for source in sorted([here / "facts.py", here / "model.py", *(here / "parsers").glob("*.py")]):
            try:
                digest.update(source.name.encode() + b"\0" + source.read_bytes())
            except OSError:
                digest.update(source.name.encode() + b"\0?")
        _FINGERPRINT = digest.hexdigest()
    return _FINGERPRINT


def _secret() -> bytes | None:
    """The per-user signing key; ``None`` (no cache) when it cannot be kept private."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    directory = os.path.join(base, "meslint")
    path = os.path.join(directory, "secret")
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            key = os.urandom(32).hex().encode()
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".secret.")
            with os.fdopen(fd, "wb") as handle:
                handle.write(key)
            os.chmod(tmp, 0o600)
            try:
                os.link(tmp, path)  # first writer wins; never replace a key in use
            except FileExistsError:
                pass
            finally:
                os.unlink(tmp)
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if (hasattr(os, "getuid") and info.st_uid != os.getuid()) or info.st_mode & 0o077:
                return None
            key = handle.read(256).strip()
        return key if len(key) >= 32 else None
    except OSError:
        return None


# --------------------------------------------------------------------------- the cache


class FactCache:
    """Lookups against the index loaded at start; :meth:`save` writes the entries this run used."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._old: dict = {}
        self._new: dict[str, list] = {}
        self._secret = _secret()
        self.hits = 0
        self.misses = 0
        self.dirty = False
        self._usable = self._secret is not None and _safe_dir(directory, create=False) is not False
        if self._usable:
            self._old = self._load()

    # -- lookups

    def get(self, kind: facts.FileKind, path: str, text: str, slot: str | None = None):
        """Cached facts for this content, or ``None``.  ``slot``: an entry that is not a whole file."""
        if not self._usable:
            return None
        key = content_key(kind, path, text)
        entry = self._old.get(slot or path)
        if isinstance(entry, list) and len(entry) == 2 and entry[0] == key:
            try:
                value = decode(entry[1])
            except Exception:
                value = None
            if value is not None and getattr(value, "path", None) == path:
                self._new[slot or path] = entry
                self.hits += 1
                return value
        self.misses += 1
        return None

    def put(self, kind: facts.FileKind, path: str, text: str, value, slot: str | None = None) -> None:
        if not self._usable:
            return
        try:
            self._new[slot or path] = [content_key(kind, path, text), encode(value)]
            self.dirty = True
        except CodecError:
            pass  # e.g. a TOML datetime in DataDoc.data: parsed again next time

    # -- storage

    def _load(self) -> dict:
        try:
            fd = os.open(self.directory / INDEX_NAME, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return {}
        try:
            with os.fdopen(fd, "rb") as handle:
                if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                    return {}
                header_line = handle.readline(4096)
                body = handle.read()
            header = json.loads(header_line)
            if (not isinstance(header, dict) or header.get("magic") != _MAGIC or header.get("format") != _FORMAT
                    or header.get("version") != __version__ or header.get("fingerprint") != fingerprint()):
                return {}
            expected = hmac.new(self._secret, _signed(header_line, body), hashlib.sha256).hexdigest()
            mac = header.get("mac")
            if not isinstance(mac, str) or not hmac.compare_digest(mac, expected):
                return {}
            entries = json.loads(body)
            return entries if isinstance(entries, dict) else {}
        except Exception:
            return {}

    def save(self) -> None:
        """Write the index atomically; failures are silent (the cache is an optimisation)."""
        if not self._usable:
            return
        # Snippet entries (shell inside a unit's Exec line) are looked up by the checks, after
        # this save: keep those of files still present.
        files = {slot for slot in self._new if SNIPPET_MARK not in slot}
        for slot, entry in self._old.items():
            if SNIPPET_MARK in slot and slot not in self._new and slot.split(SNIPPET_MARK, 1)[0] in files:
                self._new[slot] = entry
        if not self.dirty and self._new.keys() == self._old.keys():
            return
        self.dirty = False
        try:
            if not _safe_dir(self.directory, create=True):
                return
            body = json.dumps(self._new, separators=(",", ":"), ensure_ascii=False,
                              allow_nan=True).encode("utf-8", "surrogatepass")
            header = {"magic": _MAGIC, "format": _FORMAT, "version": __version__, "fingerprint": fingerprint()}
            unsigned = json.dumps(header, sort_keys=True).encode()
            header["mac"] = hmac.new(self._secret, _signed(unsigned, body), hashlib.sha256).hexdigest()
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".facts.", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(json.dumps(header, sort_keys=True).encode() + b"\n")
                    handle.write(body)
                os.replace(tmp, self.directory / INDEX_NAME)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except Exception:
            return


def _signed(header_line: bytes, body: bytes) -> bytes:
    """What the MAC covers: the header without its ``mac`` field, then the body."""
    try:
        header = json.loads(header_line)
    except ValueError:
        header = {}
    if isinstance(header, dict):
        header.pop("mac", None)
    return json.dumps(header, sort_keys=True).encode() + b"\n" + body


def _safe_dir(directory: Path, *, create: bool) -> bool | None:
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


# --------------------------------------------------------------------------- run-wide setting

_CONFIG: dict = {"enabled": False, "directory": None}
_ACTIVE: list = [None]  # the cache of the current run, for snippet parses during the checks
SNIPPET_MARK = "\0snippet\0"
_SAVE_AT_EXIT: list = []


def configure(*, enabled: bool, directory: Path | None = None) -> None:
    """Set by the command line: library callers of ``build_repository`` get no cache by default."""
    _CONFIG["enabled"] = enabled
    _CONFIG["directory"] = directory


def for_root(root: Path) -> FactCache | None:
    if not _CONFIG["enabled"] or os.environ.get("MESLINT_NO_CACHE", "").lower() in ("1", "true", "yes"):
        _ACTIVE[0] = None
        return None
    directory = _CONFIG["directory"] or os.environ.get("MESLINT_CACHE_DIR") or (Path(root) / CACHE_DIR_NAME)
    fact_cache = FactCache(Path(directory))
    if not _SAVE_AT_EXIT:
        _SAVE_AT_EXIT.append(True)
        atexit.register(_save_active)
    _ACTIVE[0] = fact_cache
    return fact_cache


def _save_active() -> None:
    if _ACTIVE[0] is not None and _ACTIVE[0].dirty:
        _ACTIVE[0].save()


_SNIPPET_MEMO: dict[tuple[str, str], object] = {}


def parse_shell_snippet(path: str, script: str):
    """Facts of shell code embedded in ``path`` (a unit's ``bash -c '...'``): parsed once, then cached.

    Checks call this instead of the shell parser, so a warm run does not import tree-sitter.
    """
    memo_key = (path, script)
    found = _SNIPPET_MEMO.get(memo_key)
    if found is not None:
        return found
    fact_cache = _ACTIVE[0]
    slot = path + SNIPPET_MARK + hashlib.sha256(script.encode("utf-8", "surrogatepass")).hexdigest()
    if fact_cache is not None:
        found = fact_cache.get(facts.FileKind.SHELL, path, script, slot=slot)
    if found is None:
        from meslint.parsers.shell import parse

        found = parse(path, script)
        if fact_cache is not None:
            fact_cache.put(facts.FileKind.SHELL, path, script, found, slot=slot)
    if len(_SNIPPET_MEMO) > 4096:
        _SNIPPET_MEMO.clear()
    _SNIPPET_MEMO[memo_key] = found
    return found
