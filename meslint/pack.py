"""Contract packs: ``rules/*.yaml`` loaded into typed, validated records.

A pack is data.  Loading composes the YAML node tree (so every value keeps its
line) and converts it against the dataclasses below; an unknown key, a missing
required key or a value of the wrong type raises :class:`PackError` with
``file:line`` and what is wrong.  The CLI turns that into exit 2.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from meslint import pack_files
from meslint.errors import PackError


@dataclass(frozen=True)
class EnvFileSpec:
    deployed: str
    template: str
    script_relative: str = ".env"


@dataclass(frozen=True)
class CondaSpec:
    env_name: str
    bin: str
    env_name_variable: str = "CONDA_ENV_NAME"
    bin_variable: str = "CONDA_BIN"
    environment_file: str = "environment.yml"


@dataclass(frozen=True)
class SettingSpec:
    name: str
    kind: str  # path | bind | string | bool | int
    canonical: str | None = None
    pid_file: bool = False


@dataclass(frozen=True)
class ConsumerSpec:
    name: str
    path: str


@dataclass(frozen=True)
class StartScriptSpec:
    path: str
    commands: tuple[str, ...] = ()
    check_command: str = "check"
    check_runs: str = ""
    enforce_variable: str = "RUNTIME_CONTRACT_ENFORCE"


@dataclass(frozen=True)
class UnitSpec:
    role: str  # app | watchdog | worker | other
    path: str | None = None
    glob: str | None = None
    runs: tuple[str, ...] = ()

    def matches(self, path: str) -> bool:
        if self.path is not None:
            return path == self.path
        return self.glob is not None and fnmatch.fnmatchcase(path, self.glob)


@dataclass(frozen=True)
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
    # Gate 8: words that make a sentence, list item or table row tell history ("removed", "舊版", "已移除"):
    # a legacy name or an old value there is not a current-path claim (MES801, MES805).
    history_markers: tuple[str, ...] = (
        "removed", "retired", "old", "legacy", "deprecated", "formerly", "migrated from", "no longer",
        "舊版", "已移除", "移除", "停用", "棄用", "已淘汰", "淘汰", "原本", "遷移自", "廢棄", "不再使用",
        "旧版", "弃用", "迁移自", "废弃",
        # told as absent: "the workspace lacks this file" is no claim that it exists
        "missing", "does not exist", "不存在", "缺少", "缺失")
    # Gate 8: headings that are history ("## 開發歷史", "## Changelog"): the heading is one of these,
    # or starts with one followed by a separator; everything under it is history.
    history_headings: tuple[str, ...] = (
        "history", "changelog", "change log", "development history", "migration notes", "release notes",
        "開發歷史", "歷史", "變更紀錄", "變更記錄", "變更日誌", "更新紀錄", "更新日誌", "版本紀錄", "版本歷史",
        "遷移說明", "遷移紀錄", "开发历史", "历史", "变更记录", "变更日志", "更新记录", "更新日志", "版本记录",
        "版本历史", "迁移说明")
    # Gate 8: title words of a document that records a moment (an inventory, an audit, a sync report):
    # legacy names there are evidence, not drift; its current-contract values are still checked.
    record_titles: tuple[str, ...] = ("inventory", "audit", "report", "盤點", "報告", "稽核", "盘点", "报告", "审计")


@dataclass(frozen=True)
class ContractPack:
    name: str
    deploy_root: str
    env_file: EnvFileSpec
    conda: CondaSpec
    settings: tuple[SettingSpec, ...]
    description: str = ""
    contract_module: str | None = None
    consumers: tuple[ConsumerSpec, ...] = ()
    start_script: StartScriptSpec | None = None
    deploy_scripts: tuple[str, ...] = ()
    gunicorn_config: str | None = None
    units: tuple[UnitSpec, ...] = ()
    legacy_subtrees: tuple[str, ...] = ()
    docs: DocsSpec = field(default_factory=DocsSpec)
    source: str = ""  # where the pack came from, for messages

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


def load_pack(name_or_path: str, base_dir: Path | None = None) -> ContractPack:
    """Load a built-in pack by name or a pack file by path."""
    path, source = pack_files.locate(name_or_path, base_dir)
    return load_pack_text(pack_files.decode(pack_files.read_bytes(path, source), source), source)


def load_pack_text(text: str, source: str) -> ContractPack:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise PackError(f"{source}:{line}: invalid YAML: {problem}") from None
    if node is None:
        raise PackError(f"{source}:1: the contract pack is empty")
    pack = _convert(node, ContractPack, source, "pack", extra={"source": source})
    return _check_references(pack, node, source)


def apply_overrides(pack: ContractPack, overrides: dict[str, object], source: str) -> ContractPack:
    """Pack overrides from configuration (e.g. another deploy root)."""
    allowed = {"deploy_root", "legacy_subtrees"}
    changes: dict[str, object] = {}
    for key, value in overrides.items():
        if key not in allowed:
            raise PackError(f"{source}: unknown pack override {key!r} (allowed: {', '.join(sorted(allowed))})")
        if key == "deploy_root" and not isinstance(value, str):
            raise PackError(f"{source}: pack override deploy_root must be a string")
        if key == "legacy_subtrees":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise PackError(f"{source}: pack override legacy_subtrees must be a list of strings")
            value = tuple(value)
        changes[key] = value
    return dataclasses.replace(pack, **changes)


# --------------------------------------------------------------------------- conversion


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _convert(node: yaml.Node, target, source: str, where: str, extra: dict | None = None):
    origin = typing.get_origin(target)
    args = typing.get_args(target)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
            if type(None) in args:
                return None
        return _convert(node, options[0], source, where)
    if origin is tuple:
        if not isinstance(node, yaml.SequenceNode):
            raise PackError(f"{source}:{_line(node)}: {where} must be a list")
        return tuple(_convert(item, args[0], source, f"{where}[{i}]") for i, item in enumerate(node.value))
    if dataclasses.is_dataclass(target):
        return _convert_record(node, target, source, where, extra or {})
    if target is str:
        if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
            raise PackError(f"{source}:{_line(node)}: {where} must be a string")
        return str(node.value)
    if target is bool:
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:bool":
            raise PackError(f"{source}:{_line(node)}: {where} must be true or false")
        return node.value.lower() in {"true", "yes", "on"}
    raise PackError(f"{source}:{_line(node)}: {where}: unsupported type")  # pragma: no cover


def _convert_record(node: yaml.Node, target, source: str, where: str, extra: dict):
    if not isinstance(node, yaml.MappingNode):
        raise PackError(f"{source}:{_line(node)}: {where} must be a mapping")
    hints = typing.get_type_hints(target)
    fields = {f.name: f for f in dataclasses.fields(target) if f.name not in extra}
    values: dict[str, object] = dict(extra)
    seen: set[str] = set()
    for key_node, value_node in node.value:
        key = str(key_node.value)
        if key not in fields:
            known = ", ".join(sorted(fields))
            raise PackError(f"{source}:{_line(key_node)}: unknown key {key!r} in {where} (known: {known})")
        if key in seen:
            raise PackError(f"{source}:{_line(key_node)}: duplicate key {key!r} in {where}")
        seen.add(key)
        values[key] = _convert(value_node, hints[key], source, f"{where}.{key}")
    for name, spec in fields.items():
        required = spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING
        if required and name not in values:
            raise PackError(f"{source}:{_line(node)}: {where} is missing required key {name!r}")
    return target(**values)


def _check_references(pack: ContractPack, node: yaml.Node, source: str) -> ContractPack:
    kinds = {"path", "bind", "string", "bool", "int"}
    roles = {"app", "watchdog", "worker", "other"}
    consumer_names = {c.name for c in pack.consumers}
    for spec in pack.settings:
        if spec.kind not in kinds:
            raise PackError(f"{source}: setting {spec.name}: kind {spec.kind!r} is not one of {sorted(kinds)}")
    for unit in pack.units:
        label = unit.path or unit.glob or "?"
        if (unit.path is None) == (unit.glob is None):
            raise PackError(f"{source}: unit {label}: give exactly one of 'path' or 'glob'")
        if unit.role not in roles:
            raise PackError(f"{source}: unit {label}: role {unit.role!r} is not one of {sorted(roles)}")
        for name in unit.runs:
            if name not in consumer_names:
                raise PackError(f"{source}: unit {label}: runs unknown consumer {name!r}")
    for key in ("historical_markers", "history_markers", "history_headings", "record_titles"):
        # A blank marker would match every line and silence gate 8 for the whole repository.
        if any(not marker.strip() for marker in getattr(pack.docs, key)):
            raise PackError(f"{source}: docs.{key}: a marker must not be empty")
    if not pack.deploy_root.startswith("/"):
        raise PackError(f"{source}: deploy_root must be an absolute path")
    return pack
