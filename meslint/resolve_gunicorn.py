"""The sites of a gunicorn config module (a part of :mod:`meslint.resolve`).

Which repository module a gunicorn command loads (``-c FILE``, else ``gunicorn.conf.py`` in its
working directory), and the settings its constants decide when the command line does not.
Units, the start script and containers (:mod:`meslint.container_runtime_sites`) all run gunicorn.
"""

from __future__ import annotations

import posixpath

from meslint.argv import CommandInfo
from meslint.facts import PythonModule, Repository
from meslint.pack import ContractPack
from meslint.resolve_model import Resolution, SiteValue, Step
from meslint.resolve_sites import _normalize, _used_steps
from meslint.template import CHECKOUT_ROOT, Binding, evaluate, normalize_path

# gunicorn settings whose command-line option is not the constant's name with '-' for '_'.
_GUNICORN_OPTION_OF = {"pidfile": "pid"}


def gunicorn_option_of(setting: str) -> str:
    """The command-line option (long form, as ``argv.analyze`` names it) of a gunicorn config setting."""
    return _GUNICORN_OPTION_OF.get(setting, setting.replace("_", "-"))


def gunicorn_config_module(repo: Repository, pack: ContractPack, info: CommandInfo,
                           workdir: str | None) -> PythonModule | None:
    """The repository module a unit's gunicorn loads: ``-c FILE``, else ``gunicorn.conf.py`` in its cwd.

    The host path maps back to the repository through the deploy root, or through the
    pack's ``install.files`` (a file installed somewhere else).
    """
    raw = info.options.get("config")
    if raw is not None and (not raw or raw.startswith("python:") or "$" in raw):
        return None
    if workdir is None and not (raw or "").startswith("/"):
        return None  # relative to a working directory systemd does not give
    host = normalize_path(raw or "gunicorn.conf.py", workdir or "/")
    if host.startswith(CHECKOUT_ROOT + "/"):  # the start script runs it in the checkout
        return repo.module(host[len(CHECKOUT_ROOT) + 1:])
    for repo_file, installed in pack.install.files.items():
        if posixpath.normpath(installed) == host:
            return repo.module(repo_file)
    root = pack.deploy_root.rstrip("/")
    if host.startswith(root + "/"):
        return repo.module(host[len(root) + 1:])
    return None


def _gunicorn_config_sites(res: Resolution, repo: Repository, pack: ContractPack, info: CommandInfo,
                           env: dict[str, Binding], runtime: str, workdir: str | None, unit: str | None,
                           module: PythonModule | None = None, owner: str | None = None) -> None:
    """Constants of the config module a gunicorn command loads (``owner``, default ``unit``, runs it);
    ``module``: the config module when the caller maps it (a container's image path), else found here."""
    module = module or gunicorn_config_module(repo, pack, info, workdir)
    if module is None or workdir is None:
        return
    constants = {constant.name: constant for constant in module.constants}
    for setting in pack.settings:
        for site in setting.site_specs():
            constant = constants.get(site.gunicorn or "")
            if constant is None or constant.value is None:
                continue
            if gunicorn_option_of(constant.name) in info.options:
                continue  # gunicorn: the command line wins over the config file
            line = (module.path, constant.location.line)
            if any(v.setting == setting.name and v.runtime == runtime and v.unit == unit
                   and (v.location.path, v.location.line) == line for v in res.values):
                continue  # `bind = os.getenv(NAME, ...)`: the consumer's read is that very site
            if isinstance(constant.value, str):
                evaluated = evaluate(constant.value, env, workdir)
                raw, steps = evaluated.value, _used_steps(evaluated.used)
            else:
                raw, steps = str(constant.value), []
            steps.append(Step(f"gunicorn config {constant.name} = {constant.value} (cwd {workdir})",
                              constant.location))
            res.values.append(SiteValue(setting.name, runtime, f"{module.path} {constant.name} (gunicorn config of "
                                        f"{owner or unit})", "gunicorn-config", _normalize(setting, raw, workdir), raw,
                                        constant.location, tuple(steps), unit))
