"""Sites of a setting in web server configurations: a reverse proxy's upstream, a uwsgi socket.

A pack names them in a setting's ``sites`` (``proxy: nginx``, ``proxy: apache``, ``uwsgi: socket``).
The proxy runs beside the application server and reaches it whichever way that server is
started, so its sites join every runtime where the setting has sites of its own (the units'
when there is nothing else).  A proxy's value is the address it connects to; when that
address reaches a server's bind without being spelled the same (``127.0.0.1:8001`` to a server on
``0.0.0.0:8001``), the value is that bind: the two agree.  An upstream naming an nginx
``upstream`` block or an Apache balancer is that group's one server (a group of several is no
single address and is left out).
"""

from __future__ import annotations

from collections.abc import Iterator

from meslint.facts import FileKind, Repository, WebAddress, WebConfig
from meslint.pack import ContractPack, SettingSpec, SiteSpec
from meslint.parsers.web_address import reaches
from meslint.resolve import RUNTIME_SYSTEMD, RUNTIME_SYSTEMD_BARE, RUNTIMES, Resolution, SiteValue, Step

_PROXY_KINDS = {"nginx": FileKind.NGINX, "apache": FileKind.APACHE}
KIND_PROXY = "proxy"
KIND_UWSGI = "uwsgi-config"


def add_web_sites(res: Resolution, repo: Repository, pack: ContractPack) -> None:
    """Append the web server sites of every setting to ``res`` (before it is sorted)."""
    for setting in pack.settings:
        found = []
        seen = set()
        for site in setting.site_specs():
            for item in _addresses(repo, site):
                if item[1].location not in seen:  # one upstream server reached through two directives
                    seen.add(item[1].location)
                    found.append(item)
        if not found:
            continue
        own = {v.runtime for v in res.values if v.setting == setting.name}
        runtimes = [rt for rt in RUNTIMES if rt in own and rt != RUNTIME_SYSTEMD_BARE] or [RUNTIME_SYSTEMD]
        for runtime in runtimes:
            servers = sorted({v.value for v in res.values if v.setting == setting.name and v.runtime == runtime
                              and v.value is not None and v.kind != KIND_PROXY})
            for config, address, via in found:
                res.values.append(_site(setting, runtime, config, address, via, servers,
                                        runtime == RUNTIME_SYSTEMD and RUNTIME_SYSTEMD_BARE in own))


def _site(setting: SettingSpec, runtime: str, config: WebConfig, address: WebAddress, via: WebAddress | None,
          servers: list[str], env_independent: bool) -> SiteValue:
    steps = []
    if via is not None:
        steps.append(Step(f"{via.directive} {via.raw} names {via.group}", via.location))
    scope = f" (location {address.scope})" if address.scope else ""
    steps.append(Step(f"{address.directive} {address.raw}{scope}", address.location))
    value = address.address
    proxy = config.kind is not FileKind.UWSGI
    if proxy and value is not None and value not in servers:
        reached = next((server for server in servers if reaches(value, server)), None)
        if reached is not None:
            steps.append(Step(f"{value} reaches a server bound to {reached}"))
            value = reached
    label = f"{config.path} {address.directive}" + (f" of {via.group} ({via.directive})" if via is not None else "")
    return SiteValue(setting.name, runtime, label, KIND_PROXY if proxy else KIND_UWSGI,
                     value, address.raw, address.location, tuple(steps), None, env_independent)


def _addresses(repo: Repository, site: SiteSpec) -> Iterator[tuple[WebConfig, WebAddress, WebAddress | None]]:
    """(config, address, the proxy directive that named its group) of each site the spec names."""
    if site.uwsgi:
        for config in repo.web_configs:
            if config.kind is FileKind.UWSGI:
                yield from ((config, a, None) for a in config.addresses if a.directive == site.uwsgi)
        return
    kind = _PROXY_KINDS.get(site.proxy or "")
    if kind is None:
        return
    configs = [config for config in repo.web_configs if config.kind is kind]
    members: dict[str, list[tuple[WebConfig, WebAddress]]] = {}
    for config in configs:
        for address in config.addresses:
            if address.directive in ("server", "BalancerMember") and address.group:
                members.setdefault(address.group, []).append((config, address))
    for config in configs:
        for address in config.addresses:
            if address.directive in ("server", "BalancerMember") or not _serves(address, site.location):
                continue
            group = members.get(address.group or "")
            if group is None:
                if address.address is not None:
                    yield config, address, None
            elif len(group) == 1:  # the address is written at the group's one server
                yield group[0][0], group[0][1], address


def _serves(address: WebAddress, location: str | None) -> bool:
    return location is None or (address.scope.rstrip("/") or "/") == (location.rstrip("/") or "/")
