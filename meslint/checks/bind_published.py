"""MES604's container case: a compose service publishes a port its gunicorn does not bind.

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
        if not run.ports:
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
                    f"{run.name} publishes ports but its gunicorn ({owner}) binds {site.value}, a loopback address "
                    f"inside the container: nothing reaches it through a published port", run.ports[0].location,
                    related, subject=f"{bind} container loopback")
                continue
            targets = [p.target for p in run.ports if p.target]
            if targets and not any(_covers(t, port) for t in targets):
                first = next(p for p in run.ports if p.target)
                yield rule.finding(
                    f"{run.name} publishes container port {', '.join(targets)} but its gunicorn ({owner}) binds port "
                    f"{port} ({bind} resolves to {site.value} inside the container): the published port reaches "
                    f"nothing", first.location, related, subject=f"{bind} published port")


def _effective(sites: list[SiteValue], config: str | None) -> SiteValue | None:
    """gunicorn's own bind: its command line, else its config module's value (a constant, or what
    the module reads from the environment); None when neither gives one."""
    for kind in ("container-exec", "gunicorn-config"):
        found = next((s for s in sites if s.kind == kind), None)
        if found is not None:
            return found
    return next((s for s in sites if s.location.path == config), None)
