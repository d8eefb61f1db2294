"""Pack records of the cutover gates 1, 3, 4 and 5, and the runbook's gate list (``meslint gates``).

Kept apart from :mod:`meslint.pack` so that the gate families grow here; :class:`meslint.pack.ContractPack`
holds one field of each record below.  Same conventions: every field is declared with
:func:`meslint.pack_spec.spec`, so ``meslint pack-schema`` and rules/README.md describe it.
"""

from __future__ import annotations

from meslint.pack_spec import spec
from meslint.records import record


@record
class GateSpec:
    """One gate of the runbook's checklist."""

    id: str = spec("the gate's number in the runbook (rules declare the gate they enforce by it)")
    title: str = spec("the gate's name, as the runbook heads it")
    run: tuple[str, ...] = spec(
        "what the runbook asks to run for the parts no static rule covers (a command, a test set); "
        "`meslint gates` lists it", ())


@record
class FieldContractsSpec:
    """Gate 3: the shared field contract file and the code that reads it."""

    file: str = spec("the contract file: JSON, page -> table -> list of field entries", repo_path=True)
    entry_fields: tuple[str, ...] = spec(
        "fields every entry must have (besides those the loader reads with entry.get(\"x\") / entry[\"x\"])",
        ("api_key",))
    key_field: str = spec("the entry field that must be unique within a table", "api_key")
    loader: str | None = spec("the Python module that loads the file; the entry fields it reads are required",
                              None, repo_path=True)
    frontend: tuple[str, ...] = spec(
        "frontend modules (globs; .js/.ts/.vue) of the contracted pages: a label they pair with an API key is "
        "compared with the contract", ())
    exporters: tuple[str, ...] = spec(
        "Python modules (globs) that write CSV/Excel exports: a header row written from literals is compared with "
        "the contract (only modules that name a writer are read)", ())


@record
class PayloadSpec:
    """Gate 4: the key paths one route's JSON payload must contain."""

    route: str = spec("the route as its decorator spells it, e.g. /health")
    requires: tuple[str, ...] = spec("dotted key paths the returned payload must contain, e.g. database_pool.state")


@record
class ObservabilitySpec:
    """Gate 4: the health routes and the payload fields operators rely on."""

    sources: tuple[str, ...] = spec(
        "Python modules (globs) holding the routes and the helpers that build their payloads; a helper in a "
        "module not listed here is not followed (its keys count as present)", ())
    payloads: tuple[PayloadSpec, ...] = spec("the routes and their required key paths", ())


@record
class FrontendSpec:
    """Gate 1: the frontend build and the Flask app that serves its output."""

    dir: str = spec("the frontend directory: its package.json, its vite.config.{js,ts,mjs} (`npm --prefix DIR`)",
                    "frontend")
    build_script: str = spec("the package.json script the runbook runs (`npm --prefix DIR run SCRIPT`)", "build")
    app_modules: tuple[str, ...] = spec(
        "Python modules (globs) that create the Flask app (`Flask(__name__, static_folder=...)`)", ())

    def vite_configs(self) -> tuple[str, ...]:
        return tuple(f"{self.dir}/vite.config.{suffix}" for suffix in ("ts", "js", "mjs", "mts", "cjs", "cts"))

    @property
    def package_json(self) -> str:
        return f"{self.dir}/package.json"


@record
class DegradedResponseSpec:
    """Gate 5: one degraded response the runbook asks for (pool exhaustion, circuit open)."""

    code: str = spec("the error code the response carries, e.g. DB_POOL_EXHAUSTED")
    status: str = spec("the HTTP status it must have", "503")
    retry_after: bool = spec("whether it must send the Retry-After header", True)
    handler: str | None = spec("the exception whose `@app.errorhandler(...)` must return this response", None)


@record
class ResilienceSpec:
    """Gate 5: the degraded responses and who builds them."""

    sources: tuple[str, ...] = spec("Python modules (globs) holding the response helpers and error handlers")
    builders: tuple[str, ...] = spec("functions that build an error response from a code (the code first, or "
                                     "`code=`)", ("error_response",))
    status_argument: str = spec("the builders' status keyword", "status_code")
    headers_argument: str = spec("the builders' headers keyword (a dict)", "headers")
    responses: tuple[DegradedResponseSpec, ...] = spec("the degraded responses", ())
    payloads: tuple[PayloadSpec, ...] = spec(
        "routes whose payloads must expose the worker policy state and the alert booleans (as "
        "observability.payloads)", ())
    api_clients: tuple[str, ...] = spec(
        "the frontend API client files (paths, .js/.ts): they must not retry degraded responses without "
        "honouring Retry-After", (), repo_path=True)
