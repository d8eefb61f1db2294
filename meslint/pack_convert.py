"""Converting a contract pack's YAML node tree into its typed records, keeping each value's line.

Generic over the pack's frozen dataclasses (:mod:`meslint.pack`, :mod:`meslint.pack_gates`): the
field types say what each key must hold, a field's metadata how it is spelled (``key``), whether
it is the loader's own (``internal``) and whether it names repository paths (``repo_path``).  A
wrong value raises :class:`PackError` with ``file:line``.  :mod:`meslint.pack` imports it only to parse a
pack's text (a pack taken from :mod:`meslint.pack_cache` never needs PyYAML); the JSON schema of
:mod:`meslint.pack_schema` reads the field helpers here.
"""

from __future__ import annotations

import dataclasses
import types
import typing

import yaml

from meslint import safe_io
from meslint.errors import PackError


def node_line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


class Converter:
    """Turns the YAML node tree into a pack's records (frozen dataclasses declared with
    :func:`meslint.pack_spec.spec`), collecting the repository paths named."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.references: list[tuple[str, int, str]] = []

    def fail(self, node: yaml.Node, message: str) -> typing.NoReturn:
        raise PackError(f"{self.source}:{node_line(node)}: {message}")

    def convert(self, node: yaml.Node, target, where: str):
        origin = typing.get_origin(target)
        args = typing.get_args(target)
        if origin in (typing.Union, types.UnionType):
            options = [a for a in args if a is not type(None)]
            if isinstance(node, yaml.ScalarNode) and node.tag == _NULL and type(None) in args:
                return None
            if len(options) > 1:
                return self.convert(node, self.variant(node, options, where), where)
            return self.convert(node, options[0], where)
        if origin is typing.Literal:
            if not isinstance(node, yaml.ScalarNode) or node.value not in args:
                self.fail(node, f"{where} must be one of {', '.join(args)}")
            return str(node.value)
        if origin is tuple:
            if not isinstance(node, yaml.SequenceNode):
                self.fail(node, f"{where} must be a list")
            return tuple(self.convert(item, args[0], f"{where}[{i}]") for i, item in enumerate(node.value))
        if origin is dict:
            if not isinstance(node, yaml.MappingNode):
                self.fail(node, f"{where} must be a mapping")
            return {self.convert(k, args[0], f"{where} key"): self.convert(v, args[1], f"{where}.{k.value}")
                    for k, v in node.value}
        if dataclasses.is_dataclass(target):
            return self.record(node, target, where)
        if target is str:
            # Any scalar is read as text (a canonical port need not be quoted); null is not a string.
            if not isinstance(node, yaml.ScalarNode) or node.tag == _NULL:
                self.fail(node, f"{where} must be a string")
            return str(node.value)
        if target is bool:
            if not isinstance(node, yaml.ScalarNode) or node.tag != _BOOL:
                self.fail(node, f"{where} must be true or false")
            return node.value.lower() in {"true", "yes", "on"}
        self.fail(node, f"{where}: unsupported type")  # pragma: no cover

    def variant(self, node: yaml.Node, options: list, where: str):
        """The record of a tagged union that the mapping's ``kind`` names."""
        kinds = {variant_kind(option): option for option in options}
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, f"{where} must be a mapping")
        for key_node, value_node in node.value:
            if key_node.value == "kind":
                if value_node.value not in kinds:
                    self.fail(value_node, f"{where}.kind must be one of {', '.join(kinds)}")
                return kinds[value_node.value]
        self.fail(node, f"{where} is missing required key 'kind' ({', '.join(kinds)})")

    def record(self, node: yaml.Node, target, where: str):
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, f"{where} must be a mapping")
        hints = typing.get_type_hints(target)
        by_key = {yaml_key(f): f for f in pack_fields(target)}
        values: dict[str, object] = {}
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key not in by_key:
                self.fail(key_node, f"unknown key {safe_io.shown(key)} in {where} (known: {', '.join(sorted(by_key))})")
            if key in seen:
                self.fail(key_node, f"duplicate key {safe_io.shown(key)} in {where}")
            seen.add(key)
            name = by_key[key].name
            values[name] = self.convert(value_node, hints[name], f"{where}.{key}")
            if by_key[key].metadata.get("repo_path"):
                self.reference(value_node, f"{where}.{key}")
        for key, spec in by_key.items():
            if is_required(spec) and spec.name not in values:
                self.fail(node, f"{where} is missing required key {key!r}")
        return target(**values)

    def reference(self, node: yaml.Node, where: str) -> None:
        """Record the repository paths a node names (a path, a list of paths, a map's keys)."""
        if isinstance(node, yaml.ScalarNode) and node.tag != _NULL:
            self.references.append((str(node.value), node_line(node), where))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self.reference(item, f"{where}[{index}]")
        elif isinstance(node, yaml.MappingNode):
            for key_node, _value in node.value:
                self.reference(key_node, f"{where} key")


_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"


def pack_fields(record) -> list[dataclasses.Field]:
    """The fields a pack file may spell (not the loader's own bookkeeping)."""
    return [f for f in dataclasses.fields(record) if not f.metadata.get("internal")]


def is_required(spec: dataclasses.Field) -> bool:
    return spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING


def variant_kind(record) -> str:
    """The ``kind`` a record of a tagged union is chosen by (its Literal default)."""
    return str(next(f.default for f in dataclasses.fields(record) if f.name == "kind"))


def yaml_key(spec: dataclasses.Field) -> str:
    """The key a field is spelled with in a pack file (a field may keep an older spelling)."""
    return spec.metadata.get("key", spec.name)


def node_at(node: yaml.Node, *path: str | int) -> yaml.Node:
    """The deepest node along ``path`` (mapping keys, sequence indexes), for a message's line."""
    for step in path:
        if isinstance(node, yaml.MappingNode) and isinstance(step, str):
            found = next((v for k, v in node.value if k.value == step), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            found = node.value[step]
        else:
            found = None
        if found is None:
            break
        node = found
    return node
