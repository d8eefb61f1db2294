"""GUNICORN_BIND defaults and values, or the port derived from them, disagree.

## What it does
Resolves `GUNICORN_BIND` for every consumer in each runtime — the gunicorn config
module's default, the runtime contract module, the start script's copies (any
variable assigned `${GUNICORN_BIND:-default}`), `--bind` on gunicorn command lines,
the env template through the units — and reports the outlier when they differ.
It also reports a start-script variable derived from `GUNICORN_BIND` (such as a
`PORT` cut from it) that is computed only at the top of the script, before the
script sources `.env`, and never re-derived afterwards: that copy is stale.

In the container runtime (pack `container:`) the bind is resolved for each gunicorn the
container runs (supervisord program or container command), and a compose service that
publishes ports must publish the port that bind resolves to inside the container
(`ports:` target, short or long syntax); where no compose `ports:` publishes any, the
image's `EXPOSE` (what `docker run -P` publishes) must name that port.  A bind to a loopback
address there cannot be reached through a published port at all.

## Why it matters
Gate 6 keeps one port through the restart workflow.  A start script that checks
or prints port 8080 while gunicorn binds 9000 from `.env` reports a healthy server
that is not there, or refuses to start because "the port is busy".

## Example
```bash
PORT=$(echo "${GUNICORN_BIND:-0.0.0.0:8080}" | cut -d: -f2)   # before .env is loaded
load_env() { set -a; source "${ROOT}/.env"; set +a; }         # PORT is never re-derived
```

## How to fix
Give `GUNICORN_BIND` one default everywhere, and derive the port from the value after the env file
is loaded.

`meslint check --unsafe-fixes` writes the reference value (the pack's canonical value, the value the
contract module decides, or one that sites taking it from two different places agree on) where the
outlier's value is written literally: a unit directive, the env template line that decides it, or a
Python default (`os.getenv("X", "...")`, `os.environ.get`, a module constant; the string literal is
found with libcst and replaced in place).  A value meslint derived (a relative path made absolute,
`${ROOT}` expanded) is left to you.  The fix is unsafe: the outlier's consumer then sees another value.

## Options
The bind setting is the pack setting with `kind: bind`.  Its `sites` may add where a reverse proxy
sends requests (`proxy: nginx`, `proxy: apache`) and the uwsgi alternative listens (`uwsgi: socket`):
a port changed only in `nginx.conf` is then reported on that line.  Compose files are checked only
when the pack's `container.compose_files` lists them.
"""

from __future__ import annotations

from collections.abc import Iterator

from meslint.agreement import contract_authority, describe, disagreements
from meslint.autofix.align import align
from meslint.checks import CheckContext, FixApplicability, Gate, Rule, Severity
from meslint.facts import Location, ShellAssignment, ShellScript
from meslint.findings import Finding, Related
from meslint.script_flow import script_model
from meslint.template import references

RULE = Rule("MES604", "bind-mismatch", Gate.RUNTIME_CONTRACT, Severity.ERROR, FixApplicability.UNSAFE)


def check(ctx: CheckContext) -> Iterator[Finding]:
    bind = next((s.name for s in ctx.pack.settings if s.kind == "bind"), None)
    if bind is None:
        return
    for d in disagreements(ctx.resolution.for_setting(bind), authority=contract_authority(ctx)):
        yield RULE.finding(describe(d), d.outlier.location, d.related(), subject=bind,
                           fix=align(ctx.repo, d, ctx.pack.contract_module))
    spec = ctx.pack.start_script
    if spec is not None:
        yield from _stale_derivations(ctx, spec.path, bind, spec.commands or ("start",))
    from meslint.checks.bind_published import published_port_findings

    yield from published_port_findings(ctx, bind, RULE)


def _mentions(template: str, names: set[str]) -> bool:
    return not names.isdisjoint(references(template))


# Which bind-derived copies a start script reads stale is a view of the script alone (its path, the
# bind and the subcommands are the key): a self-contained view (meslint.incremental.SELF_CONTAINED),
# restored after a unit or template edit.
STALE_USES = "bind_mismatch.stale_uses"
# (copy, where it is derived, ((use, subcommand), ...) first five by location, subcommands using it)
StaleUse = tuple[str, Location, tuple[tuple[Location, str], ...], tuple[str, ...]]


def _stale_derivations(ctx: CheckContext, path: str, bind: str, subcommands: tuple[str, ...]) -> Iterator[Finding]:
    stale: list[StaleUse] = ctx.shared((STALE_USES, path, bind, subcommands),
                                       lambda: _stale_uses(ctx, path, bind, subcommands))
    for name, derived_at, uses, commands in stale:
        yield RULE.finding(
            f"{name} is derived from {bind} before the script sources {ctx.pack.env_file.script_relative} and "
            f"not derived again before it is used (subcommand{'s' if len(commands) > 1 else ''} "
            f"{', '.join(commands)}): those commands see a stale value when the env file sets {bind}",
            derived_at,
            [Related(loc, f"{name} used here after the env file is loaded ({cmd})") for loc, cmd in uses],
            subject=f"{name}<-{bind}",
        )


def _stale_uses(ctx: CheckContext, path: str, bind: str, subcommands: tuple[str, ...]) -> list[StaleUse]:
    script = ctx.repo.script(path)
    return list(_walk_stale_uses(ctx, script, bind, subcommands)) if script is not None else []


def _walk_stale_uses(ctx: CheckContext, script: ShellScript, bind: str,
                     subcommands: tuple[str, ...]) -> Iterator[StaleUse]:
    """Walk each subcommand; a use of a bind-derived variable after .env is loaded but before
    the variable is derived again reads the stale copy."""
    derived: dict[str, ShellAssignment] = {}
    names = {bind}
    for assignment in script.assignments:  # top level, in order: the copies taken at start-up
        if assignment.function is None and _mentions(assignment.value, names):
            derived[assignment.name] = assignment
            names.add(assignment.name)
    derived.pop(bind, None)
    if not derived:
        return
    # The derived copies each command reads, worked out once (keyed by identity: the walks below
    # meet the very same command facts again for every subcommand).
    reads = {id(command): {n for word in command.argv for n in references(word)} & derived.keys()
             for command in script.commands}
    stale_uses: dict[str, dict[Location, str]] = {}
    model = script_model(script, ctx.pack.env_file.script_relative, ctx.shared)
    traces = {command: model.trace(command) for command in subcommands}
    for command, trace in traces.items():
        loaded = False
        fresh: set[str] = set()
        for kind, fact in trace:
            if kind == "load":
                loaded = True
                fresh = set()
            elif isinstance(fact, ShellAssignment):  # kind "assign"
                if loaded and fact.name in derived and _mentions(fact.value, names):
                    fresh.add(fact.name)
            elif kind == "command" and loaded:
                for name in reads[id(fact)]:
                    if name not in fresh:
                        stale_uses.setdefault(name, {}).setdefault(fact.location, command)
    for name in sorted(stale_uses, key=lambda n: derived[n].location):
        uses = sorted(stale_uses[name].items())
        commands = sorted(set(stale_uses[name].values()))
        yield name, derived[name].location, tuple(uses[:5]), tuple(commands)
