"""Compose projects: the compose files ``docker compose`` reads together, merged by its rules.

A project is one file (``docker compose -f docker-compose.prd.yml``), a default-named file with
its override file (``docker-compose.yml`` + ``docker-compose.override.yml``, what ``docker
compose`` reads without ``-f``), or a combination the pack lists in
``container.compose_stacks`` (``-f docker-compose.yml -f docker-compose.prd.yml``).  The files
merge in order by the Compose Specification's merge rules (docs.docker.com, reference
"Merge Compose files"), for the fields meslint reads:

* a mapping merges by key, the later value winning: ``environment`` (its list form is the same
  mapping: merges apply to the expanded form), the scalars (``image``, ``build`` context,
  ``dockerfile`` and ``target``, ``stop_grace_period``, ``user``, ``working_dir``, ``read_only``);
* a sequence appends: ``env_file``, ``tmpfs``, ``profiles``;
* ``command`` and ``entrypoint`` are replaced, not appended (the spec's "shell commands" exception);
* ``ports`` and ``volumes`` are unique resources: an entry whose unique key (a port's
  ``{ip, target, published, protocol}``, a volume's ``target``) is already there replaces it,
  any other entry is appended;
* a service only a later file names is added.

Relative paths (``build``, ``env_file``) are relative to the first file's directory, and the
project's ``.env`` is read there too: override files need not be valid compose files alone.
"""

from __future__ import annotations

import dataclasses
import posixpath

from meslint.facts import ComposeEntry, ComposeFile, ComposeService, Repository
from meslint.globs import matches_any
from meslint.pack import ContainerSpec
from meslint.parsers.compose_values import port_mapping, volume_mapping
from meslint.records import record

_DEFAULT_FILES = {"compose.yaml": "compose.override.yaml", "compose.yml": "compose.override.yml",
                  "docker-compose.yml": "docker-compose.override.yml",
                  "docker-compose.yaml": "docker-compose.override.yaml"}
_SCALARS = ("build_context", "dockerfile", "build_target", "image", "command", "entrypoint",
            "stop_grace_period", "user", "working_dir", "read_only")


@record
class ComposeProject:
    files: tuple[ComposeFile, ...]

    @property
    def base(self) -> ComposeFile:
        return self.files[0]

    @property
    def name(self) -> str:
        return " + ".join(f.path for f in self.files)

    @property
    def directory(self) -> str:
        """Where relative paths and the project's ``.env`` are read: the first file's directory."""
        return posixpath.dirname(self.base.path)

    def services(self) -> list[ComposeService]:
        """The merged services, in the order they first appear."""
        merged: dict[str, ComposeService] = {}
        for compose in self.files:
            for service in compose.services:
                known = merged.get(service.name)
                merged[service.name] = service if known is None else merge_services(known, service)
        return list(merged.values())


def compose_projects(repo: Repository, spec: ContainerSpec) -> list[ComposeProject]:
    """The projects the pack's container spec runs: each listed file (with its override file),
    then each listed combination whose files the repository holds."""
    by_path = {c.path: c for c in repo.compose}
    projects: list[ComposeProject] = []
    for compose in sorted(repo.compose, key=lambda c: c.path):
        if not matches_any(compose.path, spec.compose_files) or _is_override(compose.path):
            continue
        override = _override_of(by_path, compose)
        projects.append(ComposeProject((compose,) if override is None else (compose, override)))
    for stack in spec.compose_stacks:
        files = tuple(by_path.get(path) for path in stack)
        if files and all(f is not None for f in files):
            project = ComposeProject(files)  # type: ignore[arg-type]
            if all(p.files != project.files for p in projects):
                projects.append(project)
    return projects


def _is_override(path: str) -> bool:
    return posixpath.basename(path) in _DEFAULT_FILES.values()


def _override_of(by_path: dict[str, ComposeFile], compose: ComposeFile) -> ComposeFile | None:
    """The override file ``docker compose`` reads after a default-named compose file, if the repository holds one."""
    name = _DEFAULT_FILES.get(posixpath.basename(compose.path))
    return by_path.get(posixpath.join(posixpath.dirname(compose.path), name)) if name else None


def merge_services(base: ComposeService, override: ComposeService) -> ComposeService:
    """Compose's merge of a later file's service into an earlier one's (see the module doc)."""
    changes: dict[str, object] = {}
    for name in _SCALARS:
        if getattr(override, name) is not None:
            changes[name] = getattr(override, name)
    if override.build_context == "" and base.build_context is not None:
        changes["build_context"] = base.build_context  # `build: {target: x}` keeps the earlier context
    environment = {kv.name: kv for kv in base.environment}
    environment.update((kv.name, kv) for kv in override.environment)
    changes["environment"] = tuple(environment.values())
    changes["volumes"] = _unique(base.volumes, override.volumes, _volume_key)
    changes["ports"] = _unique(base.ports, override.ports, _port_key)
    for name in ("env_files", "tmpfs"):
        changes[name] = getattr(base, name) + getattr(override, name)
    changes["profiles"] = base.profiles + tuple(p for p in override.profiles if p not in base.profiles)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def _unique(base: tuple[ComposeEntry, ...], override: tuple[ComposeEntry, ...], key) -> tuple[ComposeEntry, ...]:
    merged = {key(entry): entry for entry in base}
    merged.update((key(entry), entry) for entry in override)  # same key: replaced in place; new: appended
    return tuple(merged.values())


def _volume_key(entry: ComposeEntry) -> str:
    target = volume_mapping(entry.value)[1] if entry.value is not None else entry.field("target") or ""
    return posixpath.normpath(target) if target else ""


def _port_key(entry: ComposeEntry) -> tuple[str | None, ...]:
    if entry.value is not None:
        return port_mapping(entry.value)
    return (entry.field("host_ip"), entry.field("published"), entry.field("target"), entry.field("protocol") or "tcp")
