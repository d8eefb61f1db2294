"""``meslint init``: a starting contract pack written from what a repository holds.

It surveys the tree the way a check run would (discovery, then the parsers; nothing is executed):
the systemd units (their roles from what they run, the deploy root from their working
directory, the runtime from the interpreter path, ``User=``/``Group=`` when they agree), the
gunicorn config module and the binds and pid files the units, the config and any reverse-proxy or
uwsgi configuration give, env templates a unit loads, a start script that runs gunicorn, deploy
scripts and the operator documents.  The pack is YAML with a comment on each guess; it is loaded
with the pack loader before it is written, so what is written is a valid pack.  An existing file is
never replaced and nothing is written outside the repository.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from meslint import safe_io
from meslint.argv import CommandInfo, analyze
from meslint.build import parse_file
from meslint.discovery import DiscoveredFile, discover
from meslint.errors import ConfigError
from meslint.facts import FileKind, PythonModule, ShellScript, UnitFile, WebConfig
from meslint.listing import is_dropin
from meslint.pack import load_pack_text
from meslint.systemd_semantics import invocations
from meslint.template import Binding, matching_brace

DEFAULT_OUTPUT = "meslint-pack.yaml"
_WORKER_WORDS = ("rq", "rqworker", "celery", "worker", "dramatiq", "huey")
_DEPLOY_WORDS = ("deploy", "install", "upgrade", "provision", "setup")
_OPERATOR_WORDS = ("install", "deploy", "operat", "runbook", "upgrade")


@dataclass
class Survey:
    """What the tree shows, before it is written as a pack."""

    units: list[tuple[UnitFile, str, list[CommandInfo]]] = field(default_factory=list)  # unit, role, commands
    gunicorn_configs: list[PythonModule] = field(default_factory=list)
    scripts: list[ShellScript] = field(default_factory=list)
    env_templates: list[str] = field(default_factory=list)
    web_configs: list[WebConfig] = field(default_factory=list)
    markdown: list[str] = field(default_factory=list)
    paths: frozenset[str] = frozenset()


def init_pack(root: Path, output: str = DEFAULT_OUTPUT, name: str | None = None) -> tuple[Path, str]:
    """Write a starting pack to ``output`` (relative to ``root``); return its path and text."""
    root = root.resolve()
    try:
        target = safe_io.confine(root, output)
    except safe_io.UnsafeFile as exc:
        raise ConfigError(f"{safe_io.shown(output)}: {exc.reason}") from None
    if os.path.lexists(target):
        raise ConfigError(f"{safe_io.shown(output)} exists; meslint init never replaces a file (remove it or "
                          "name another with --output)")
    survey = survey_tree(root)
    text = render(survey, name or root.name)
    load_pack_text(text, output)  # what is written must load: a failure here is meslint's bug
    data = text.encode("utf-8")
    try:
        safe_io.create_exclusive(target, data, mode=0o644)
    except FileExistsError:
        raise ConfigError(f"{safe_io.shown(output)} exists; meslint init never replaces a file (remove it or "
                          "name another with --output)") from None
    return target, text


def survey_tree(root: Path) -> Survey:
    found = discover(root)
    survey = Survey(paths=found.all_paths)
    for item in found.files:
        kind = item.kind
        if kind is FileKind.UNIT and not is_dropin(item.path):
            unit = parse_file(item)
            if isinstance(unit, UnitFile) and unit.get("Service", "ExecStart") is not None:
                commands = _unit_commands(unit)
                survey.units.append((unit, _role(unit, commands), commands))
        elif kind is FileKind.PYTHON and "gunicorn" in item.path.rpartition("/")[2].lower():
            module = parse_file(item)
            if isinstance(module, PythonModule) and any(c.name == "bind" for c in module.constants):
                survey.gunicorn_configs.append(module)
        elif kind is FileKind.SHELL and "gunicorn" in item.text:
            script = parse_file(item)
            if isinstance(script, ShellScript):
                survey.scripts.append(script)
        elif kind is FileKind.ENV and _is_template(item):
            survey.env_templates.append(item.path)
        elif kind in (FileKind.NGINX, FileKind.APACHE, FileKind.UWSGI):
            config = parse_file(item)
            if isinstance(config, WebConfig) and config.addresses:
                survey.web_configs.append(config)
        elif kind is FileKind.MARKDOWN:
            survey.markdown.append(item.path)
    return survey


def _unit_commands(unit: UnitFile) -> list[CommandInfo]:
    """What the unit's ExecStart= runs, a ``bash -c`` script unwrapped, in the unit's own Environment=
    (:func:`meslint.systemd_semantics.invocations`; the deploy root is not known yet)."""
    env = {a.name: Binding(a.value, f"{unit.path} Environment=", a.location) for a in unit.environment}
    workdir = unit.get("Service", "WorkingDirectory")
    root = workdir.value if workdir is not None else "/"
    return [run.info for command in unit.exec_commands if command.key == "ExecStart"
            for run in invocations(command, env, root)]


def _is_template(item: DiscoveredFile) -> bool:
    return item.path.rpartition("/")[2].lower() not in {".env", ".env.local"}


def _role(unit: UnitFile, commands: list[CommandInfo]) -> str:
    programs = {c.program for c in commands}
    name = unit.path.rpartition("/")[2].lower()
    if programs & {"gunicorn", "uwsgi", "uvicorn", "waitress-serve", "hypercorn"}:
        return "app"
    if "watchdog" in name:
        return "watchdog"
    words = " ".join(" ".join(c.argv) for c in commands).lower() + " " + name
    if any(word in words for word in _WORKER_WORDS):
        return "worker"
    return "other"


# --------------------------------------------------------------------------- writing


def _q(value: str) -> str:
    """A YAML scalar: JSON's double-quoted string is valid YAML and needs no further thought."""
    return json.dumps(value, ensure_ascii=False)


def render(survey: Survey, name: str) -> str:
    units = sorted(survey.units, key=lambda u: u[0].path)
    deploy_root, root_why = _deploy_root(units, name)
    out = [f"# Starting contract pack written by `meslint init` for {name}.",
           "# Every value below is a guess from the repository's files: check each one against the deployment,",
           "# then run `meslint check --contract meslint-pack.yaml` (field reference: rules/README.md).", "",
           f"name: {_q(name)}", f"description: {_q('deployment contract of ' + name)}", "",
           f"# {root_why}", f"deploy_root: {_q(deploy_root)}", ""]
    out += _runtime(units, deploy_root)
    settings, installed = _settings(survey, units, deploy_root)
    out += settings
    env_file = _env_file(survey, units)
    out += env_file
    if survey.gunicorn_configs:
        config = sorted(survey.gunicorn_configs, key=lambda m: (m.path.count("/"), m.path))[0]
        out += ["# The gunicorn configuration module.", f"gunicorn_config: {_q(config.path)}", ""]
    start = next((s for s in sorted(survey.scripts, key=lambda s: s.path) if _runs_gunicorn(s)), None)
    if start is not None:
        out += ["# A script that starts gunicorn: the start-script runtime.", "start_script:",
                f"  path: {_q(start.path)}", ""]
    deploy = sorted(p for p in survey.paths if p.endswith(".sh") and any(w in p.rpartition("/")[2].lower()
                                                                         for w in _DEPLOY_WORDS))
    if deploy:
        out += ["# Scripts that deploy, install or upgrade.", "deploy_scripts:"] + [f"  - {_q(p)}" for p in deploy]
        out.append("")
    if units:
        out += ["# The units, with a role guessed from what they run (app: a WSGI server; worker: a queue worker).",
                "units:"] + [f"  - {{path: {_q(unit.path)}, role: {role}}}" for unit, role, _ in units] + [""]
    created = _created(units, deploy_root)
    if installed or created:
        out.append("install:")
        if installed:
            out += ["  # Repository files a unit names at another host path: installed there.", "  files:"]
            out += [f"    {_q(repo)}: {_q(host)}" for repo, host in sorted(installed.items())]
        if created:
            out += ["  # Made at install time, not kept in the repository.", "  created:"]
            out += [f"    - {_q(path)}" for path in created]
        out.append("")
    out += _docs(survey)
    return "\n".join(out).rstrip("\n") + "\n"


def _deploy_root(units: list, name: str) -> tuple[str, str]:
    directories = Counter(unit.get("Service", "WorkingDirectory").value for unit, _, _ in units
                          if unit.get("Service", "WorkingDirectory") is not None
                          and unit.get("Service", "WorkingDirectory").value.startswith("/"))
    if directories:
        return directories.most_common(1)[0][0], "Where the units run (their WorkingDirectory=)."
    return f"/opt/{name}", "No unit gives a WorkingDirectory=: where the repository is deployed (a guess)."


def _runtime(units: list, deploy_root: str) -> list[str]:
    commands = [c for _, _, cs in units for c in cs]
    users = {u.get("Service", "User").value for u, _, _ in units if u.get("Service", "User") is not None}
    groups = {u.get("Service", "Group").value for u, _, _ in units if u.get("Service", "Group") is not None}
    identity = ([f"  user: {_q(next(iter(users)))}"] if len(users) == 1 else []) + \
               ([f"  group: {_q(next(iter(groups)))}"] if len(groups) == 1 else [])
    conda = next((c for c in commands if c.conda_env), None)
    if conda is not None:
        return ["# The units run `conda run -n ENV`.", "runtime:", "  kind: conda",
                f"  env_name: {_q(conda.conda_env or '')}", f"  bin: {_q(conda.conda_bin or 'conda')}",
                *identity, ""]
    prefixes = Counter(_venv_prefix(c.argv[c.program_index] if c.program_index >= 0 else c.argv[0])
                       for c in commands if c.argv)
    prefixes.pop(None, None)
    if prefixes:
        prefix = prefixes.most_common(1)[0][0]
        return ["# The units start their interpreter from this virtualenv.", "runtime:", "  kind: venv",
                f"  prefix: {_q(prefix or '')}", *identity, ""]
    if commands:
        return ["# The units run the system interpreter.", "runtime:", "  kind: system", *identity, ""]
    return []


def _venv_prefix(program: str) -> str | None:
    directory, _, _ = program.rpartition("/bin/")
    return directory if directory.startswith("/") and "conda" not in directory else None


def _settings(survey: Survey, units: list, deploy_root: str) -> tuple[list[str], dict[str, str]]:
    """The bind and the pid file, where the files give them, and the install map the config needs."""
    installed: dict[str, str] = {}
    binds: Counter[str] = Counter()
    pids: Counter[str] = Counter()
    bind_variable = None
    for unit, _, commands in units:
        pid = unit.get("Service", "PIDFile")
        if pid is not None:
            pids[pid.value] += 1
        for command in commands:
            if command.program != "gunicorn":
                continue
            if "bind" in command.options:
                binds[command.options["bind"]] += 1
            if "pid" in command.options:
                pids[command.options["pid"]] += 1
            host = command.options.get("config", "")
            module = _installed_module(survey, host, deploy_root)
            if module is not None and host != posixpath.join(deploy_root, module.path):
                installed[module.path] = host
    for module in survey.gunicorn_configs:
        for constant in module.constants:
            if constant.name not in ("bind", "pidfile") or not isinstance(constant.value, str):
                continue
            variable, default = _variable_default(constant.value)
            value = default if variable else constant.value
            if constant.name == "bind":
                bind_variable = bind_variable or variable
                if value and "$" not in value:
                    binds[value] += 1
            elif value and "$" not in value:
                pids[value] += 1
    out: list[str] = []
    if binds or survey.web_configs:
        sites = ["      - option: gunicorn --bind", "      - gunicorn: bind"]
        kinds = {config.kind for config in survey.web_configs}
        sites += [f"      - proxy: {kind}" for kind, fk in (("nginx", FileKind.NGINX), ("apache", FileKind.APACHE))
                  if fk in kinds]
        if FileKind.UWSGI in kinds:
            sites.append("      - uwsgi: socket")
        out += ["  # Where gunicorn listens (the command line wins over the config module), and where the",
                "  # proxies in front of it send requests: they must agree.",
                f"  - name: {_q(bind_variable or 'app-bind')}"]
        if bind_variable is None:
            out.append("    variable: false")
        out.append("    kind: bind")
        if binds:
            out.append(f"    canonical: {_q(binds.most_common(1)[0][0])}")
        out += ["    sites:", *sites]
    if pids:
        out += ["  # The pid file: PIDFile=, gunicorn --pid and the config's pidfile must name one file.",
                "  - name: app-pidfile", "    variable: false", "    kind: path", "    pid_file: true",
                f"    canonical: {_q(pids.most_common(1)[0][0])}"]
    if not out:
        return ["# No bind or pid file found: list the settings that must agree here.", "settings: []", ""], installed
    return ["settings:", *out, ""], installed


def _variable_default(template: str) -> tuple[str | None, str]:
    """``("APP_BIND", "0.0.0.0:8080")`` for ``${APP_BIND:-0.0.0.0:8080}`` (the parser's spelling of
    ``os.getenv("APP_BIND", "0.0.0.0:8080")``); ``(None, template)`` for anything else."""
    match = re.fullmatch(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-(.*))?\}", template, re.S)
    if match is None or matching_brace(template, 1) != len(template) - 1:
        return None, template
    return match.group(1), match.group(2) or ""


def _installed_module(survey: Survey, host: str, deploy_root: str) -> PythonModule | None:
    """The repository's gunicorn config that ``-c HOST`` loads: the same path under the deploy root, else
    the one config module of that file name."""
    if not host.startswith("/"):
        return None
    root = deploy_root.rstrip("/") + "/"
    same = next((m for m in survey.gunicorn_configs if host.startswith(root) and m.path == host[len(root):]), None)
    if same is not None:
        return same
    named = [m for m in survey.gunicorn_configs if m.path.rpartition("/")[2] == host.rpartition("/")[2]]
    return named[0] if len(named) == 1 else None


def _env_file(survey: Survey, units: list) -> list[str]:
    loaded = sorted({f.path for unit, _, _ in units for f in unit.environment_files})
    if not loaded or not survey.env_templates:
        return []
    template = sorted(survey.env_templates, key=lambda p: (p.count("/"), p))[0]
    return ["# The env file the units load, and the template operators copy to it.", "env_file:",
            f"  deployed: {_q(loaded[0])}", f"  template: {_q(template)}", ""]


def _created(units: list, deploy_root: str) -> list[str]:
    root = deploy_root.rstrip("/") + "/"
    made = set()
    for _, _, commands in units:
        for command in commands:
            prefix = _venv_prefix(command.argv[command.program_index] if command.program_index >= 0
                                  else command.argv[0]) if command.argv else None
            if prefix and prefix.startswith(root):
                made.add(prefix[len(root):])
    return sorted(made)


def _runs_gunicorn(script: ShellScript) -> bool:
    return any(analyze(command.argv).program == "gunicorn" for command in script.commands)


def _docs(survey: Survey) -> list[str]:
    """README, and the documents whose path says they install, deploy or operate (a directory of them as
    one glob)."""
    docs = sorted(survey.markdown)
    if not docs:
        return []
    readme = "README.md" if "README.md" in docs else docs[0]
    operator = {readme}
    for path in docs:
        directory, _, name = path.rpartition("/")
        if directory and directory.split("/")[0].lower() not in ("docs", "doc"):
            continue  # specs, tests, archives: not what an operator follows
        if any(word in directory.lower() for word in _OPERATOR_WORDS):
            operator.add(f"{directory}/*.md")
        elif any(word in name.lower() for word in _OPERATOR_WORDS):
            operator.add(path)
    listed = sorted(operator)
    return ["# The documents operators follow: they must name every setting, unit and command (gate 8).", "docs:",
            f"  readme: {_q(readme)}", "  operator_docs:", *[f"    - {_q(p)}" for p in listed],
            "  contract_docs:", *[f"    - {_q(p)}" for p in listed], ""]
