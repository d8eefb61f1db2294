"""The resolution's data model (a part of :mod:`meslint.resolve`, which builds it and re-exports it).

The runtimes (the ways the repository is run, described in :mod:`meslint.resolve`), one
consumer's value with its chain of provenance (:class:`SiteValue`, :class:`Step`), the whole
:class:`Resolution`, and the what-if protocol :mod:`meslint.counterfactual` implements.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from meslint.argv import CommandInfo
from meslint.facts import Location
from meslint.records import record
from meslint.template import Binding

RUNTIME_SYSTEMD = "systemd"
RUNTIME_SYSTEMD_BARE = "systemd, no env file"
RUNTIME_SCRIPT = "start script"
RUNTIME_SCRIPT_BARE = "start script or code defaults, no .env"
RUNTIME_CONTAINER = "container"  # meslint.container_runtime
RUNTIMES = (RUNTIME_SYSTEMD, RUNTIME_SYSTEMD_BARE, RUNTIME_SCRIPT, RUNTIME_SCRIPT_BARE, RUNTIME_CONTAINER)


def runtime_order(runtimes: Iterable[str]) -> list[str]:
    """Runtimes in RUNTIMES order; counterfactual ones (:mod:`meslint.counterfactual`, named
    ``"<runtime>, <what if>"``) after them, in the order of the runtime they start from."""

    def key(runtime: str) -> tuple[int, int, str]:
        if runtime in RUNTIMES:
            return (0, RUNTIMES.index(runtime), runtime)
        base = next((i for i, name in enumerate(RUNTIMES) if runtime.startswith(name + ",")), len(RUNTIMES))
        return (1, base, runtime)

    return sorted(set(runtimes), key=key)


class WhatIf(Protocol):
    """A counterfactual run (:mod:`meslint.counterfactual`): no env file; each consumer's environment
    passes through :meth:`environment`, told whose it is: ``unit`` (a unit that loads the env file),
    ``unit, no env file``, ``script`` (what the start script, or a process without one, starts with),
    ``started by script`` (what the start script exports to a process it starts)."""

    def runtime(self, base: str) -> str: ...

    def environment(self, env: dict[str, Binding], where: str) -> dict[str, Binding]: ...


@record
class Step:
    text: str
    location: Location | None = None
    variable: str | None = None  # the variable an expansion consulted (counterfactual.py reads dependencies)
    unset: bool = False  # ... and it was unset there: the environment could give it


@record
class SiteValue:
    """One consumer's effective value of one setting in one runtime."""

    setting: str
    runtime: str
    consumer: str  # e.g. "deploy/mes-dashboard.service PIDFile=", "watchdog (under deploy/x.service)"
    kind: str  # unit-directive | unit-exec | gunicorn-config | script | script-exec | python
    value: str | None  # normalised; None when not statically known
    raw: str | None
    location: Location
    chain: tuple[Step, ...] = ()
    unit: str | None = None  # the unit path for unit sites and processes they run
    # A site of a unit that loads no env file is the same without one: it also counts in that runtime.
    env_independent: bool = False

    def explain(self) -> str:
        parts = [step.text for step in self.chain]
        return "; ".join(parts)


@dataclass
class Resolution:
    values: list[SiteValue] = field(default_factory=list)
    commands: list[tuple[str, str, CommandInfo, Location]] = field(default_factory=list)  # runtime, owner, cmd, loc
    python_seen: set = field(default_factory=set, repr=False)
    # The start script's environment per script runtime, for checks that evaluate more of its words.
    script_environments: dict[str, ScriptEnvironment] = field(default_factory=dict, repr=False)

    def for_setting(self, setting: str, runtime: str | None = None) -> list[SiteValue]:
        return [v for v in self.values if v.setting == setting and (runtime is None or v.runtime == runtime)]

    def runtimes(self) -> list[str]:
        return runtime_order(v.runtime for v in self.values)

    def settings(self) -> list[str]:
        seen: dict[str, None] = {}
        for value in self.values:
            seen.setdefault(value.setting, None)
        return list(seen)


@dataclass
class ScriptEnvironment:
    final: dict[str, Binding]
    assigned: dict[str, tuple[Binding, Location | None]]
    exported: set[str]
    chains: dict[str, list[Step]]
    aliases: dict[str, str] = field(default_factory=dict)  # PID_FILE -> WATCHDOG_PID_FILE
