"""Re-run only the checks a change can affect; replay the others from the last recorded run.

The run cache (:mod:`meslint.run_cache`) replays a whole run when nothing changed.  After an
edit, most checks still read nothing that changed: a README edit cannot move a unit's resolved
bind address, a unit edit cannot change what the README documents.  This module measures, for
each check, what it reads, and keys the check's findings on that:

* every check sees the repository through a :class:`TrackedRepository`, which records each
  read: a whole field (``units``, ``markdown``, ``all_paths`` ...), one file of a field
  (``repo.doc("README.md")``), one file's text (a fix quoting its line) or a derived view
  (``repo.memo(key, ...)``);
* a derived view records its own reads.  A view whose computation may use objects its caller
  handed it (a closure over a script the caller looked up) also takes the caller's reads so
  far.  Views that depend on the repository and the pack alone are listed in
  :data:`RECOMPUTE`: their value is hashed, so a change to what they read that leaves the
  value alone (a README edit that keeps the provisioning steps) does not reach their readers;
  views listed in :data:`SELF_CONTAINED` read the repository alone: they never take their caller's
  reads, and their recorded value is restored while what they read is unchanged;
* a field's fingerprint is the SHA-256 of the texts of the files it was parsed from (facts are
  a function of kind, path, text and the pack, and the pack is part of the run cache's key);
  any other field is fingerprinted by value.

A check is replayed only when the record proves every input unchanged.  Anything the proxy
cannot name (an attribute it does not know, a memo key or value with no canonical form)
makes the check *opaque*: it runs every time.  A check that no record covers (a new rule,
an earlier run that did not record) runs too.  So new checks and new file kinds need no
declaration: they are measured, and when they cannot be measured they are re-run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import time
import types
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from meslint.build import FIELD_KINDS
from meslint.facts import Repository
from meslint.incremental_codec import Opaque, canonical, digest, encode, encode_matching, restore, value_hash

__all__ = ["Opaque", "canonical", "digest", "encode", "restore", "Tracker", "Fingerprints", "TrackedRepository"]

FORMAT = 1

# Fields whose facts are parsed from files (meslint.build.FIELD_KINDS): fingerprinted by the files' texts.
_BUCKETS = FIELD_KINDS
# Lookups by path of one file's facts (``units`` is not here: a unit's facts include its drop-ins).
_ITEM_METHODS = {"env_file": "env_files", "script": "scripts", "module": "python", "doc": "markdown",
                 "data_doc": "data"}
_PATH_METHODS = ("path_exists", "has_path_ending")  # read only ``all_paths`` (through cached indexes)

# Derived views that depend on the repository and the pack alone: (module, function(repo, pack)).
# Their values are hashed when recorded, and recomputed to decide whether their readers replay.
RESOLUTION = "checks.resolution"
RECOMPUTE: dict[str, tuple[str, str]] = {
    "provisioning.template_fills": ("meslint.provisioning", "_fills"),
    RESOLUTION: ("meslint.incremental", "resolution"),
    # What the call-graph walks read: a .py edit that changes no import, call, class or instance (a
    # comment, a string, moved lines) leaves every unit's reach (meslint.unit_code) as recorded.
    "call_graph.shape": ("meslint.call_graph", "shape_of"),
    "unit_code.job_groups": ("meslint.unit_code", "job_groups_of"),
    "unit_code.jobs": ("meslint.unit_code", "_jobs"),
    "container_runtime.app_names": ("meslint.container_runtime", "app_names_of"),
}


# Derived views whose computation reads the repository alone (their closures capture nothing but the
# repository; everything else they use is in their key).  Computed inside a check, such a view does
# not take the check's reads so far (a call graph computed while a check walks the units is not a
# function of the units), and an encodable value is recorded, to be restored while what it read is
# unchanged (a unit edit leaves the Python code, so each unit's call-graph reach comes back).
SELF_CONTAINED = ("s:import_graph.graph", "s:call_graph.graph", "s:class_attrs.index",
                  "s:container_runtime.runs", "s:missing_root_path.", "s:legacy_subtree_reference.",
                  'c:["T","unit_code.reached",', 'c:["T","moved_path.closest",',
                  'c:["T","env_template_outlier.doc_defaults",', 'c:["T","bind_mismatch.stale_uses",')


# Derived views of one file's facts, keyed (name, path, ...): the caller hands the view that file's facts
# (and the pack, the rest of the key).  Such a view reads that file and what it reads itself, never the
# caller's reads so far (a start script's flow computed by a check that read the units is not a function
# of the units): name -> the field the file is in.
FILE_VIEWS = {"script_flow": "scripts", "script_cwd.Flow": "scripts", "script_subcommands": "scripts",
              "script_not_root_anchored.script": "scripts", "readme_contract_drift.doc": "markdown"}


def _file_view(key: Hashable) -> tuple[str, str, str] | None:
    """The read of the file a view of :data:`FILE_VIEWS` is computed from, else None."""
    if type(key) is tuple and len(key) >= 2 and key[0] in FILE_VIEWS and type(key[1]) is str:
        return ("item", FILE_VIEWS[key[0]], key[1])
    return None


def resolution(repo, pack):
    """The contract resolution every gate 6 check reads (the derived view :data:`RESOLUTION`)."""
    from meslint.resolve import resolve

    return resolve(repo, pack, repo.memo)


def memo_key(key: Hashable) -> str | None:
    """``s:`` and the key for a string key (the names of :data:`RECOMPUTE`), else ``c:`` and its canonical form."""
    if type(key) is str:
        return "s:" + key
    try:
        return "c:" + canonical(key)
    except Opaque:
        return None


def _recomputable(name: str) -> str | None:
    """The string key of a view of :data:`RECOMPUTE`, else ``None``."""
    return name[2:] if name.startswith("s:") and name[2:] in RECOMPUTE else None


# --------------------------------------------------------------------------- fingerprints


class Fingerprints:
    """Current fingerprints of the repository's fields and files (computed on demand)."""

    def __init__(self, repo: Repository, texts: dict[str, str]) -> None:
        self.repo = repo
        self.texts = texts
        self._fields: dict[str, str | None] = {}
        self._files: dict[str, str] = {}
        self._paths: dict[str, frozenset[str]] = {}  # the paths of each field's files

    def file(self, path: str) -> str:
        known = self._files.get(path)
        if known is None:
            hashed = getattr(self.texts, "sha", None)  # meslint.stat_reuse.LazyTexts: the hash without a read
            if hashed is not None:
                known = hashed(path) or "absent"
            else:
                text = self.texts.get(path)
                known = "absent" if text is None else hashlib.sha256(
                    text.encode("utf-8", "surrogatepass")).hexdigest()
            self._files[path] = known
        return known

    def field(self, name: str) -> str | None:
        if name not in self._fields:
            self._fields[name] = self._field(name)
        return self._fields[name]

    def _field(self, name: str) -> str | None:
        value = getattr(self.repo, name)
        if name in _BUCKETS:
            paths: list[str] = []
            for facts in value:
                paths.append(facts.path)
                paths.extend(getattr(facts, "dropins", ()))
            return hashlib.sha256("\0".join(f"{p}\1{self.file(p)}" for p in paths).encode(
                "utf-8", "surrogatepass")).hexdigest()
        if name == "all_paths":
            return hashlib.sha256("\0".join(sorted(value)).encode("utf-8", "surrogateescape")).hexdigest()
        return digest(value)

    def item(self, field: str, path: str) -> str:
        """One file's facts in ``field``: its text's hash, or ``absent`` when the field has no such file."""
        paths = self._paths.get(field)
        if paths is None:
            paths = self._paths[field] = frozenset(facts.path for facts in getattr(self.repo, field))
        if path not in paths:
            return "absent"
        return self.file(path)


# --------------------------------------------------------------------------- tracking


Dep = tuple  # ("field", name) | ("item", field, path) | ("text", path) | ("memo", key) | ("opaque", what)

# The record keeps a file text's fingerprint among the items, under this pseudo-field (no field's name).
_TEXT = "\1text"


class Tracker:
    """The reads of the check (or derived view) being computed, and what this run learned."""

    def __init__(self, repo: Repository, pack, prior: dict | None, fingerprints: Fingerprints) -> None:
        self.repo = repo
        self.pack = pack
        self.prior = prior if _valid(prior) else None
        self.fp = fingerprints
        self.stack: list[set[Dep]] = []
        self.memos: dict[str, dict] = {}  # memo key -> {"deps": [...], "value": hash | None}
        self.checks: dict[str, dict] = {}  # code -> {"deps": [...], "findings": [...] (encoded)}
        self.proxy = TrackedRepository(repo, self)
        self.replayed: list[str] = []
        self._memo_verdicts: dict[str, bool] = {}
        self._restorable: dict[str, dict] = {}
        self.rules: list | None = None  # [code, module] of each check run, in order
        self._names: dict[Hashable, str | None] = {}  # memo key -> its name (canonical forms cost)
        self._recompute = True  # see replays()
        self._unencoded: dict[str, Any] = {}  # views of RECOMPUTE computed, not yet encoded (see memo())

    def read(self, dep: Dep) -> None:
        if self.stack:
            self.stack[-1].add(dep)

    @contextmanager
    def untracked(self) -> Iterator[None]:
        self.stack.append(set())  # a frame no view keeps
        try:
            yield
        finally:
            self.stack.pop()

    # -- checks

    def plan(self, selected: Callable[[], list]) -> list[tuple[str, Callable]]:
        """(code, check) of the selected rules.  With a record, its list: the record's key covers the
        settings and meslint's own sources, so the rules are the same, and a replayed check's module
        is never imported (the after-edit path imports only what runs)."""
        recorded = self.prior.get("rules") if self.prior else None
        if isinstance(recorded, list) and all(isinstance(r, list) and len(r) == 2 for r in recorded):
            self.rules = recorded
            return [(code, _lazy_check(module)) for code, module in recorded]
        pairs = [(rule.code, rule.check) for rule in selected() if rule.check is not None]
        rules: list[list[str]] = []
        for code, check in pairs:
            module = getattr(check, "__module__", None)
            if not module or getattr(importlib.import_module(module), "check", None) is not check:
                self.rules = None  # a check not found as its module's ``check``: import them all next time
                return pairs
            rules.append([code, module])
        self.rules = rules
        return pairs

    def run_check(self, code: str, check: Callable[[Any], Iterable], context_of: Callable[[Any], Any]) -> list:
        """The check's findings: replayed when its recorded inputs are unchanged, else computed and recorded."""
        from meslint.run_cache import _encode, _findings

        stored = self.prior["checks"].get(code) if self.prior else None
        try:
            if stored is not None and self._unchanged(stored["deps"]):
                replayed = list(_findings(stored["findings"]))
                self.checks[code] = stored
                self.replayed.append(code)
                return replayed
        except Exception:  # a record of another shape (it is signed: another meslint's): run the check
            pass
        frame: set[Dep] = set()
        self.stack.append(frame)
        started = time.perf_counter()
        try:
            found = list(check(context_of(self.proxy)))
        finally:
            self.stack.pop()
        # Its time (ms) evens the next run's shares between two processes (meslint.parallel_checks).
        spent = round((time.perf_counter() - started) * 1000, 1)
        self.checks[code] = {"deps": _deps_out(frame), "findings": [_encode(f) for f in found], "ms": spent}
        return found

    def costs(self) -> dict[str, float]:
        """The time (ms) each check took when the record was made (checks replayed since keep theirs)."""
        checks = self.prior["checks"] if self.prior else {}
        return {code: entry["ms"] for code, entry in checks.items()
                if isinstance(entry, dict) and type(entry.get("ms")) in (int, float)}

    def replays(self, code: str, *, recompute: bool = True) -> bool:
        """Whether :meth:`run_check` will replay ``code`` (its recorded inputs are unchanged).

        ``recompute=False``: answer False (it may run) rather than compute a view of :data:`RECOMPUTE`
        to compare it with the recorded one (:mod:`meslint.parallel_checks` decides the helper's share
        before it forks: a resolution computed there would delay both processes)."""
        stored = self.prior["checks"].get(code) if self.prior else None
        saved, self._recompute = self._recompute, recompute
        try:
            return stored is not None and self._unchanged(stored["deps"])
        except Exception:  # _WouldRecompute, or a record of another shape: the check runs
            return False
        finally:
            self._recompute = saved

    def views_read(self, codes: Iterable[str]) -> set[str]:
        """The names of the :data:`RECOMPUTE` views the recorded checks ``codes`` read, directly or
        through other views."""
        memos = self.prior["memos"] if self.prior else {}
        pending = [dep[1] for code in codes for dep in self._stored_deps(code) if dep[0] == "memo"]
        seen: set[str] = set()
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            seen.add(name)
            stored = memos.get(name)
            if isinstance(stored, dict) and isinstance(stored.get("deps"), list):
                pending.extend(dep[1] for dep in stored["deps"] if dep and dep[0] == "memo")
        return {name for name in seen if _recomputable(name) is not None}

    def _stored_deps(self, code: str) -> list:
        stored = self.prior["checks"].get(code) if self.prior else None
        deps = stored.get("deps") if isinstance(stored, dict) else None
        return [dep for dep in deps if isinstance(dep, list) and len(dep) == 2] if isinstance(deps, list) else []

    def compute_views(self, names: Iterable[str]) -> None:
        """Compute now those of these :data:`RECOMPUTE` views whose reads changed: before a fork, a view
        both processes read is then worked out once (:mod:`meslint.parallel_checks`).  Comparing it with
        the recorded value (encoding it costs about as much) waits until a check's decision asks."""
        memos = self.prior["memos"] if self.prior else {}
        for name in sorted(names):
            stored, key = memos.get(name), _recomputable(name)
            if key is None or not isinstance(stored, dict) or name in self.memos:
                continue
            try:  # the views it reads are decided (a README edit that keeps the provisioning fills keeps them)
                unchanged = self._unchanged(stored["deps"])
            except Exception:  # a record of another shape
                unchanged = False
            if not unchanged:
                try:
                    self._compute_view(key)
                except Exception:  # the check that reads it computes it, and meets the error there
                    pass

    def state_of(self, codes, inherited: frozenset[str] = frozenset()) -> dict:
        """What this run learned about ``codes`` (run in a forked helper: :mod:`meslint.parallel_checks`);
        ``inherited``: the memo records the helper had from the fork (its parent has them: not sent back)."""
        self._encode_pending(inherited)  # the parent encodes the views it had before the fork
        return {"checks": {code: self.checks[code] for code in codes if code in self.checks},
                "memos": {name: entry for name, entry in self.memos.items() if name not in inherited},
                "replayed": [code for code in self.replayed if code in codes]}

    def adopt(self, state: dict) -> None:
        """Take what a helper learned (:meth:`state_of`); a view both computed is the same view."""
        self.checks.update(state["checks"])
        for name, entry in state["memos"].items():
            self.memos.setdefault(name, entry)
        self.replayed.extend(state["replayed"])

    # -- derived views

    def memo(self, key: Hashable, compute: Callable[[], Any], *, decide: bool = True) -> Any:
        """``decide=False``: compute, without first asking whether the recorded value holds (the caller knows)."""
        try:
            name = self._names[key]
        except KeyError:
            name = self._names[key] = memo_key(key)
        except TypeError:  # unhashable: the repository's memo will say so
            name = memo_key(key)
        if name is None:
            self.read(("opaque", "memo key"))
            return self.repo.memo(key, compute)
        self.read(("memo", name))
        index = self.repo._index
        if key in index:
            return index[key]
        if decide and self.prior is not None and name in self.prior["memos"] and name not in self._memo_verdicts:
            try:
                self._memo_unchanged(name)  # may make the recorded value restorable
            except Exception:  # a record of another shape: compute the view
                self._memo_verdicts[name] = False
            if key in index:
                return index[key]
        stored = self._restorable.pop(name, None)
        if stored is not None:  # recorded, and nothing it read has changed: its recorded value
            try:
                index[key] = restore(stored["data"])
                self.memos[name] = stored
                return index[key]
            except (Opaque, TypeError, ValueError, IndexError, KeyError):
                pass
        frame: set[Dep] = set()
        recomputable = _recomputable(name) is not None
        of_file = _file_view(key)
        contained = of_file is not None or name.startswith(SELF_CONTAINED)
        if of_file is not None:
            frame.add(of_file)
        if not recomputable and not contained and self.stack:
            frame |= self.stack[-1]  # the closure may use objects the caller read
            frame.discard(("memo", name))  # but not itself
        self.stack.append(frame)
        try:
            value = compute()
        finally:
            self.stack.pop()
        index[key] = value
        entry: dict = {"deps": _deps_out(frame), "value": None}
        self.memos[name] = entry
        if recomputable:  # encoded when first compared or recorded (_encoded): the resolution's form
            self._unencoded[name] = value  # costs as much as computing it, and a fork need not wait for it
        elif contained:
            _encode_into(entry, value, hashed=False)  # never compared by value: no hash to pay for
        return value

    def _encode_pending(self, skip: frozenset[str] = frozenset()) -> None:
        """Encode the computed views not encoded yet, but those in ``skip``."""
        for name in [name for name in self._unencoded if name not in skip]:
            self._encoded(name)

    def _encoded(self, name: str) -> dict:
        """The memo record of ``name`` with its value's encoding and hash (see :meth:`memo`)."""
        entry = self.memos[name]
        if name in self._unencoded:
            _encode_into(entry, self._unencoded.pop(name), hashed=True)
        return entry

    # -- deciding

    def _unchanged(self, deps: list) -> bool:
        return all(self._dep_unchanged(dep) for dep in deps)

    def _dep_unchanged(self, dep: list) -> bool:
        prior = self.prior
        assert prior is not None
        kind = dep[0]
        if kind == "field":
            now = self.fp.field(dep[1])
            return now is not None and prior["fields"].get(dep[1]) == now
        if kind == "item":
            return prior["items"].get(f"{dep[1]}\0{dep[2]}") == self.fp.item(dep[1], dep[2])
        if kind == "text":
            return prior["items"].get(f"{_TEXT}\0{dep[1]}") == self.fp.file(dep[1])
        if kind == "memo":
            return self._memo_unchanged(dep[1])
        return False  # opaque, or anything this version does not know

    def _memo_unchanged(self, name: str) -> bool:
        verdict = self._memo_verdicts.get(name)
        if verdict is None:
            self._memo_verdicts[name] = False  # a (corrupt) cycle is "changed"
            try:
                verdict = self._memo_verdicts[name] = self._decide_memo(name)
            except _WouldRecompute:
                del self._memo_verdicts[name]  # undecided: a later question decides it
                raise
        return verdict

    def _decide_memo(self, name: str) -> bool:
        stored = self.prior["memos"].get(name) if self.prior else None
        if stored is None:
            return False
        if name in self.memos:  # computed in this run already
            if name in self._unencoded and not self._recompute:
                raise _WouldRecompute(name)  # comparing it means encoding it: as costly
            return self._same_as_recorded(name, stored)
        if self._unchanged(stored["deps"]):
            self.memos[name] = stored
            if "data" in stored:  # a value was recorded (None is a value: "no suggestion")
                self._restorable[name] = stored  # a re-run check that asks gets the recorded value
            return True
        key = _recomputable(name)
        if key is None or stored["value"] is None:
            return False
        if not self._recompute:
            raise _WouldRecompute(name)
        self._compute_view(key)
        return self._same_as_recorded(name, stored)

    def _same_as_recorded(self, name: str, stored: dict) -> bool:
        """Whether the view ``name`` computed in this run has the recorded value.  Compared with the
        recorded data as it is encoded, a changed view costs the encoding up to its first difference
        (the rest is encoded when the run is recorded, after a served run's answer)."""
        if stored["value"] is None:
            return False
        data = stored.get("data")
        if name in self._unencoded and data is not None:
            try:
                matched = encode_matching(self._unencoded[name], data, stored["value"])
            except (Opaque, RecursionError, ValueError):
                matched = None
            if matched is None:
                return False
            del self._unencoded[name]
            self.memos[name].update(data=matched, value=stored["value"])  # the same data: the same hash
            return True
        return self._encoded(name)["value"] == stored["value"]

    def _compute_view(self, key: str) -> None:
        module, function = RECOMPUTE[key]
        compute = getattr(importlib.import_module(module), function)
        saved, self.stack = self.stack, []  # the view's own reads, not the asking check's
        try:
            self.memo(key, lambda: compute(self.proxy, self.pack), decide=False)
        finally:
            self.stack = saved

    # -- recording

    def record(self) -> dict | None:
        """What the next run needs: each check's inputs and findings, with the current fingerprints."""
        self._encode_pending()
        fields: dict[str, str | None] = {}
        items: dict[str, str] = {}
        pending = [dep for entry in (*self.checks.values(), *self.memos.values()) for dep in entry["deps"]]
        for dep in pending:
            self._fingerprint(dep, fields, items)
        # A replayed check keeps its memo records even where this run computed nothing.
        memos = dict(self.memos)
        if self.prior:
            needed = [dep[1] for dep in pending if dep[0] == "memo"]
            while needed:
                name = needed.pop()
                if name not in memos and name in self.prior["memos"]:
                    memos[name] = self.prior["memos"][name]
                    for dep in memos[name]["deps"]:
                        if dep[0] == "memo":
                            needed.append(dep[1])
                        else:
                            self._fingerprint(dep, fields, items)
        return {"format": FORMAT, "fields": fields, "items": items, "memos": memos, "checks": self.checks,
                "rules": self.rules}


    def _fingerprint(self, dep: list, fields: dict[str, str | None], items: dict[str, str]) -> None:
        """Note the current fingerprint of what ``dep`` names (a field, one file's facts or text)."""
        if dep[0] == "field" and dep[1] not in fields:
            fields[dep[1]] = self.fp.field(dep[1])
        elif dep[0] == "item":
            items[f"{dep[1]}\0{dep[2]}"] = self.fp.item(dep[1], dep[2])
        elif dep[0] == "text":
            items[f"{_TEXT}\0{dep[1]}"] = self.fp.file(dep[1])


def _encode_into(entry: dict, value: Any, *, hashed: bool) -> None:
    try:
        data = encode(value)
    except (Opaque, RecursionError, ValueError):
        return  # no canonical form: never restored, and (no hash) never "unchanged"
    if hashed:
        entry["value"] = value_hash(data)
    entry["data"] = data


class _WouldRecompute(Exception):
    """Deciding would compute a view of :data:`RECOMPUTE`, which the question asked not to."""


def _lazy_check(module: str) -> Callable:
    def check(context):
        return importlib.import_module(module).check(context)
    return check


def _deps_out(frame: set[Dep]) -> list:
    return sorted([list(dep) for dep in frame])


def _valid(prior: dict | None) -> bool:
    return (isinstance(prior, dict) and prior.get("format") == FORMAT
            and all(isinstance(prior.get(k), dict) for k in ("fields", "items", "memos", "checks")))


class TrackedRepository:
    """The repository as one check sees it: every read is recorded with the tracker."""

    __slots__ = ("_repo", "_tracker")

    def __init__(self, repo: Repository, tracker: Tracker) -> None:
        object.__setattr__(self, "_repo", repo)
        object.__setattr__(self, "_tracker", tracker)

    def __setattr__(self, name: str, value: Any) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def memo(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        return self._tracker.memo(key, compute)

    def untracked(self) -> AbstractContextManager[None]:
        """Reads made inside are recorded for no view: for a view that is a function of other views'
        values (read, tracked, before), the views it then computes from (:func:`meslint.unit_code`'s reach
        from the call graph's :func:`meslint.call_graph.shape`)."""
        return self._tracker.untracked()

    def source_text(self, path: str) -> str | None:
        """The text of ``path`` as this run read it (:func:`meslint.autofix.text_of`), a read of that file alone."""
        tracker = self._tracker
        tracker.read(("text", path))
        return tracker.fp.texts.get(path)

    def __getattr__(self, name: str) -> Any:
        repo, tracker = self._repo, self._tracker
        if name in _FIELD_NAMES:
            tracker.read(("field", name))
            return getattr(repo, name)
        if name in _ITEM_METHODS:
            field, real = _ITEM_METHODS[name], getattr(repo, name)

            def lookup(path: str):
                tracker.read(("item", field, path))
                return real(path)
            return lookup
        if name == "unit":
            tracker.read(("field", "units"))
            return repo.unit
        if name in _PATH_METHODS:
            tracker.read(("field", "all_paths"))
            return getattr(repo, name)
        attribute = getattr(type(repo), name, None)
        if isinstance(attribute, types.FunctionType) and not name.startswith("_"):
            return types.MethodType(attribute, self)  # its reads of the fields go through this proxy
        if isinstance(attribute, property) and attribute.fget is not None:
            return attribute.fget(self)
        tracker.read(("opaque", name))  # _index, or anything new: never replayed
        return getattr(repo, name)


_FIELD_NAMES = frozenset(f.name for f in dataclasses.fields(Repository) if not f.name.startswith("_"))
