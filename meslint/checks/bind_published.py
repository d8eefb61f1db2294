"""MES604's container case: a compose service publishes (or, without compose ``ports:``, the
image ``EXPOSE``s) a port its gunicorn does not bind.

Not a rule of its own (no ``RULE``): :mod:`meslint.checks.bind_mismatch` yields these findings.
"""

from __future__ import annotations

from collections.abc import Iterator

from meslint.checks import CheckContext, Rule
from meslint.findings import Finding, Related
from meslint.resolve import RUNTIME_CONTAINER, SiteValue

_LOOPBACK = ("127.", "localhost", "[::1]", "::1")


def _bind_port(value: str) -> tuple[str, str] | None:
    """(host, port) of a gunicorn bind; None for a unix socket or a value without a port."""
    if value.startswith(("unix:", "fd://")):
        return None
    host, colon, port = value.rpartition(":")
    if not colon or not port.isdigit():
        return None
    return host, port


def _covers(target: str, port: str) -> bool:
    low, dash, high = target.partition("-")
    if dash and low.isdigit() and high.isdigit():
        return int(low) <= int(port) <= int(high)
    return target == port


def published_port_findings(ctx: CheckContext, bind: str, rule: Rule) -> Iterator[Finding]:
    from meslint.container_runtime import container_runs
    from meslint.container_runtime_sites import gunicorn_config_of, process_owner

    sites = ctx.resolution.for_setting(bind, RUNTIME_CONTAINER)
    for run in container_runs(ctx.repo, ctx.pack):
        # The ports the container is reached on: what compose publishes, else what the image
        # EXPOSEs (`docker run -P` publishes exactly those; operators read them as the app's port).
        published = [(p.target, p.location) for p in run.ports]
        verb, aside, outcome = "publishes", "", "the published port reaches nothing"
        if not run.ports:
            published = [(kv.name.partition("/")[0], kv.location) for kv in run.stage.exposed
                         if kv.name.partition("/")[2].lower() in {"", "tcp"}]
            verb, aside = "EXPOSEs", " (no compose ports: publishes any)"
            outcome = "`docker run -P` publishes a port nothing listens on"
        if not published:
            continue
        for process in run.processes:
            if process.info.program != "gunicorn":
                continue
            owner = process_owner(run, process)
            mine = [s for s in sites if owner in s.consumer and s.value]
            config = gunicorn_config_of(ctx.repo, run, process)
            site = _effective(mine, config.path if config is not None else None)
            if site is None or site.value is None:
                continue
            parsed = _bind_port(site.value)
            if parsed is None:
                continue
            host, port = parsed
            related = [Related(site.location, f"{site.consumer}: {bind} resolves to {site.value}"
                               + (f" ({site.explain()})" if site.chain else ""))]
            if host.startswith(_LOOPBACK):
                yield rule.finding(
                    f"{run.name} {verb} ports but its gunicorn ({owner}) binds {site.value}, a loopback address "
                    f"inside the container: nothing reaches it through a published port", published[0][1],
                    related, subject=f"{bind} container loopback")
                continue
            targets = [(t, where) for t, where in published if t]
            if targets and not any(_covers(t, port) for t, _ in targets):
                yield rule.finding(
                    f"{run.name} {verb} container port {', '.join(t for t, _ in targets)}{aside} but its gunicorn "
                    f"({owner}) binds port {port} ({bind} resolves to {site.value} inside the container): {outcome}",
                    targets[0][1], related, subject=f"{bind} published port")


def _effective(sites: list[SiteValue], config: str | None) -> SiteValue | None:
    """gunicorn's own bind: its command line, else its config module's value (a constant, or what
    the module reads from the environment); None when neither gives one."""
    for kind in ("container-exec", "gunicorn-config"):
        found = next((s for s in sites if s.kind == kind), None)
        if found is not None:
            return found
    return next((s for s in sites if s.location.path == config), None)
