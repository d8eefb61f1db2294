"""The fact model: frozen records that parsers produce and checks query.

Every fact carries a :class:`Location`.  Lines are 1-based, columns are 1-based
and count characters (not bytes); ``end_line``/``end_column`` point one past the
last character of the span, the convention ruff and SARIF use.  Paths are POSIX
and relative to the checked root.

Values that are still *expressions* (a bash word, a systemd Exec argument, a
Python default built from other settings) are kept as **templates** in bash
parameter-expansion syntax, e.g. ``${WATCHDOG_RUNTIME_DIR:-@ROOT/tmp}/gunicorn.pid``.
``@ROOT`` stands for the repository root (the deploy root once deployed): a
parser that sees a script anchor itself with ``$(cd "$(dirname "$0")/.." && pwd)``
or a module use ``Path(__file__).resolve().parents[n]`` computes where that lands
relative to the repository root and writes ``@ROOT`` or ``@ROOT/sub/dir``.
:mod:`meslint.resolve` evaluates templates for each consumer.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import field
from typing import TypeVar

# The fact model spans several modules (FACT_MODULES below), all re-exported here as part of it:
# Markdown documents, the gate 1/3/4/5 payloads, Python modules (and the container runtime, below).
from meslint.facts_markdown import (  # noqa: F401
    MarkdownDoc,
    MdCode,
    MdHeading,
    MdLink,
    MdTableRow,
    MdText,
)
from meslint.facts_payloads import (  # noqa: F401
    CodedCall,
    ExportRow,
    FlaskApp,
    ItemRead,
    PayloadFunction,
    PayloadImport,
    PayloadKey,
    PayloadValue,
)
from meslint.facts_python import (  # noqa: F401
    ClassAttribute,
    DictKey,
    EnqueueCall,
    EnvRead,
    ModuleConstant,
    PythonClass,
    PythonModule,
    RootAnchor,
    StringLiteral,
    SysPathEdit,
    WriteSite,
)

# Location and FileKind live in small modules of their own so that a run replayed from the
# run cache can format findings without importing the whole fact model.
from meslint.listing import FileKind
from meslint.location import Location
from meslint.records import record

T = TypeVar("T")

# The modules that define the fact model's types, all re-exported here: the fact cache's codec
# (meslint.cache) and the incremental record's codec (meslint.incremental_codec) register the
# dataclasses and enums of exactly these, so a fact type moved into a new module is listed here.
FACT_MODULES = ("meslint.facts", "meslint.facts_python", "meslint.facts_markdown", "meslint.facts_container",
                "meslint.facts_payloads", "meslint.location", "meslint.listing")

ROOT_TOKEN = "@ROOT"


@record(slots=True)
class ParseProblem:
    """Something a parser could not understand; reported as MES101."""

    location: Location
    message: str


@record(slots=True)
class SkippedFile:
    """A file discovery refused to read; reported as MES102."""

    location: Location
    reason: str


# --------------------------------------------------------------------------- systemd


@record(slots=True)
class UnitSetting:
    """One ``Key=value`` assignment after line continuations are joined."""

    section: str
    key: str
    value: str  # leading/trailing whitespace stripped, as systemd does
    location: Location
    # For the list keys of the sandbox (ReadWritePaths=, StateDirectory=, BindPaths=, ...): the
    # value split into words and specifier-expanded as systemd does at load time; else None.
    words: tuple[str, ...] | None = None


@record(slots=True)
class UnitEnvAssignment:
    """One variable assigned by ``Environment=`` (after systemd's own unquoting)."""

    name: str
    value: str
    location: Location


@record(slots=True)
class UnitEnvironmentFile:
    path: str  # specifiers expanded
    optional: bool  # the ``-`` prefix: a missing file is not an error
    location: Location


@record(slots=True)
class ExecCommand:
    """An ``Exec*=`` line split into words the way systemd splits it.

    ``argv`` holds the words after systemd's unquoting and specifier expansion
    but before ``$VAR``/``${VAR}`` substitution, which depends on the
    environment and is done by :func:`meslint.systemd_semantics.exec_argv`.
    """

    key: str  # ExecStart, ExecStartPre, ...
    prefixes: str  # any of "-@:+!|" in source order ("!!" kept as two)
    argv: tuple[str, ...]
    location: Location
    # The script of a ``bash -c SCRIPT`` (``sh -c``, ... also behind ``env``/``exec``) command,
    # parsed at parse time (see :mod:`meslint.parsers.systemd`); its facts are located at this line.
    script: ShellScript | None = None
    # Variables systemd substitutes into that script outside quotes only: the shell splits their
    # values into words (none for an empty value) where the script's facts show one ``${NAME}``.
    split_variables: tuple[str, ...] = ()


@record(slots=True)
class UnitFile:
    path: str
    name: str  # file name, e.g. mes-dashboard.service
    settings: tuple[UnitSetting, ...]
    environment: tuple[UnitEnvAssignment, ...]  # effective list, resets applied, in order
    environment_files: tuple[UnitEnvironmentFile, ...]
    exec_commands: tuple[ExecCommand, ...]
    problems: tuple[ParseProblem, ...] = ()
    # Drop-ins applied after the main file, in the order systemd applies them (effective units
    # only: a drop-in parsed alone has ``path`` = the drop-in and ``name`` = the unit it extends).
    dropins: tuple[str, ...] = ()

    def get(self, section: str, key: str) -> UnitSetting | None:
        """The last assignment of a single-valued key (systemd: last one wins)."""
        found = None
        for setting in self.settings:
            if setting.section == section and setting.key == key:
                found = setting
        return found

    def get_all(self, section: str, key: str) -> tuple[UnitSetting, ...]:
        """Assignments of a list-valued key; an empty assignment resets the list."""
        values: list[UnitSetting] = []
        for setting in self.settings:
            if setting.section == section and setting.key == key:
                if setting.value == "":
                    values.clear()
                else:
                    values.append(setting)
        return tuple(values)


# --------------------------------------------------------------------------- env files


@record(slots=True)
class EnvAssignment:
    """One ``KEY=value`` line of an env file, with the value each consumer reads.

    A consumer's value is ``None`` when that consumer ignores or rejects the line.
    ``bash_dynamic`` is true when bash would run code or expand something whose
    value is not known statically (``$(...)``, backticks, unknown ``$VAR``);
    meslint never runs it.
    """

    name: str
    raw: str  # the source text of the assignment (continuations included)
    location: Location
    systemd: str | None
    bash: str | None
    dotenv: str | None
    exported: bool = False
    bash_dynamic: bool = False
    # The comment lines right above the assignment (no blank line between), joined: what explains it.
    comment_above: str = ""


@record(slots=True)
class EnvFile:
    path: str
    assignments: tuple[EnvAssignment, ...]
    problems: tuple[ParseProblem, ...] = ()

    def last(self, name: str) -> EnvAssignment | None:
        found = None
        for assignment in self.assignments:
            if assignment.name == name:
                found = assignment
        return found


# --------------------------------------------------------------------------- shell


@record(slots=True)
class ShellAssignment:
    """``NAME=word`` (also ``export``/``local``/``readonly``/``declare`` forms).

    ``value`` is a template: quotes removed, expansions kept in bash syntax,
    ``$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)`` style root anchoring
    rewritten to ``@ROOT`` (with ``anchor`` telling how many levels up).
    """

    name: str
    value: str
    location: Location
    function: str | None = None
    exported: bool = False
    local: bool = False
    # Set when the value is a script-location root anchor: how many directories
    # above the script's own directory it lands (``value`` is then "@ROOT..." ).
    anchor_levels: int | None = None
    # ``export NAME`` / ``local NAME`` without ``=``: changes attributes, not the value.
    declared_only: bool = False


@record(slots=True)
class ShellCommand:
    """A simple command; ``argv`` words are templates like assignment values."""

    argv: tuple[str, ...]
    location: Location
    function: str | None = None
    env_prefix: tuple[tuple[str, str], ...] = ()  # ``VAR=x cmd`` assignments
    background: bool = False
    status: str = ""  # what happens to its exit status (meslint.parsers.shell_status)
    redirects: tuple[tuple[str, str], ...] = ()  # file redirects: (operator, target template), e.g. (">>", "$LOG")


@record(slots=True)
class ShellFunction:
    name: str
    location: Location


@record(slots=True)
class ShellCaseArm:
    subject: str  # template of the word being matched
    patterns: tuple[str, ...]
    location: Location
    function: str | None = None
    # The whole ``case ... esac`` the arm belongs to: tells sibling arms (bash takes the first
    # that matches) from the arms of another ``case`` on the same word.
    case_location: Location | None = None


@record(slots=True)
class Heredoc:
    command: tuple[str, ...]  # argv of the command that reads the heredoc
    delimiter: str
    quoted: bool  # <<'EOF' : no expansion in the body
    body: str
    body_location: Location  # first line of the body
    function: str | None = None
    python: PythonModule | None = None  # set when the command runs python on stdin


@record(slots=True)
class ShellScript:
    path: str
    shebang: str | None
    assignments: tuple[ShellAssignment, ...]
    commands: tuple[ShellCommand, ...]
    functions: tuple[ShellFunction, ...]
    case_arms: tuple[ShellCaseArm, ...]
    heredocs: tuple[Heredoc, ...]
    problems: tuple[ParseProblem, ...] = ()


# --------------------------------------------------------------------------- data files


@record(slots=True)
class DataDoc:
    """A TOML or YAML document (pyproject.toml, environment.yml)."""

    path: str
    kind: FileKind
    data: object = None  # the parsed document (dict/list/scalars)
    key_lines: tuple[tuple[str, int], ...] = ()  # dotted key -> line, best effort
    problems: tuple[ParseProblem, ...] = ()

    def line_of(self, dotted_key: str) -> int:
        for key, line in self.key_lines:
            if key == dotted_key:
                return line
        return 1


# --------------------------------------------------------------------------- container runtime

# Defined in a module of their own (Dockerfile, supervisord, compose), part of this fact model.
from meslint.facts_container import (  # noqa: E402, F401 (re-exported: the codec's registry reads them here)
    ComposeEntry,
    ComposeFile,
    ComposeService,
    Dockerfile,
    DockerStage,
    EnvTableRow,
    ImageCommand,
    ImageCopy,
    ImageRun,
    KeyValue,
    SupervisorConf,
    SupervisorSection,
    SupervisorSetting,
)

# --------------------------------------------------------------------------- web server configurations


@record(slots=True)
class WebAddress:
    """An address a web server configuration sends requests to (a reverse proxy's upstream) or
    listens on (a uwsgi socket)."""

    directive: str  # proxy_pass, uwsgi_pass, server (of an upstream block), ProxyPass, BalancerMember, socket
    address: str | None  # "host:port" or "unix:/path"; None when not static (a variable) or a group's name
    raw: str  # the argument as written
    location: Location
    scope: str = ""  # the URL path it serves: nginx `location`, Apache ProxyPass path or <Location>
    group: str | None = None  # the nginx upstream / Apache balancer it names (proxy) or belongs to (server)


@record(slots=True)
class WebConfig:
    """An nginx or Apache configuration, or a uwsgi ini file."""

    path: str
    kind: FileKind
    addresses: tuple[WebAddress, ...] = ()
    problems: tuple[ParseProblem, ...] = ()


# --------------------------------------------------------------------------- repository


@record(slots=True)
class SourceFile:
    path: str
    kind: FileKind
    size: int


@record
class Repository:
    """Everything meslint learned about one checked repository."""

    root: str  # absolute path of the checked root (never printed in findings)
    files: tuple[SourceFile, ...] = ()
    all_paths: frozenset[str] = frozenset()  # every path in the tree, for existence checks
    units: tuple[UnitFile, ...] = ()
    env_files: tuple[EnvFile, ...] = ()
    scripts: tuple[ShellScript, ...] = ()
    python: tuple[PythonModule, ...] = ()
    markdown: tuple[MarkdownDoc, ...] = ()
    data: tuple[DataDoc, ...] = ()
    web_configs: tuple[WebConfig, ...] = ()
    skipped: tuple[SkippedFile, ...] = ()
    problems: tuple[ParseProblem, ...] = ()
    # Inline ``meslint: ignore`` comments (meslint.suppressions.Suppression), gathered while parsing.
    suppressions: tuple = ()
    dockerfiles: tuple[Dockerfile, ...] = ()
    supervisord: tuple[SupervisorConf, ...] = ()
    compose: tuple[ComposeFile, ...] = ()
    _index: dict = field(default_factory=dict, repr=False, compare=False)

    def path_exists(self, path: str) -> bool:
        path = path.strip("/")
        # Directories are not listed; a directory exists when a file lies under it.
        return path in self.all_paths or path in self._directories()

    def has_path_ending(self, suffix: str) -> bool:
        """Whether some path ends with ``"/" + suffix`` (``suffix`` names a file below some directory)."""
        ending = "/" + suffix
        return any(p.endswith(ending) for p in self._paths_by_name().get(ending.rpartition("/")[2], ()))

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """A derived view of the facts, built once per repository (``key`` names its module and use)."""
        if key not in self._index:
            self._index[key] = compute()
        return self._index[key]

    def untracked(self) -> AbstractContextManager[None]:
        """Reads made inside belong to no derived view's record (:class:`meslint.incremental.TrackedRepository`
        keeps one per view); a plain repository records none."""
        return nullcontext()

    # Checks ask hundreds of existence questions; scanning every path for each made them the bulk of
    # a run, so the indexes below are built once per repository (kept in ``_index``).

    def _directories(self) -> frozenset[str]:
        """Every directory with a path under it: each path cut at each of its slashes."""
        directories = self._index.get("facts.directories")
        if directories is None:
            found: set[str] = set()
            for path in self.all_paths:
                slash = path.rfind("/")
                while slash >= 0:
                    path = path[:slash]
                    if path in found:
                        break  # seen before, and with it every directory above
                    found.add(path)
                    slash = path.rfind("/")
            directories = self._index["facts.directories"] = frozenset(found)
        return directories

    def _paths_by_name(self) -> dict[str, list[str]]:
        """Paths by their last component."""
        by_name = self._index.get("facts.paths_by_name")
        if by_name is None:
            by_name = self._index["facts.paths_by_name"] = {}
            for path in self.all_paths:
                by_name.setdefault(path.rpartition("/")[2], []).append(path)
        return by_name

    def unit(self, path: str) -> UnitFile | None:
        return _by_path(self.units, path)

    def env_file(self, path: str) -> EnvFile | None:
        return _by_path(self.env_files, path)

    def script(self, path: str) -> ShellScript | None:
        return _by_path(self.scripts, path)

    def module(self, path: str) -> PythonModule | None:
        return _by_path(self.python, path)

    def doc(self, path: str) -> MarkdownDoc | None:
        return _by_path(self.markdown, path)

    def data_doc(self, path: str) -> DataDoc | None:
        return _by_path(self.data, path)


def _by_path(items, path):
    for item in items:
        if item.path == path:
            return item
    return None


# Facts pickle as their class called with their fields (the fact cache, the parse helper's answer).
from meslint import fact_pickle  # noqa: E402

fact_pickle.install(FACT_MODULES)
