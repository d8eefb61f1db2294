"""A degraded response (pool exhausted, circuit open) lacks its 503, its Retry-After, or its error handler.

## What it does
For each response the pack lists under `resilience.responses` (`DB_POOL_EXHAUSTED`,
`CIRCUIT_BREAKER_OPEN`), looks at every call of a response builder (`resilience.builders`,
e.g. `error_response(DB_POOL_EXHAUSTED, ...)`) with that code in the `resilience.sources`
modules, and reports:

- a status other than the required one (the `status_code=` literal, else the builder's own
  default for it, e.g. `status_code: int = 500`);
- no `Retry-After` key in the `headers=` dict where the pack asks for it (a headers value meslint
  cannot see is not reported);
- an exception named by `handler` whose `@app.errorhandler(...)` function does not lead, through
  the helpers it returns (`return pool_exhausted_error(...)`), to a builder call with the code;
  or no handler for it at all.

## Why it matters
Gate 5 of the cutover runbook: under pool exhaustion and with the circuit open the service must
fail fast with `503`, its error code and `Retry-After`, so clients back off instead of piling
on.  A 500 with the same code makes load balancers and the frontend treat a transient overload as
a crash; a missing `Retry-After` makes clients retry at once.

## Example
```python
def pool_exhausted_error(details=None):
    return error_response(DB_POOL_EXHAUSTED, "busy", details)   # status_code defaults to 500, no Retry-After
```

## How to fix
Pass `status_code=503` and `headers={"Retry-After": str(seconds)}`, and return the helper from the
exception's error handler.

## Options
`resilience.sources`, `resilience.builders`, `resilience.status_argument`,
`resilience.headers_argument` and `resilience.responses` (`code`, `status`, `retry_after`,
`handler`) in the contract pack.
"""

from __future__ import annotations

from collections.abc import Iterator

from meslint.checks import CheckContext, Gate, Rule, Severity
from meslint.facts import CodedCall, PayloadFunction, PayloadKey, PythonModule
from meslint.findings import Finding, Related
from meslint.pack_gates import DegradedResponseSpec, ResilienceSpec
from meslint.payload_checks import payload_index
from meslint.payload_paths import PayloadIndex

RULE = Rule("MES501", "degraded-response-contract", Gate.RESILIENCE, Severity.ERROR)

RETRY_AFTER = "Retry-After"
_MAX_HOPS = 8


def check(ctx: CheckContext) -> Iterator[Finding]:
    spec = ctx.pack.resilience
    if spec is None or not spec.responses:
        return
    index = payload_index(ctx, spec.sources)
    for response in spec.responses:
        sites = [(module, function, call) for module in index.modules for function in module.payload_functions
                 for call in function.coded_calls
                 if call.code == response.code and call.callee.rpartition(".")[2] in spec.builders]
        for module, _function, call in sites:
            yield from _site(index, spec, response, module, call)
        if response.handler and sites:
            yield from _handler(index, response, sites)


def _literals(keys: tuple[PayloadKey, ...], name: str) -> set[str] | None:
    """The literal values of keyword/parameter ``name``; None when absent, empty when not literal."""
    for key in keys:
        if key.key == name:
            return {value.literal for value in key.values if value.kind == "literal"}
    return None


def _site(index: PayloadIndex, spec: ResilienceSpec, response: DegradedResponseSpec, module: PythonModule,
          call: CodedCall) -> Iterator[Finding]:
    builder = index.callee(module, call.callee)
    status = _literals(call.keywords, spec.status_argument)
    where = "given"
    if status is None and builder is not None:
        status, where = _literals(builder[1].defaults, spec.status_argument), f"{builder[1].name}'s default"
    if status and response.status not in status:
        related = [Related(builder[1].location, f"{builder[1].name}() builds the response")] if builder else []
        yield RULE.finding(
            f"the {response.code} response has status {'/'.join(sorted(status))} ({where}), not {response.status}",
            call.location, related, subject=f"{response.code}:status")
    if not response.retry_after:
        return
    headers = next((key for key in call.keywords if key.key == spec.headers_argument), None)
    if headers is None:
        yield RULE.finding(f"the {response.code} response sends no {RETRY_AFTER} header "
                           f"(no {spec.headers_argument}= argument)", call.location, subject=f"{response.code}:retry")
        return
    dicts = [value for value in headers.values if value.kind == "dict"]
    if dicts and not any(key.key.lower() == RETRY_AFTER.lower() for value in dicts for key in value.keys) \
            and not any(value.open or value.spreads for value in dicts):
        yield RULE.finding(f"the {response.code} response's headers have no {RETRY_AFTER}", headers.location,
                           subject=f"{response.code}:retry")


def _handler(index: PayloadIndex, response: DegradedResponseSpec,
             sites: list[tuple[PythonModule, PayloadFunction, CodedCall]]) -> Iterator[Finding]:
    handlers = [(module, function) for module in index.modules for function in module.payload_functions
                if response.handler in function.handles]
    building = {(module.path, function.name) for module, function, _ in sites}
    first = sites[0][2]
    if not handlers:
        yield RULE.finding(f"no @errorhandler({response.handler}) in the resilience sources returns the "
                           f"{response.code} response built here", first.location,
                           subject=f"{response.code}:handler")
        return
    for module, function in handlers:
        if not _reaches(index, module, function, building):
            yield RULE.finding(
                f"{function.name}, the error handler of {response.handler}, returns no {response.code} response",
                function.location, [Related(first.location, f"the {response.code} response is built here")],
                subject=f"{response.code}:handler")


def _reaches(index: PayloadIndex, module: PythonModule, function: PayloadFunction, building: set) -> bool:
    """Whether the function's returned calls lead (through helpers) to a function that builds the response."""
    stack, seen = [(module, function, 0)], set()
    while stack:
        owner, current, hops = stack.pop()
        if (owner.path, current.name) in building:
            return True
        if (owner.path, current.name) in seen or hops >= _MAX_HOPS:
            continue
        seen.add((owner.path, current.name))
        for value in current.returns:
            if value.kind == "call":
                target = index.callee(owner, value.callee)
                if target is not None:
                    stack.append((target[0], target[1], hops + 1))
    return False
