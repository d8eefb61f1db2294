"""Compose file (``docker-compose*.yml``, ``compose*.yaml``) -> :class:`meslint.facts.ComposeFile`.

Read safely like every YAML file (:mod:`meslint.parsers.data`: nesting and alias-expansion
limits, no tags), then walked as the node tree so that each entry keeps its line; ``<<`` merge
keys are applied by the constructor before the walk.  Only the parts of a service the contract
needs are kept: ``build``, ``image``, ``env_file`` (string, list, or long syntax with
``required``), ``environment`` (mapping or ``KEY=value`` list; a bare ``KEY`` passes the
caller's value through), ``ports`` and ``volumes`` (short and long syntax), ``tmpfs``,
``command``/``entrypoint`` (string or list), ``stop_grace_period``, ``user``, ``working_dir``,
``read_only`` and ``profiles``.

Values stay as written: compose interpolates ``${VAR}``, ``${VAR:-d}``, ``${VAR-d}``,
``${VAR:?e}``, ``${VAR:+r}`` and ``$$`` from the shell and the project's ``.env`` when it loads the
project, which :func:`meslint.parsers.compose_values.interpolate` does for
:mod:`meslint.container_runtime`.
"""

from __future__ import annotations

import re

import yaml

from meslint.facts import ComposeEntry, ComposeFile, ComposeService, KeyValue, Location, ParseProblem
from meslint.parsers.data import _check_expansion, _Loader, parse_yaml


def parse(path: str, text: str) -> ComposeFile:
    """Parse a compose file; never raises."""
    lf_text = text
    if "\r" in text or any(ch in text for ch in "\x85\u2028\u2029"):
        lf_text = re.sub(r"\r\n|[\r\x85\u2028\u2029]", "\n", text)  # one line numbering for the walk
    loader = None
    try:
        loader = _Loader(lf_text)
        node = loader.get_single_node()
        if node is None:
            return ComposeFile(path)
        _check_expansion(node)
        loader.construct_document(node)  # applies `<<` merges to the mapping nodes in place
    except Exception as exc:
        # Refused or not YAML: the YAML reader's own report of it (its line, its limits' message).
        problems = parse_yaml(path, text).problems
        return ComposeFile(path, problems=problems or (
            ParseProblem(Location(path), f"compose file not read: {type(exc).__name__}"),))
    finally:
        if loader is not None:
            loader.dispose()
    walker = _Walker(path)
    services = walker.mapping(node).get("services")
    found = []
    if services is not None:
        for name_node, service_node in _pairs(services[1]):
            if isinstance(service_node, yaml.MappingNode):
                found.append(walker.service(str(name_node.value), name_node, service_node))
    return ComposeFile(path, tuple(found), tuple(walker.problems))


def _pairs(node: yaml.Node) -> list[tuple[yaml.Node, yaml.Node]]:
    return list(node.value) if isinstance(node, yaml.MappingNode) else []


class _Walker:
    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[ParseProblem] = []

    def at(self, node: yaml.Node) -> Location:
        return Location(self.path, node.start_mark.line + 1, node.start_mark.column + 1)

    def mapping(self, node: yaml.Node) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        return {str(k.value): (k, v) for k, v in _pairs(node) if isinstance(k, yaml.ScalarNode)}

    def scalar(self, node: yaml.Node) -> str | None:
        if isinstance(node, yaml.ScalarNode) and node.tag != "tag:yaml.org,2002:null":
            return str(node.value)
        return None

    def entry(self, node: yaml.Node) -> ComposeEntry:
        if isinstance(node, yaml.SequenceNode):
            return ComposeEntry(None, self.at(node), tuple(s for s in map(self.scalar, node.value) if s is not None))
        if isinstance(node, yaml.MappingNode):
            return ComposeEntry(None, self.at(node), (), tuple(
                (key, value) for key, (_, v) in self.mapping(node).items() if (value := self.scalar(v)) is not None))
        return ComposeEntry(self.scalar(node), self.at(node))

    def entries(self, node: yaml.Node) -> tuple[ComposeEntry, ...]:
        if isinstance(node, yaml.SequenceNode):
            return tuple(self.entry(item) for item in node.value)
        return (self.entry(node),) if self.scalar(node) is not None else ()

    def service(self, name: str, name_node: yaml.Node, node: yaml.Node) -> ComposeService:
        keys = self.mapping(node)
        fields: dict[str, object] = {}
        build = keys.get("build")
        if build is not None:
            entry = self.entry(build[1])
            # "" when the long syntax gives no context: compose's default ".", and no override of an earlier file's
            fields["build_context"] = entry.value if entry.value is not None else entry.field("context") or ""
            fields["dockerfile"] = entry.field("dockerfile")
            fields["build_target"] = entry.field("target")
        for key in ("image",):
            if key in keys:
                fields[key] = self.scalar(keys[key][1])
        if "env_file" in keys:
            fields["env_files"] = self.entries(keys["env_file"][1])
        if "environment" in keys:
            fields["environment"] = self.environment(keys["environment"][1])
        for key in ("ports", "volumes", "tmpfs"):
            if key in keys:
                fields[key] = self.entries(keys[key][1])
        for key in ("command", "entrypoint", "stop_grace_period", "user", "working_dir", "read_only"):
            if key in keys:
                fields[key] = self.entry(keys[key][1])
        if "profiles" in keys:
            fields["profiles"] = self.entry(keys["profiles"][1]).items
        return ComposeService(name, self.at(name_node), **fields)  # type: ignore[arg-type]

    def environment(self, node: yaml.Node) -> tuple[KeyValue, ...]:
        found = []
        if isinstance(node, yaml.MappingNode):
            for key, value in _pairs(node):
                found.append(KeyValue(str(key.value), self.scalar(value), self.at(key)))
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                text = self.scalar(item)
                if text is None:
                    continue
                name, has_value, assigned = text.partition("=")
                found.append(KeyValue(name, assigned if has_value else None, self.at(item)))
        return tuple(found)
