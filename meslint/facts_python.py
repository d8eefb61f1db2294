"""Facts of Python modules: environment reads, root anchors, write sites, classes, queue calls.

Re-exported by :mod:`meslint.facts` (part of the one fact model: the fact cache's and the incremental
record's codecs register this module through :data:`meslint.facts.FACT_MODULES`).  Values that are
expressions are templates, as everywhere in the model (see :mod:`meslint.facts`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from meslint.location import Location
from meslint.records import record

if TYPE_CHECKING:  # facts.py imports this module: only annotations may name its types
    from meslint.facts import ParseProblem
    from meslint.facts_container import EnvTableRow
    from meslint.facts_payloads import FlaskApp, ItemRead, PayloadFunction, PayloadImport


@record(slots=True)
class EnvRead:
    """A read of an environment variable.

    ``default`` is a template (``None`` when there is no default).  ``via`` names
    the form: ``os.getenv``, ``os.environ.get``, ``os.environ[]``, ``mapping.get``
    (a ``.get`` on a name bound to ``os.environ``), ``resolver`` (a helper call
    ``f(env.get(NAME), fallback, ...)`` whose second argument is the fallback).
    """

    name: str
    default: str | None
    via: str
    location: Location
    function: str | None = None
    conversion: str | None = None  # "int" / "float" / "bool" when the read is passed straight to it


@record(slots=True)
class ModuleConstant:
    name: str
    value: str | int | float | bool | None  # literal, or template for env/path expressions
    location: Location


@record(slots=True)
class RootAnchor:
    """``NAME = Path(__file__).resolve().parents[n]`` (or ``.parent`` chains)."""

    name: str
    levels: int  # parents[0] == 1 level: the module's directory
    value: str  # template: "@ROOT", "@ROOT/src", ... (where the anchor lands)
    location: Location


@record(slots=True)
class SysPathEdit:
    op: str  # insert | append | extend
    value: str  # template
    location: Location


@record(slots=True)
class StringLiteral:
    """A string constant that looks like a path or contract token."""

    value: str
    location: Location
    function: str | None = None


@record(slots=True)
class DictKey:
    """A string key of a dict display or subscript store (diagnostics payloads)."""

    key: str
    location: Location
    function: str | None = None


@record(slots=True)
class WriteSite:
    """A call that writes (or, with ``write=False``, looks at) a file system path.

    ``path`` is the template of the path (None: not statically known).  When the path starts
    from a name imported from another module, ``base`` holds its dotted reference
    (``pkg.mod.NAME``) and ``path`` the template joined after it ("" for the name itself).
    """

    kind: str  # open | mkdir | path-write | copy | move | tempfile | sqlite | log-handler | parquet | csv | ...
    call: str  # the call as the source spells it (``open``, ``Path.write_text``, ``RotatingFileHandler``)
    path: str | None
    expr: str  # the path expression's source text (shortened), shown when the path is unknown
    location: Location
    function: str | None = None
    directory: bool = False  # the path is a directory (mkdir, ``tempfile.*(dir=...)``)
    write: bool = True  # False: the path is read or tested (the other end of a file exchange)
    base: str | None = None


@record(slots=True)
class ClassAttribute:
    """``self.NAME = value`` in a method of a class (or ``NAME = value`` in its body), as a path.

    ``path``/``base`` as in :class:`WriteSite` (a base ``self:Class.NAME`` is another attribute);
    ``params``: the ``__init__`` parameters the value takes its default from (a caller may pass another).
    """

    name: str
    path: str | None
    expr: str
    location: Location
    base: str | None = None
    params: tuple[str, ...] = ()


@record(slots=True)
class PythonClass:
    name: str  # qualified name in its module
    bases: tuple[str, ...]  # references, spelled as in PythonModule.calls
    location: Location
    attributes: tuple[ClassAttribute, ...] = ()
    init_params: tuple[str, ...] = ()  # ``__init__``'s parameters after ``self``, in order
    methods: tuple[str, ...] = ()  # the names its body defines (what it overrides)


@record(slots=True)
class EnqueueCall:
    """A call that puts a job on an RQ queue, or names a queue and a job function together.

    ``args`` are (key, value) pairs: key is the positional index ("0", "1", ...) or the keyword;
    value is ``ref:pkg.mod.func`` (a function reference, import aliases applied; a module-level
    name of this module as ``ref:.name``), ``param:NAME`` (a parameter of the enclosing function),
    ``tpl:TEMPLATE`` (a value template) or ``""`` (unknown).
    """

    callee: str  # canonical dotted callee; ``<queue>.enqueue`` for a method call on an rq Queue
    method: bool  # ``Queue(...).enqueue*(...)`` (the queue is ``queue``)
    queue: str  # for method calls: the Queue's name as an args-style value
    args: tuple[tuple[str, str], ...]
    params: tuple[str, ...]  # the enclosing function's parameters, in order
    location: Location
    function: str | None = None


@record(slots=True)
class PythonModule:
    path: str
    env_reads: tuple[EnvRead, ...] = ()
    constants: tuple[ModuleConstant, ...] = ()
    root_anchors: tuple[RootAnchor, ...] = ()
    sys_path_edits: tuple[SysPathEdit, ...] = ()
    strings: tuple[StringLiteral, ...] = ()
    dict_keys: tuple[DictKey, ...] = ()
    problems: tuple[ParseProblem, ...] = ()
    line_offset: int = 0  # for Python embedded in a heredoc
    imports: tuple[str, ...] = ()  # dotted names of imported modules (``from a.b import c`` -> "a.b")
    env_tables: tuple[EnvTableRow, ...] = ()  # meslint.parsers.python_tables
    # Every module an import statement may load: ``import a.b`` -> "a.b"; ``from a import b`` -> "a",
    # "a.b"; relative ones keep their dots (``from .x import y`` -> ".x", ".x.y").
    import_refs: tuple[str, ...] = ()
    writes: tuple[WriteSite, ...] = ()
    enqueues: tuple[EnqueueCall, ...] = ()
    # (caller, callee) pairs: the function (qualified name, "" for module level) and what it calls or
    # hands on as a callback: a dotted name with import aliases applied, ``.name`` relative, or a
    # plain local name (``self.x`` kept as written).
    calls: tuple[tuple[str, str], ...] = ()
    # Payload modules only (as dict_keys): what functions return, ``from`` imports, loop item reads.
    payload_functions: tuple[PayloadFunction, ...] = ()
    payload_imports: tuple[PayloadImport, ...] = ()
    item_reads: tuple[ItemRead, ...] = ()
    flask_apps: tuple[FlaskApp, ...] = ()
    classes: tuple[PythonClass, ...] = ()
    # Module-level (or ``global``) names bound to a new object: (name, class reference) (``store = Store()``).
    instances: tuple[tuple[str, str], ...] = ()
    # Calls of a class-like name with arguments: (callee reference, the arguments passed: "0", "1", ...,
    # keyword names, "*", "**"); whether a caller overrides an ``__init__`` default.
    constructions: tuple[tuple[str, tuple[str, ...]], ...] = ()
    foreign_attributes: tuple[str, ...] = ()  # attribute names assigned on something other than ``self``
