"""Facts of the container runtime: Dockerfile stages, supervisord programs, compose services.

Re-exported by :mod:`meslint.facts` (the one fact model the cache codec knows).  Values that
depend on an environment the parser cannot know -- supervisord's ``%(ENV_X)s``, compose's
``${VAR:-d}`` -- are kept as written and expanded by :mod:`meslint.container_runtime`, with the
format's own rules (:func:`meslint.parsers.supervisord.expand`, :func:`meslint.parsers.compose.interpolate`).
Dockerfile words are already processed the way the builder does (``ARG``/``ENV`` substitution,
quote removal), since the build's own variables are all in the file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from meslint.location import Location
from meslint.records import record

if TYPE_CHECKING:  # facts.py imports this module: only annotations may name its types
    from meslint.facts import ParseProblem


@record(slots=True)
class KeyValue:
    """A ``NAME=value`` of ``ENV``/``ARG``, ``environment=`` or compose ``environment``.

    ``value`` is None for a name given without a value (a compose pass-through, an ``ARG``
    without default).
    """

    name: str
    value: str | None
    location: Location


@record(slots=True)
class ImageCommand:
    """``CMD``/``ENTRYPOINT``: ``argv`` of the exec form, or ``("/bin/sh", "-c", text)`` for the shell form."""

    keyword: str
    argv: tuple[str, ...]
    shell_form: bool
    location: Location


@record(slots=True)
class ImageCopy:
    """``COPY``/``ADD``: repository sources (or another stage's paths) to an absolute image path."""

    sources: tuple[str, ...]
    destination: str  # absolute, joined to the WORKDIR of the moment
    from_stage: str | None
    chown: str | None
    location: Location


@record(slots=True)
class ImageRun:
    """A ``RUN`` instruction's shell text (the image's own writes: ``mkdir``, ``chown``)."""

    text: str
    location: Location


@record(slots=True)
class DockerStage:
    """One ``FROM`` stage with what it inherited from a parent stage already applied."""

    base: str
    name: str | None
    location: Location
    env: tuple[KeyValue, ...] = ()  # in order; a later one of the same name wins
    workdir: str = "/"
    workdir_location: Location | None = None
    user: str | None = None
    user_location: Location | None = None
    copies: tuple[ImageCopy, ...] = ()
    volumes: tuple[KeyValue, ...] = ()  # name = the path, value None
    exposed: tuple[KeyValue, ...] = ()  # name = "8080/tcp"
    cmd: ImageCommand | None = None
    entrypoint: ImageCommand | None = None
    runs: tuple[ImageRun, ...] = ()
    base_stage: str | None = None  # the stage this one is built ``FROM``, when it names one


@record(slots=True)
class Dockerfile:
    path: str
    stages: tuple[DockerStage, ...] = ()
    problems: tuple[ParseProblem, ...] = ()

    @property
    def final(self) -> DockerStage | None:
        """The stage ``docker build`` produces without ``--target``: the last one."""
        return self.stages[-1] if self.stages else None

    def stage(self, name: str) -> DockerStage | None:
        for stage in self.stages:
            if stage.name == name:
                return stage
        return None


@record(slots=True)
class SupervisorSetting:
    key: str
    value: str  # continuation lines joined, inline ``;`` comments removed, not yet ``%()``-expanded
    location: Location


@record(slots=True)
class SupervisorSection:
    """``[program:x]``, ``[group:x]``, ``[supervisord]``, ``[include]``, ... with its settings."""

    kind: str  # program | group | supervisord | include | fcgi-program | eventlistener | other
    name: str  # what follows the colon ("" for [supervisord])
    location: Location
    settings: tuple[SupervisorSetting, ...] = ()

    def get(self, key: str) -> SupervisorSetting | None:
        for setting in self.settings:
            if setting.key == key:
                return setting
        return None


@record(slots=True)
class SupervisorConf:
    path: str
    sections: tuple[SupervisorSection, ...] = ()
    problems: tuple[ParseProblem, ...] = ()

    def programs(self) -> tuple[SupervisorSection, ...]:
        return tuple(s for s in self.sections if s.kind == "program")

    def section(self, kind: str, name: str = "") -> SupervisorSection | None:
        for section in self.sections:
            if section.kind == kind and section.name == name:
                return section
        return None


@record(slots=True)
class ComposeEntry:
    """A leaf of a compose service, as written (``${VAR}`` not yet interpolated).

    ``value`` is a scalar's text; ``items`` the scalars of a list (an ``env_file`` list, an
    exec-form ``command``); ``fields`` the scalar keys of a long-syntax mapping (a port's
    ``target``/``published``, a volume's ``source``/``target``/``type``/``read_only``, an env file's
    ``path``/``required``).
    """

    value: str | None
    location: Location
    items: tuple[str, ...] = ()
    fields: tuple[tuple[str, str], ...] = ()

    def field(self, key: str) -> str | None:
        for name, value in self.fields:
            if name == key:
                return value
        return None


@record(slots=True)
class ComposeService:
    name: str
    location: Location
    build_context: str | None = None
    dockerfile: str | None = None
    build_target: str | None = None
    image: str | None = None
    env_files: tuple[ComposeEntry, ...] = ()
    environment: tuple[KeyValue, ...] = ()
    ports: tuple[ComposeEntry, ...] = ()
    volumes: tuple[ComposeEntry, ...] = ()
    tmpfs: tuple[ComposeEntry, ...] = ()
    command: ComposeEntry | None = None
    entrypoint: ComposeEntry | None = None
    stop_grace_period: ComposeEntry | None = None
    user: ComposeEntry | None = None
    working_dir: ComposeEntry | None = None
    read_only: ComposeEntry | None = None
    profiles: tuple[str, ...] = ()


@record(slots=True)
class ComposeFile:
    path: str
    services: tuple[ComposeService, ...] = ()
    problems: tuple[ParseProblem, ...] = ()

    def service(self, name: str) -> ComposeService | None:
        for service in self.services:
            if service.name == name:
                return service
        return None


@record(slots=True)
class EnvTableRow:
    """A row of a module-level table of settings: ``TABLE = [("NAME_QUEUE", "default"), ...]``.

    Such tables drive code that reads each ``NAME`` from the environment with its default (an RQ
    worker pool manager deriving the queues it serves); ``name`` is the variable, ``default`` its
    fallback.
    """

    table: str
    name: str
    default: str
    location: Location
