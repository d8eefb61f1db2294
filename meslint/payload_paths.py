"""Which key paths a route's JSON payload holds, following helper calls across the payload modules.

The facts (meslint.facts_payloads) give each function's returned values as dicts, calls and unknowns.
Here a call is followed into the function it names (in the same module, or through a ``from``
import into another payload module); a call that leads to no dict (``jsonify(payload)``, a
response helper that wraps its argument) stands for its arguments, but only where the route's
response itself is built, never inside a key's value.

The answer for a key path is three-valued: present, absent, or unknown.  The dicts seen decide;
values meslint cannot see (a parameter, a call into a module it does not read) are ignored when a
dict is seen, and make the answer unknown when none is.  A dict that may hold more keys (a
``**spread`` of an unknown value) never makes a key absent.
"""

from __future__ import annotations

from collections.abc import Iterator

from meslint.facts import Location, PayloadFunction, PayloadKey, PayloadValue, PythonModule, Repository
from meslint.findings import Related
from meslint.globs import matches_any
from meslint.pack_gates import PayloadSpec
from meslint.records import record

_MAX_CALLS = 8  # helper calls followed along one path
# Values visited by one lookup: alternatives multiply along calls (a helper with many returns calling
# another), so a lookup stops there and answers "unknown" rather than take exponential time.
_LOOKUP_BUDGET = 50_000


@record
class Lookup:
    """``present``: True / False / None (unknown); ``nearest``: the deepest key of the path that exists."""

    present: bool | None
    nearest: Location | None = None
    nearest_path: str = ""


@record
class MissingField:
    """A required key path no dict of a route's payload holds: what a finding says, and where."""

    payload: PayloadSpec
    function: PayloadFunction
    required: str
    found: Lookup

    @property
    def message(self) -> str:
        detail = f"`{self.found.nearest_path}` is there, without the rest" if self.found.nearest is not None \
            else "no dict it returns has it"
        return f"route {self.payload.route} ({self.function.name}) returns no `{self.required}`: {detail}"

    @property
    def related(self) -> list[Related]:
        nearest = self.found.nearest
        return [Related(nearest, f"`{self.found.nearest_path}` of the payload")] if nearest is not None else []


def missing_fields(index: PayloadIndex, payloads: tuple[PayloadSpec, ...]) -> Iterator[MissingField]:
    """Each required key path (pack ``payloads``) absent from the payload of a function serving its route."""
    for payload in payloads:
        for module, function in index.routes(payload.route):
            for required in payload.requires:
                found = index.lookup(module, function, tuple(required.split(".")))
                if found.present is False:
                    yield MissingField(payload, function, required, found)


class PayloadIndex:
    """The payload modules of a run (``sources``: globs) and their functions."""

    def __init__(self, repo: Repository, sources: tuple[str, ...]) -> None:
        self.modules = [m for m in repo.python if m.payload_functions and matches_any(m.path, sources)]
        self._dotted = {m.path.removesuffix(".py").replace("/", "."): m for m in self.modules}
        self._budget = _LOOKUP_BUDGET

    def routes(self, route: str) -> Iterator[tuple[PythonModule, PayloadFunction]]:
        for module in self.modules:
            for function in module.payload_functions:
                if route in function.routes:
                    yield module, function

    def has_routes(self) -> bool:
        return any(f.routes for m in self.modules for f in m.payload_functions)

    def lookup(self, module: PythonModule, function: PayloadFunction, path: tuple[str, ...]) -> Lookup:
        self._budget = _LOOKUP_BUDGET
        return self._find(_Frame(module), function.returns, path, 0, top=True,
                          seen=frozenset({(module.path, function.name)}))

    # ----------------------------------------------------------------- following calls

    def callee(self, module: PythonModule, name: str) -> tuple[PythonModule, PayloadFunction] | None:
        if "." in name:  # obj.method(): not followed
            return None
        for function in module.payload_functions:
            if function.name == name:
                return module, function
        for imported in module.payload_imports:
            if imported.local == name:
                target = self._module(imported.module)
                if target is not None:
                    found = next((f for f in target.payload_functions if f.name == imported.name), None)
                    if found is not None:
                        return target, found
        return None

    def _module(self, dotted: str) -> PythonModule | None:
        """The payload module a dotted import names (``pkg.mod`` is ``src/pkg/mod.py`` under a source root)."""
        if dotted in self._dotted:
            return self._dotted[dotted]
        matches = [m for name, m in self._dotted.items() if name.endswith("." + dotted)]
        return matches[0] if len(matches) == 1 else None

    def _dicts(self, frame: _Frame, values: tuple[PayloadValue, ...], calls: int, top: bool,
               seen: frozenset) -> list[tuple[_Frame, PayloadValue]]:
        found: list[tuple[_Frame, PayloadValue]] = []
        self._budget -= 1
        if self._budget <= 0:
            return found
        for value in values:
            if value.kind == "dict":
                found.append((frame, value))
            elif value.kind == "param" and calls < _MAX_CALLS:
                bound = frame.bound(value.literal)
                if bound is not None:
                    found.extend(self._dicts(bound[0], bound[1], calls + 1, top, seen))
            elif value.kind == "call" and calls < _MAX_CALLS:
                callee = self.callee(frame.module, value.callee)
                inner: list[tuple[_Frame, PayloadValue]] = []
                if callee is not None and (callee[0].path, callee[1].name) not in seen:
                    target, function = callee
                    inner = self._dicts(_Frame.of_call(target, function, value, frame), function.returns,
                                        calls + 1, top, seen | {(target.path, function.name)})
                if not inner and top:  # a response helper: the payload is what it is given
                    for arg in value.args:
                        inner.extend(self._dicts(frame, arg, calls + 1, top, seen))
                found.extend(inner)
        return found

    def _find(self, frame: _Frame, values: tuple[PayloadValue, ...], path: tuple[str, ...], calls: int, *,
              top: bool, seen: frozenset) -> Lookup:
        dicts = self._dicts(frame, values, calls, top, seen)
        if not dicts:
            return Lookup(None)
        unknown = False
        nearest = Lookup(False)
        for owner, value in dicts:
            keys, is_open = self._keys(owner, value, path[0], calls, seen)
            if not keys and is_open:
                unknown = True
            for key_owner, key in keys:
                if len(path) == 1:
                    return Lookup(True, key.location, path[0])
                below = self._find(key_owner, key.values, path[1:], calls, top=False, seen=seen)
                if below.present:
                    return below
                if below.present is None:
                    unknown = True
                if below.nearest is not None:
                    nearest = Lookup(False, below.nearest, f"{path[0]}.{below.nearest_path}")
                elif nearest.nearest is None:
                    nearest = Lookup(False, key.location, path[0])
        return Lookup(None, nearest.nearest, nearest.nearest_path) if unknown else nearest

    def _keys(self, frame: _Frame, value: PayloadValue, name: str, calls: int,
              seen: frozenset) -> tuple[list[tuple[_Frame, PayloadKey]], bool]:
        """The keys named ``name`` of a dict value, its ``{**spread}`` parts included; and whether it may hold more."""
        keys = [(frame, k) for k in value.keys if k.key == name]
        is_open = value.open
        for spread in value.spreads:
            parts = self._dicts(frame, spread, calls + 1, False, seen) if calls < _MAX_CALLS else []
            if not parts:
                is_open = True
            for part_frame, part in parts:
                found, part_open = self._keys(part_frame, part, name, calls + 1, seen)
                keys.extend(found)
                is_open = is_open or part_open
        return keys, is_open


@record
class _Frame:
    """Where values are read: their module, and what the call being followed bound the parameters to."""

    module: PythonModule
    bindings: tuple[tuple[str, _Frame, tuple[PayloadValue, ...]], ...] = ()

    def bound(self, name: str) -> tuple[_Frame, tuple[PayloadValue, ...]] | None:
        for param, frame, values in self.bindings:
            if param == name:
                return frame, values
        return None

    @staticmethod
    def of_call(module: PythonModule, function: PayloadFunction, call: PayloadValue, caller: _Frame) -> _Frame:
        bindings = [(param, caller, arg) for param, arg in zip(function.params, call.args, strict=False)]
        bindings += [(key.key, caller, key.values) for key in call.keys]
        return _Frame(module, tuple(bindings))
