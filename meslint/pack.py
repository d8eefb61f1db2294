"""Contract packs: ``rules/*.yaml`` loaded into typed, validated records.

A pack is data.  Loading composes the YAML node tree (so every value keeps its
line) and converts it against the dataclasses below (:mod:`meslint.pack_convert`);
an unknown key, a missing required key or a value of the wrong type raises
:class:`PackError` with ``file:line`` and what is wrong.  The CLI turns that into exit 2.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
import typing
from dataclasses import field
from pathlib import Path

from meslint import pack_cache, pack_files, pack_spec, safe_io
from meslint.errors import PackError
from meslint.globs import glob_match
from meslint.pack_gates import FieldContractsSpec, FrontendSpec, GateSpec, ObservabilitySpec, ResilienceSpec
from meslint.parsers.web_address import UWSGI_LISTEN_OPTIONS
from meslint.records import record

if typing.TYPE_CHECKING:
    import yaml

spec = pack_spec.spec  # the field declaration, in a module of its own so that pack_gates can use it too


@record
class EnvFileSpec:
    deployed: str = spec("the env file on the host that units load with EnvironmentFile=")
    template: str = spec("the repository template operators copy to the deployed file", repo_path=True)
    script_relative: str = spec("what the start script sources, relative to its root anchor", ".env")

    @property
    def configured(self) -> bool:
        return bool(self.deployed)


# A pack without `env_file:`: no unit loads it, no template is read, no script sources it.
NO_ENV_FILE = EnvFileSpec(deployed="", template="", script_relative="")


@record(kw_only=True)
class RuntimeSpec:
    """What every contract unit runs in, and as whom (MES601).  Unset identity fields
    mean "the contract units agree among themselves"."""

    user: str | None = spec("the User= every contract unit must have", None)
    group: str | None = spec("the Group= every contract unit must have", None)
    working_directory: str | None = spec("the WorkingDirectory= every contract unit must have", None)


@record(kw_only=True)
class CondaSpec:
    """A conda environment.  As a top-level ``conda:`` block, the older spelling of
    ``runtime: {kind: conda, ...}`` (translated on load)."""

    env_name: str = spec("the conda environment every unit runs in")
    bin: str = spec("the conda binary on the host")
    env_name_variable: str = spec("the setting that carries the environment name", "CONDA_ENV_NAME")
    bin_variable: str = spec("the setting that carries the conda binary", "CONDA_BIN")
    environment_file: str = spec("the environment file whose `name:` must be env_name", "environment.yml",
                                 repo_path=True)


@record(kw_only=True)
class CondaRuntime(RuntimeSpec, CondaSpec):
    kind: typing.Literal["conda"] = spec("units run in a conda environment (`conda run -n`)", "conda")


@record(kw_only=True)
class VenvRuntime(RuntimeSpec):
    kind: typing.Literal["venv"] = spec("units start their interpreter from a virtualenv's bin/", "venv")
    prefix: str = spec("the venv directory on the host, e.g. /opt/app/venv")


@record(kw_only=True)
class SystemRuntime(RuntimeSpec):
    kind: typing.Literal["system"] = spec("units run the system interpreter (no venv, no conda)", "system")


Runtime = CondaRuntime | VenvRuntime | SystemRuntime


@record
class SiteSpec:
    """Where else than its environment variable a setting's value lives (give exactly one key)."""

    directive: str | None = spec("a [Service] directive of the contract units, e.g. PIDFile", None)
    option: str | None = spec("a command-line option, `PROGRAM --LONG-OPTION`, e.g. `gunicorn --pid`", None)
    gunicorn: str | None = spec("a constant of the gunicorn config module a unit's gunicorn loads, e.g. "
                                "pidfile (the same option on the command line wins over it)", None)
    proxy: typing.Literal["nginx", "apache"] | None = spec(
        "the upstream a reverse proxy's configurations send requests to: nginx proxy_pass/uwsgi_pass/... (or "
        "the server of the upstream block it names), Apache ProxyPass/ProxyPassReverse (or the BalancerMember "
        "of the balancer it names)", None)
    uwsgi: str | None = spec("an option of the uwsgi ini files' [uwsgi] section that it listens on: socket, "
                             "uwsgi-socket, http-socket, http, https", None)
    location: str | None = spec("with proxy: only the upstreams serving this URL path (an nginx `location`, "
                                "an Apache ProxyPass path or <Location>)", None)

    def kinds(self) -> list[str]:
        """The site keys given (a valid site gives exactly one; `location` only narrows a proxy)."""
        return [f.name for f in dataclasses.fields(self) if f.name != "location" and getattr(self, f.name) is not None]


@record
class SettingSpec:
    name: str = spec("the environment variable that carries the setting (with `variable: false`, only its name "
                     "in messages)")
    kind: typing.Literal["path", "bind", "string", "bool", "int"] = spec(
        "how values compare: paths are normalised, binds and strings compared as written, bools case-folded")
    canonical: str | None = spec("the right value: a site holding it is never the outlier", None)
    pid_file: bool = spec("the setting is the pid file (compared with PIDFile= and gunicorn --pid)", False)
    sites: tuple[SiteSpec, ...] = spec(
        "the other places its value lives; default: PIDFile=, gunicorn --pid and pidfile for the pid file, "
        "gunicorn --bind and bind for a bind (proxy and uwsgi sites only when listed)", ())
    pinned: bool = spec("the canonical value is the contract itself: a site holding another value is a finding "
                        "even when no other site disagrees (for a value that files meslint does not read rely "
                        "on)", False)
    variable: bool = spec("whether `name` is an environment variable (a site wherever it is set or read); false "
                          "for a setting that lives only in its `sites`, e.g. a bind only a unit and the gunicorn "
                          "config give", True)
    line: int = field(default=0, metadata={"internal": True})  # where the pack gives it (its `pinned:` line)

    def site_specs(self) -> tuple[SiteSpec, ...]:
        if self.sites:
            return self.sites
        if self.pid_file:
            return (SiteSpec(directive="PIDFile"), SiteSpec(option="gunicorn --pid"), SiteSpec(gunicorn="pidfile"))
        if self.kind == "bind":
            return (SiteSpec(option="gunicorn --bind"), SiteSpec(gunicorn="bind"))
        return ()


@record
class ConsumerSpec:
    name: str = spec("the name units refer to in `runs`")
    path: str = spec("the Python module of the process", repo_path=True)


@record
class StartScriptSpec:
    path: str = spec("the start script", repo_path=True)
    commands: tuple[str, ...] = spec("its subcommands (start, stop, ...)", ())
    check_command: str = spec("the subcommand that validates the contract", "check")
    check_runs: str = spec("what that subcommand must run", "")
    enforce_variable: str = spec("the setting that makes a failed check fatal", "RUNTIME_CONTRACT_ENFORCE")


@record
class UnitSpec:
    role: typing.Literal["app", "watchdog", "worker", "other"] = spec("what the unit is for")
    path: str | None = spec("the unit file (give path or glob)", None, repo_path=True)
    glob: str | None = spec("unit files matching this glob (give path or glob)", None)
    runs: tuple[str, ...] = spec("the consumers (by name) the unit runs", ())

    def matches(self, path: str) -> bool:
        if self.path is not None:
            return path == self.path
        return self.glob is not None and glob_match(path, self.glob)


@record
class InstallSpec:
    """How the repository becomes the deployment: what is copied where, what installing creates."""

    files: dict[str, str] = spec("repository file -> the absolute path it is installed as", factory=dict,
                                 repo_path=True)
    created: tuple[str, ...] = spec("repository-relative paths that installing creates (a venv, a config "
                                    "copied from a template): a pack may name them though the repository "
                                    "does not hold them", ())

    def creates(self, path: str) -> bool:
        """Whether installing creates repository-relative ``path`` (or a directory holding it)."""
        path = path.strip("/")
        return any(path == made or path.startswith(made + "/") for made in (c.strip("/") for c in self.created))


@record
class ContainerSpec:
    """The container runtime: a Dockerfile, the compose files that run it, supervisord programs."""

    compose_files: tuple[str, ...] = spec(
        "compose files (globs) that run the contract; a compose file not listed (a test stack) is not checked; "
        "a default-named file is merged with its override file (docker-compose.override.yml)",
        ("docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml"))
    compose_stacks: tuple[tuple[str, ...], ...] = spec(
        "compose file combinations run together (`docker compose -f a.yml -f b.yml`): each a list of files "
        "merged in order by compose's merge rules; a file listed in compose_files still runs alone too; each "
        "named like a compose file (docker-compose*.yml, compose*.yaml)", (), repo_path=True)
    dockerfile: str = spec("the Dockerfile run alone (`docker run`) when no listed compose file exists",
                           "Dockerfile")
    app_root: str | None = spec("the image directory the repository is copied to: WORKDIR, supervisord "
                                "`directory=` and PYTHONPATH must be there (MES202); default: where the image "
                                "copies the repository root", None)
    python: str | None = spec("the Python version (MAJOR.MINOR) the image must run (MES601); default: the "
                              "`python=` pin of the conda runtime's environment file", None)


@record
class DocsSpec:
    readme: str = "README.md"
    mirrors: tuple[str, ...] = ()
    operator_docs: tuple[str, ...] = ("README.md",)
    historical: tuple[str, ...] = ()
    diagnostics_fields: tuple[str, ...] = ()
    # Gate 8: Python modules whose dict keys/strings are the diagnostics payloads (MES804).
    diagnostics_sources: tuple[str, ...] = ("**/routes/health*.py", "**/routes/admin*.py")
    # Gate 8: words in a heading (or a fence comment) that mark an example as history,
    # not a statement of the current contract (MES801, MES805).
    historical_markers: tuple[str, ...] = ("before/after", "before and after", "legacy", "deprecated",
                                           "migration from", "migrating from", "changelog", "obsolete",
                                           "舊版", "已棄用")
    contract_docs: tuple[str, ...] = spec(
        "documents (globs) that together must mention every contract setting, unit and start-script command "
        "(MES802); default: the readme", ())
    history_markers: tuple[str, ...] = spec(
        "words that make a sentence, list item or table row tell history (removed, 舊版, 已移除): a legacy "
        "name or an old value there is not a current-path claim (MES801, MES805)", (
            "removed", "retired", "old", "legacy", "deprecated", "formerly", "migrated from", "no longer",
            "舊版", "已移除", "移除", "停用", "棄用", "已淘汰", "淘汰", "原本", "遷移自", "廢棄", "不再使用",
            "旧版", "弃用", "迁移自", "废弃",
            # told as absent: "the workspace lacks this file" is no claim that it exists
            "missing", "does not exist", "不存在", "缺少", "缺失"))
    history_headings: tuple[str, ...] = spec(
        "headings that are history (## 開發歷史, ## Changelog): the heading is one of these, or starts with one "
        "followed by a separator; everything under it is history", (
            "history", "changelog", "change log", "development history", "migration notes", "release notes",
            "開發歷史", "歷史", "變更紀錄", "變更記錄", "變更日誌", "更新紀錄", "更新日誌", "版本紀錄", "版本歷史",
            "遷移說明", "遷移紀錄", "开发历史", "历史", "变更记录", "变更日志", "更新记录", "更新日志", "版本记录",
            "版本历史", "迁移说明"))
    generated: tuple[str, ...] = spec(
        "paths (globs) the build or a run produces, not kept in the repository: a document naming one is no "
        "dangling reference (MES805; dist/, build/, node_modules/, *.egg-info, __pycache__ always count)", ())
    record_titles: tuple[str, ...] = spec(
        "title words of a document that records a moment (inventory, audit, report, 盤點, 報告): legacy names "
        "there are evidence, not drift; its current-contract values are still checked",
        ("inventory", "audit", "report", "盤點", "報告", "稽核", "盘点", "报告", "审计"))


@record
class ContractPack:
    name: str = spec("how the pack is named in output")
    deploy_root: str = spec("the absolute directory the repository is deployed to on the host")
    settings: tuple[SettingSpec, ...] = spec("the contract settings")
    env_file: EnvFileSpec = spec("the env file units load and the start script sources (optional)", NO_ENV_FILE)
    runtime: Runtime | None = spec("what every unit runs in (kind conda, venv or system) and as whom", None)
    legacy_conda: CondaSpec | None = spec("the older spelling of runtime: {kind: conda, ...}", None, key="conda")
    description: str = spec("one line on what the pack checks", "")
    detect: tuple[str, ...] = spec(
        "paths (the last segment may be a glob) that mark a repository of this deployment; the pack is "
        "the implicit default only where one exists", ())
    contract_module: str | None = spec("the Python module that owns the contract in code (it wins ties)", None,
                                       repo_path=True)
    consumers: tuple[ConsumerSpec, ...] = spec("the Python processes that read the settings", ())
    start_script: StartScriptSpec | None = spec("the bash start script", None)
    deploy_scripts: tuple[str, ...] = spec("scripts that deploy or install", (), repo_path=True)
    gunicorn_config: str | None = spec("the gunicorn configuration module", None, repo_path=True)
    units: tuple[UnitSpec, ...] = spec("the contract units and their roles", ())
    install: InstallSpec = spec("what installing copies where and creates", factory=InstallSpec)
    legacy_subtrees: tuple[str, ...] = spec("directories gate 2 forbids at runtime", ())
    docs: DocsSpec = spec("what the documentation must state (gate 8)", factory=DocsSpec)
    container: ContainerSpec | None = spec("the container runtime (Dockerfile, compose, supervisord); absent: "
                                           "no container runtime is checked", None)
    gates: tuple[GateSpec, ...] = spec("the runbook's gate checklist, for `meslint gates`", ())
    field_contracts: FieldContractsSpec | None = spec("the shared field contract file (gate 3)", None)
    observability: ObservabilitySpec | None = spec("the health payloads operators rely on (gate 4)", None)
    frontend: FrontendSpec | None = spec("the frontend build and where Flask serves it from (gate 1)", None)
    resilience: ResilienceSpec | None = spec("the degraded responses (gate 5)", None)
    source: str = field(default="", metadata={"internal": True})  # where the pack came from, for messages
    file: str | None = field(default=None, metadata={"internal": True})  # the pack file, when read from one
    # Repository paths the pack names, with the line that names each: (path, line, where).
    path_references: tuple[tuple[str, int, str], ...] = field(default=(), metadata={"internal": True})

    @property
    def conda(self) -> CondaRuntime | None:
        """The conda runtime, when the units run in one."""
        return self.runtime if isinstance(self.runtime, CondaRuntime) else None

    @property
    def conda_bin_variable(self) -> str | None:
        """The setting that names the conda binary: a path units read, never one they write."""
        return self.conda.bin_variable if self.conda is not None else None

    @property
    def named_files(self) -> tuple[str, ...]:
        """Paths discovery reads whatever their name: mirror docs (Markdown), pack-named JSON and script
        files, and globs of script files (frontend modules)."""
        contracts = (self.field_contracts.file, *self.field_contracts.frontend) if self.field_contracts else ()
        frontend = (self.frontend.package_json, *self.frontend.vite_configs()) if self.frontend else ()
        clients = self.resilience.api_clients if self.resilience else ()
        return tuple(self.docs.mirrors) + contracts + frontend + clients

    @property
    def payload_sources(self) -> tuple[str, ...]:
        """Python modules (globs) whose payload facts are kept: diagnostics (8), health (4), loader (3), app (1)."""
        extra = self.observability.sources if self.observability else ()
        loader = (self.field_contracts.loader,) if self.field_contracts and self.field_contracts.loader else ()
        apps = self.frontend.app_modules if self.frontend else ()
        resilience = self.resilience.sources if self.resilience else ()
        return self.docs.diagnostics_sources + extra + loader + apps + resilience

    @property
    def export_sources(self) -> tuple[str, ...]:
        """Python modules (globs) that may write exports of contracted tables (gate 3)."""
        return self.field_contracts.exporters if self.field_contracts else ()

    def installs(self, path: str) -> bool:
        """Whether installing puts deploy-root-relative ``path`` in place: a file copied there
        (``install.files``) or a path created there (``install.created``)."""
        path = path.strip("/")
        target = posixpath.join(self.deploy_root, path)
        return self.install.creates(path) or any(posixpath.normpath(installed) == target
                                                 for installed in self.install.files.values())

    def reads_web_configs(self) -> bool:
        """Whether a setting has a site in a web server configuration (nginx, Apache, uwsgi)."""
        return any(site.proxy or site.uwsgi for setting in self.settings for site in setting.site_specs())

    def setting(self, name: str) -> SettingSpec | None:
        for spec in self.settings:
            if spec.name == name:
                return spec
        return None

    def unit_spec(self, path: str) -> UnitSpec | None:
        for spec in self.units:
            if spec.matches(path):
                return spec
        return None

    def consumer(self, name: str) -> ConsumerSpec | None:
        for spec in self.consumers:
            if spec.name == name:
                return spec
        return None


# Built-in packs by (source, text): parsed once per process (meslint.server parses them before it forks).
_BUILTIN: dict[tuple[str, str], ContractPack] = {}


def load_pack(name_or_path: str, base_dir: Path | None = None, *, confined: bool = False) -> ContractPack:
    """Load a built-in pack by name or a pack file by path (``confined``: see :func:`pack_files.locate`)."""
    path, source = pack_files.locate(name_or_path, base_dir, confined=confined)
    text = pack_files.decode(pack_files.read_bytes(path, source), source)
    shipped = path.parent == pack_files.builtin_dir()
    pack = _BUILTIN.get((source, text)) if shipped else None
    if pack is None:
        pack = pack_cache.load(base_dir, source, text)  # parsed by the last run
        if pack is None:
            pack = load_pack_text(text, source, shipped=shipped)
            pack_cache.save_later(base_dir, source, text, pack)
        if shipped:
            _BUILTIN[source, text] = pack
    return dataclasses.replace(pack, file=str(path))


def load_pack_text(text: str, source: str, *, shipped: bool = False) -> ContractPack:
    """``shipped``: a pack of meslint's own, composed by libyaml when PyYAML has it (a fifteenth of
    the time); a pack from anywhere else goes through the pure-Python composer, whose recursion
    Python bounds (a hostile pack nested thousands deep is an error, not a crash) and whose messages
    the errors quote."""
    import yaml  # here: a run that takes its pack from meslint.pack_cache never imports PyYAML

    from meslint.pack_convert import Converter, node_at, node_line

    loader = yaml.CSafeLoader if shipped and getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader
    try:
        node = yaml.compose(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise PackError(f"{source}:{line}: invalid YAML: {problem}") from None
    except RecursionError:  # composing is recursive: a hostile pack nests thousands deep
        raise PackError(f"{source}: invalid YAML: nested too deeply") from None
    if node is None:
        raise PackError(f"{source}:1: the contract pack is empty")
    converter = Converter(source)
    pack = converter.convert(node, ContractPack, "pack")
    # Each setting's line (its `pinned:` key when it pins), for findings that name the pack's word.
    settings = tuple(dataclasses.replace(s, line=node_line(node_at(node, "settings", i, *(["pinned"] * s.pinned))))
                     for i, s in enumerate(pack.settings))
    pack = dataclasses.replace(pack, source=source, path_references=tuple(converter.references), settings=settings)
    return _check_references(_translate_legacy(pack, node, source), node, source)


def apply_overrides(pack: ContractPack, overrides: dict[str, object], source: str) -> ContractPack:
    """Pack overrides from configuration (e.g. another deploy root)."""
    allowed = {"deploy_root", "legacy_subtrees"}
    changes: dict[str, typing.Any] = {}  # checked per key below
    for key, value in overrides.items():
        if key not in allowed:
            raise PackError(f"{source}: unknown pack override {safe_io.shown(key)} "
                            f"(allowed: {', '.join(sorted(allowed))})")
        if key == "deploy_root" and not isinstance(value, str):
            raise PackError(f"{source}: pack override deploy_root must be a string")
        if key == "legacy_subtrees":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise PackError(f"{source}: pack override legacy_subtrees must be a list of strings")
            value = tuple(value)
        changes[key] = value
    return dataclasses.replace(pack, **changes)


def _translate_legacy(pack: ContractPack, node: yaml.Node, source: str) -> ContractPack:
    """``conda: {...}`` is the older spelling of ``runtime: {kind: conda, ...}``."""
    from meslint.pack_convert import node_at, node_line

    legacy = pack.legacy_conda
    if legacy is None:
        return pack
    if pack.runtime is not None:
        line = node_line(node_at(node, "conda"))
        raise PackError(f"{source}:{line}: give either runtime or the older conda block, not both")
    return dataclasses.replace(pack, legacy_conda=None, runtime=CondaRuntime(**dataclasses.asdict(legacy)))


def _check_references(pack: ContractPack, node: yaml.Node, source: str) -> ContractPack:
    """What the types cannot say: cross-references and absolute host paths, each with its line."""
    from meslint.pack_convert import node_at, node_line


    def fail(message: str, *path: str | int) -> typing.NoReturn:
        raise PackError(f"{source}:{node_line(node_at(node, *path))}: {message}")

    consumer_names = {c.name for c in pack.consumers}
    for index, setting in enumerate(pack.settings):
        name = safe_io.shown(setting.name)
        if setting.pinned and setting.canonical is None:
            fail(f"setting {name}: pinned needs a canonical value", "settings", index)
        for number, site in enumerate(setting.sites):
            where = ("settings", index, "sites", number)
            if len(site.kinds()) != 1:
                fail(f"setting {name}: a site gives exactly one of directive, option, gunicorn, proxy, uwsgi", *where)
            if site.location is not None and site.proxy is None:
                fail(f"setting {name}: location narrows a proxy site only", *where)
            if site.uwsgi is not None and site.uwsgi not in UWSGI_LISTEN_OPTIONS:
                fail(f"setting {name}: uwsgi {safe_io.shown(site.uwsgi)} is not one of "
                     f"{', '.join(UWSGI_LISTEN_OPTIONS)}", *where)
            if site.option is not None and not re.fullmatch(r"[\w.-]+ --[\w-]+", site.option):
                fail(f"setting {name}: option {safe_io.shown(site.option)} is not `PROGRAM --LONG-OPTION`", *where)
    for index, unit in enumerate(pack.units):
        label = safe_io.shown(unit.path or unit.glob) if unit.path or unit.glob else "?"
        if (unit.path is None) == (unit.glob is None):
            fail(f"unit {label}: give exactly one of 'path' or 'glob'", "units", index)
        for name in unit.runs:
            if name not in consumer_names:
                fail(f"unit {label}: runs unknown consumer {safe_io.shown(name)}", "units", index, "runs")
    for index, stack in enumerate(pack.container.compose_stacks if pack.container else ()):
        from meslint.listing import FileKind, container_kind

        for number, path in enumerate(stack):  # meslint parses compose files by their name
            if container_kind(path) is not FileKind.COMPOSE:
                fail(f"container.compose_stacks: {safe_io.shown(path)} is not named like a compose file "
                     f"(docker-compose*.yml, compose*.yaml)", "container", "compose_stacks", index, number)
        if not stack:
            fail("container.compose_stacks: a combination names at least one file", "container", "compose_stacks",
                 index)
    for key in ("historical_markers", "history_markers", "history_headings", "record_titles"):
        # A blank marker would match every line and silence gate 8 for the whole repository.
        if any(not marker.strip() for marker in getattr(pack.docs, key)):
            fail(f"docs.{key}: a marker must not be empty", "docs", key)
    if not pack.deploy_root.startswith("/"):
        fail("deploy_root must be an absolute path", "deploy_root")
    for repo_file, installed in pack.install.files.items():
        if not installed.startswith("/"):
            fail(f"install.files: {safe_io.shown(repo_file)} must be installed at an absolute path",
                 "install", "files", repo_file)
    return pack
