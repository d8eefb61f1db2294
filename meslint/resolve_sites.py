"""What the unit and start-script runtimes share (a part of :mod:`meslint.resolve`).

The env file's bindings as each consumer reads it, the sites of a command line
(``gunicorn --pid``, ``conda run -n``), the Python consumers' sites (a variable read in code, or
its code default), and the provenance steps and value normalisation every site builder uses.
"""

from __future__ import annotations

from collections.abc import Iterable

from meslint.argv import CommandInfo
from meslint.facts import EnvFile, EnvRead, Location, PythonModule, Repository
from meslint.pack import ContractPack, SettingSpec
from meslint.resolve_model import Resolution, SiteValue, Step
from meslint.template import Binding, evaluate, normalize_path

# --------------------------------------------------------------------------- environments


_BINDINGS_MEMO: dict[tuple[int, str], tuple[EnvFile, dict[str, Binding]]] = {}


def env_file_bindings(env_file: EnvFile, consumer: str) -> dict[str, Binding]:
    """Bindings of an env file as ``consumer`` ("systemd" | "bash" | "dotenv") reads it.

    Memoised per env file (bindings are frozen): every unit and script walk asks for the same
    template again, and a large template made this the hottest function of a run.  Callers get
    their own copy of the mapping.
    """
    key = (id(env_file), consumer)
    memo = _BINDINGS_MEMO.get(key)
    if memo is not None and memo[0] is env_file:
        return dict(memo[1])
    if len(_BINDINGS_MEMO) > 64:
        _BINDINGS_MEMO.clear()
    bindings = _env_file_bindings(env_file, consumer)
    _BINDINGS_MEMO[key] = (env_file, bindings)
    return dict(bindings)


def _env_file_bindings(env_file: EnvFile, consumer: str) -> dict[str, Binding]:
    label = {"systemd": "systemd EnvironmentFile=", "bash": "bash set -a; source", "dotenv": "python-dotenv"}
    bindings: dict[str, Binding] = {}
    for assignment in env_file.assignments:
        value = getattr(assignment, consumer)
        if value is None:
            continue
        bindings[assignment.name] = Binding(
            value, f"{env_file.path}:{assignment.location.line} ({label[consumer]})", assignment.location)
    return bindings


# --------------------------------------------------------------------------- command lines


def _steps_about(chain: list[Step], name: str) -> tuple[Step, ...]:
    """The provenance steps that concern one variable, plus the command itself."""
    return tuple(step for step in chain
                 if step.text.startswith((f"{name}=", f"{name} unset")) or "=" not in step.text.split(" ")[0])


_OPTION_SITES: dict[int, tuple[ContractPack, dict[str, tuple[tuple[SettingSpec, str], ...]]]] = {}


def option_sites(pack: ContractPack) -> dict[str, tuple[tuple[SettingSpec, str], ...]]:
    """``program -> ((setting, option), ...)``: the pack's ``PROGRAM --OPTION`` sites by program, in
    the order of its settings and their sites.

    A command line's sites are found by its program alone, and most commands a start script runs
    (``echo``, ``mkdir``) have none: looking the program up replaces a walk over every setting's
    sites for each command of each runtime.  Memoised per pack (packs are frozen).
    """
    memo = _OPTION_SITES.get(id(pack))
    if memo is not None and memo[0] is pack:
        return memo[1]
    table: dict[str, list[tuple[SettingSpec, str]]] = {}
    for setting in pack.settings:
        for site in setting.site_specs():
            program, _, option = (site.option or "").partition(" --")
            table.setdefault(program, []).append((setting, option))
    if len(_OPTION_SITES) > 16:
        _OPTION_SITES.clear()
    frozen = {program: tuple(sites) for program, sites in table.items()}
    _OPTION_SITES[id(pack)] = (pack, frozen)
    return frozen


def has_command_sites(pack: ContractPack, info: CommandInfo) -> bool:
    """Whether :func:`_command_sites` can find a site in ``info`` (a cheap test before building its chain)."""
    conda = pack.conda
    return (info.program in option_sites(pack)
            or (conda is not None and (info.conda_env is not None
                                       or (info.conda_bin is not None and info.conda_bin != "conda"))))


def _command_sites(res: Resolution, pack: ContractPack, info: CommandInfo, runtime: str, owner: str, kind: str,
                   location: Location, cwd: str | None, chain: list[Step], unit: str | None,
                   cwd_shown: str | None = None) -> None:
    """``cwd``: the command's working directory, None when unknown (``cwd_shown`` names it then)."""
    for setting, option in option_sites(pack).get(info.program, ()):
        if option in info.options:
            program = info.program
            raw = info.options[option]
            steps = _steps_about(chain, setting.name)
            if setting.kind == "path":
                value = _norm_path(raw, cwd)
                steps += (Step(f"{program} --{option} {raw} (cwd {cwd_shown or cwd})", location),)
            else:
                value = raw
            res.values.append(SiteValue(setting.name, runtime, f"{owner}: {program} --{option}", kind,
                                        value, raw, location, steps, unit))
    conda = pack.conda
    if conda is not None and info.conda_env is not None:
        res.values.append(SiteValue(conda.env_name_variable, runtime, f"{owner}: conda -n", kind,
                                    info.conda_env, info.conda_env, location,
                                    _steps_about(chain, conda.env_name_variable), unit))
    if conda is not None and info.conda_bin is not None and info.conda_bin != "conda":
        res.values.append(SiteValue(conda.bin_variable, runtime, f"{owner}: conda binary", kind,
                                    info.conda_bin, info.conda_bin, location,
                                    _steps_about(chain, conda.bin_variable), unit))


def _norm_path(raw: str | None, cwd: str | None) -> str | None:
    if raw is None or "$" in raw or (cwd is None and not raw.startswith("/")):
        return None
    return normalize_path(raw, cwd or "/")


def _used_steps(used: Iterable[tuple[str, Binding | None]]) -> list[Step]:
    steps = []
    for name, binding in used:
        if binding is None:
            steps.append(Step(f"{name} unset", variable=name, unset=True))
        else:
            steps.append(Step(f"{name}={binding.value!r} from {binding.origin}", binding.location, name))
    return steps


# --------------------------------------------------------------------------- python consumers


def _consumer_module(repo: Repository, pack: ContractPack, name: str) -> PythonModule | None:
    spec = pack.consumer(name)
    return repo.module(spec.path) if spec else None


def _python_sites(res: Resolution, repo: Repository, pack: ContractPack, module: PythonModule,
                  env: dict[str, Binding], runtime: str, label: str, root: str, unit: str | None) -> None:
    fallback = _contract_fallback(repo, pack, module)
    for setting in pack.settings:
        if not setting.variable:
            continue  # no environment variable: nothing in code reads it by name
        read = _first_read(module, setting.name) or (_first_read(fallback, setting.name) if fallback else None)
        if read is None:
            continue
        key = (setting.name, runtime, unit, read.location)
        if key in res.python_seen:
            continue  # two consumers of one process reading through the same code site
        res.python_seen.add(key)
        binding = env.get(setting.name)
        raw: str | None
        if binding is not None and (binding.value != "" or read.via != "resolver"):
            raw = binding.value
            chain = [Step(f"{setting.name}={raw!r} from {binding.origin}", binding.location)]
        elif read.default is not None:
            evaluated = evaluate(read.default, env, root)
            raw = evaluated.value
            chain = _used_steps(evaluated.used) + [Step(f"code default {read.default}", read.location)]
        else:
            continue
        if raw is not None and not raw.strip():
            continue  # an empty default means "no opinion" (e.g. find conda on PATH)
        value = _normalize(setting, raw, root)
        res.values.append(SiteValue(setting.name, runtime, label, "python", value, raw, read.location,
                                    tuple(chain), unit))


def _contract_fallback(repo: Repository, pack: ContractPack, module: PythonModule) -> PythonModule | None:
    """The contract module, when ``module`` imports it (and is not it)."""
    if not pack.contract_module or module.path == pack.contract_module:
        return None
    dotted = _dotted_module(pack.contract_module)
    if any(name == dotted or name.startswith(dotted + ".") for name in module.imports):
        return repo.module(pack.contract_module)
    return None


def _dotted_module(path: str) -> str:
    parts = path[:-3].split("/") if path.endswith(".py") else path.split("/")
    if parts and parts[0] == "src":
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _first_read(module: PythonModule | None, name: str) -> EnvRead | None:
    if module is None:
        return None
    reads = [r for r in module.env_reads if r.name == name]
    with_default = [r for r in reads if r.default is not None]
    return (with_default or reads)[0] if reads else None


def canonical_value(setting: SettingSpec, deploy_root: str) -> str | None:
    """The pack's canonical value as resolved sites spell it (paths relative to the deploy root)."""
    return _normalize(setting, setting.canonical, deploy_root)


def _normalize(setting: SettingSpec, raw: str | None, base: str) -> str | None:
    if raw is None:
        return None
    if setting.kind == "path":
        return normalize_path(raw, base) if raw.strip() else raw
    if setting.kind == "bool":
        return raw.strip().lower()
    return raw.strip()
