"""Facts of the JSON payloads Python functions build (gate 4) and of the fields a loader reads (gate 3).

Part of the fact model (:mod:`meslint.facts` re-exports these, and the fact cache's codec knows
them); kept in a module of their own so the payload vocabulary grows here.

A payload is a tree of alternatives, as a reader of the source sees it without running it: a
function returns one of several values (:attr:`PayloadFunction.returns`); a value is a dict with
known keys (each key holding alternatives again), a call to another function (resolved by the
checks, across modules, through :attr:`PayloadImport`), or unknown.
"""

from __future__ import annotations

from meslint.location import Location
from meslint.records import record


@record(slots=True)
class PayloadKey:
    """A string key of a dict value, with the values it may hold."""

    key: str
    values: tuple[PayloadValue, ...]
    location: Location


@record(slots=True)
class PayloadValue:
    """One alternative of a value.

    ``kind``: ``literal`` (a str or int constant, its text in ``literal``), ``dict`` (``keys`` known;
    ``open``: it may hold keys not seen here, e.g. a ``**spread``
    of an unknown value or keys stored on a value of unknown shape), ``call`` (``callee`` is the
    called name as written, ``args`` the alternatives of its positional arguments and ``keys`` its
    keyword arguments: a helper's parameters are bound to them), ``param`` (a parameter of the
    function, named in ``literal``), ``list`` (a list display, its elements' alternatives in ``args``),
    or ``unknown``.  ``spreads``: the ``{**call()}`` parts of a
    dict, each with its alternatives, whose keys the checks resolve.
    """

    kind: str
    keys: tuple[PayloadKey, ...] = ()
    open: bool = False
    callee: str = ""
    args: tuple[tuple[PayloadValue, ...], ...] = ()
    spreads: tuple[tuple[PayloadValue, ...], ...] = ()
    literal: str = ""


@record(slots=True)
class CodedCall:
    """A call whose first argument (or ``code=``) is an error code: ``error_response(DB_POOL_EXHAUSTED, ...)``.

    ``code``: the constant's name or the string; ``keywords``: its keyword arguments and their values.
    """

    callee: str
    code: str
    keywords: tuple[PayloadKey, ...]
    location: Location


@record(slots=True)
class ExportRow:
    """A header row written to a CSV/Excel export: ``writer.writerow(x)``, ``DictWriter(f, fieldnames=x)``,
    ``df.to_csv(header=x)`` / ``to_excel(header=x)``; ``values``: the alternatives of ``x`` (a list
    display is a ``list`` value, its elements in ``args``)."""

    writer: str
    values: tuple[PayloadValue, ...]
    location: Location


@record(slots=True)
class PayloadFunction:
    """A module-level function (or method) and the values it returns; ``routes``: its Flask route paths;
    ``handles``: what its ``@app.errorhandler(X)`` decorators name; ``defaults``: its parameters' literal
    defaults; ``coded_calls``: the error-code calls in its body (gate 5)."""

    name: str
    location: Location
    returns: tuple[PayloadValue, ...]
    routes: tuple[str, ...] = ()
    handles: tuple[str, ...] = ()
    defaults: tuple[PayloadKey, ...] = ()
    coded_calls: tuple[CodedCall, ...] = ()
    params: tuple[str, ...] = ()  # positional parameters in order, then keyword-only ones
    export_rows: tuple[ExportRow, ...] = ()


@record(slots=True)
class PayloadImport:
    """``from MODULE import NAME as LOCAL`` anywhere in the module (a helper may import inside a function)."""

    local: str
    module: str  # dotted, made absolute for relative imports
    name: str


@record(slots=True)
class ItemRead:
    """``item.get("KEY")`` / ``item["KEY"]`` on a loop or comprehension variable: a field each item must have."""

    key: str
    location: Location


@record(slots=True)
class FlaskApp:
    """``Flask(...)``: where the app serves static files from (gate 1).

    ``static_folder`` as given, relative to the module's directory (Flask's default ``static``);
    ``None`` when it is not a literal.  ``static_url_path``: the URL prefix (default: ``/`` and the
    folder's last name); ``None`` when not a literal.
    """

    static_folder: str | None
    static_url_path: str | None
    location: Location
