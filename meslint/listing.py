"""Which paths a repository holds and, from its name (or shebang), what kind each file is.

Kept free of the fact model so a run replayed from the run cache can list and stat the tree
without importing the parsers' vocabulary.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import TypeVar


class FileKind(str, Enum):
    UNIT = "systemd-unit"
    ENV = "env-file"
    SHELL = "shell"
    PYTHON = "python"
    MARKDOWN = "markdown"
    TOML = "toml"
    YAML = "yaml"
    DOCKERFILE = "dockerfile"
    SUPERVISORD = "supervisord"
    COMPOSE = "compose"
    NGINX = "nginx-config"
    APACHE = "apache-config"
    UWSGI = "uwsgi-ini"
    JSON = "json"  # only the JSON files a pack names (the field contract file, package.json)
    JAVASCRIPT = "javascript"  # only the build configs a pack names (vite.config.*)


_WALK_SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox",
                   ".meslint_cache", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
_UNIT_SUFFIXES = (".service", ".socket", ".timer", ".path", ".mount", ".target")
_DROPIN_DIRS = tuple(suffix + ".d" for suffix in _UNIT_SUFFIXES)
_TYPE_DROPIN_DIRS = frozenset(suffix[1:] + ".d" for suffix in _UNIT_SUFFIXES)  # service.d/: type-wide
_SHELL_SUFFIXES = (".sh", ".bash")
_MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdj")
_YAML_NAMES = {"environment.yml", "environment.yaml"}
_SCRIPT_SUFFIXES = (".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".vue")


def classify(path: str, head: bytes | None = None, extra_markdown: Iterable[str] = ()) -> FileKind | None:
    """The kind of a file from its name, or its shebang for extension-less scripts."""
    name = path.rsplit("/", 1)[-1]
    lower = name.lower()
    if path in extra_markdown and lower.endswith(".json"):  # a pack-named data file, not a mirror doc
        return FileKind.JSON
    if lower.endswith(_SCRIPT_SUFFIXES) and (path in extra_markdown or glob_named(path, extra_markdown)):
        return FileKind.JAVASCRIPT  # a pack-named build config, API client or frontend module
    if path in extra_markdown or lower.endswith(_MARKDOWN_SUFFIXES):
        return FileKind.MARKDOWN
    if lower.endswith(_UNIT_SUFFIXES) or is_dropin(path):
        return FileKind.UNIT
    container = container_kind(path)
    if container is not None:
        return container
    if _is_env_name(lower):
        return FileKind.ENV
    if lower.endswith(".py"):
        return FileKind.PYTHON
    if lower.endswith(_SHELL_SUFFIXES):
        return FileKind.SHELL
    if lower.endswith(".toml"):
        return FileKind.TOML
    if lower in _YAML_NAMES:
        return FileKind.YAML
    web = web_config_kind(path)
    if web is not None:
        return web
    if "." not in name and head is not None and _has_shell_shebang(head):
        return FileKind.SHELL
    return None


_COMPOSE_NAME = re.compile(r"(?:docker-)?compose(?:\.[^/]+)?\.ya?ml")
_SUPERVISOR_DIRS = {"supervisor", "supervisord", "supervisor.d", "supervisord.d"}


def container_kind(path: str) -> FileKind | None:
    """The container runtime's files, by name: ``Dockerfile``/``Containerfile`` (``.suffix`` or
    ``x.dockerfile``), ``docker-compose[.x].yml``/``compose[.x].yaml``, and supervisord's
    ``supervisord*.conf``/``supervisor*.conf`` or a ``.conf``/``.ini`` below a ``supervisor[d][.d]/``
    directory (where ``[include] files=`` usually points)."""
    directory, _, name = path.rpartition("/")
    lower = name.lower()
    if lower in {"dockerfile", "containerfile"} or lower.startswith(("dockerfile.", "containerfile.")) \
            or lower.endswith((".dockerfile", ".containerfile")):
        return FileKind.DOCKERFILE
    if _COMPOSE_NAME.fullmatch(lower):
        return FileKind.COMPOSE
    if lower.endswith(".conf") and lower.startswith(("supervisord", "supervisor")):
        return FileKind.SUPERVISORD
    if lower.endswith((".conf", ".ini")) and any(part.lower() in _SUPERVISOR_DIRS for part in directory.split("/")):
        return FileKind.SUPERVISORD
    return None


# Web server configurations are known by name: a file or directory naming the server.  (A
# `.conf` is too common a name to read every one as nginx or Apache; `sites-available/x` is nginx's.)
_SITES_DIRS = {"sites-available", "sites-enabled"}  # Debian's layout, nginx's and Apache's alike
_APACHE_DIRS = {"apache", "apache2", "httpd"}


def web_config_kind(path: str) -> FileKind | None:
    """nginx, Apache or uwsgi configuration, from the path alone (never a systemd drop-in)."""
    parts = path.lower().split("/")
    name, directories = parts[-1], set(parts[:-1])
    if name.endswith(".ini"):
        return FileKind.UWSGI if "uwsgi" in name or "uwsgi" in directories else None
    named = name.endswith((".conf", ".nginx", ".vhost"))
    if not (named or ("." not in name and directories & _SITES_DIRS)) or is_dropin(path):
        return None
    if "apache" in name or "httpd" in name or directories & _APACHE_DIRS:
        return FileKind.APACHE
    if "nginx" in name or "nginx" in directories or directories & _SITES_DIRS:
        return FileKind.NGINX
    return None


def glob_named(path: str, named: Iterable[str]) -> bool:
    """Whether a glob among the pack-named paths matches ``path`` (globs name script files only: a pack
    lists frontend modules by directory, never Markdown or JSON)."""
    patterns = _globs(named) if isinstance(named, (tuple, frozenset)) else _glob_patterns(named)
    if not patterns:
        return False
    from meslint.globs import matches_any

    return matches_any(path, patterns)


def _glob_patterns(named: Iterable[str]) -> tuple[str, ...]:
    return tuple(pattern for pattern in named if any(c in pattern for c in "*?["))


# Asked for every script file of the tree with the same pack-named paths: their globs picked out once.
_globs = lru_cache(maxsize=16)(_glob_patterns)


def is_dropin(path: str) -> bool:
    """A systemd drop-in: ``NAME.conf`` in a ``x.service.d/`` directory (a unit's, a dashed prefix's
    ``a-.service.d/``, a template's ``a@.service.d/``) or the type-wide ``service.d/``
    (:mod:`meslint.dropins`); systemd ignores hidden files there."""
    directory, _, name = path.rpartition("/")
    base = directory.rpartition("/")[2]
    return (name.endswith(".conf") and not name.startswith(".")
            and ((base.endswith(_DROPIN_DIRS) and not base.startswith(".")) or base in _TYPE_DROPIN_DIRS))


def _is_env_name(lower: str) -> bool:
    # .env, .env.example, .env.prod.template, prod.env, env.example
    return (
        lower == ".env"
        or lower.startswith(".env.")
        or lower.endswith(".env")
        or lower in {"env.example", "env.template", "env.sample"}
        or lower.endswith((".env.example", ".env.template", ".env.sample"))
    )


def _has_shell_shebang(head: bytes) -> bool:
    first = head.split(b"\n", 1)[0]
    if not first.startswith(b"#!"):
        return False
    return any(shell in first for shell in (b"/sh", b"bash", b"env sh", b"/dash", b"/zsh"))


def excluded(rel: str, patterns: Iterable[str]) -> bool:
    """The ``exclude`` setting: a glob (:mod:`meslint.globs`) naming the file or a directory above it."""
    from meslint.globs import glob_match

    return any(glob_match(rel, pat) or glob_match(rel, pat.rstrip("/") + "/") for pat in patterns)


# Every name ending or name classify() accepts without a file's content (may_hold_facts's
# fast path; tests/test_discovery.py checks the two agree).
_KNOWN_SUFFIXES = (_MARKDOWN_SUFFIXES + _UNIT_SUFFIXES + _SHELL_SUFFIXES
                   + (".py", ".toml", ".env", ".env.example", ".env.template", ".env.sample"))
_KNOWN_NAMES = frozenset({".env", "env.example", "env.template", "env.sample", *_YAML_NAMES})


# The last extension of every name the checks below can accept (each suffix, drop-in, container,
# web-server and script name), and the name prefixes accepted whatever the extension: any other name
# is decided by the pack's named files and _KNOWN_NAMES alone.
_FACT_EXTENSIONS = frozenset({suffix.rpartition(".")[2] for suffix in (*_KNOWN_SUFFIXES, *_SCRIPT_SUFFIXES)}
                             | {"conf", "ini", "nginx", "vhost", "dockerfile", "containerfile", "yml", "yaml"})
_FACT_PREFIXES = (".env.", "dockerfile.", "containerfile.")
_SCRIPT_EXTENSIONS = frozenset(suffix[1:] for suffix in _SCRIPT_SUFFIXES)


def may_hold_facts(rel: str, extra_markdown: Iterable[str] = ()) -> bool:
    """Whether discovery reads this file: a known kind by name, or no extension (a shebang may tell).

    Same answer as ``classify(rel, None, extra_markdown) is not None or "." not in name``, on the
    run cache's path, where it is asked for every file of the tree.
    """
    name = rel[rel.rfind("/") + 1:]
    if "." not in name:
        return True
    lower = name.lower()
    extension = lower[lower.rfind(".") + 1:]
    if not lower.startswith(_FACT_PREFIXES):
        if extension not in _FACT_EXTENSIONS:
            return lower in _KNOWN_NAMES or rel in extra_markdown  # most files of a tree (.json, .txt, .sql ...)
        if extension in _SCRIPT_EXTENSIONS:  # frontend modules: only those the pack names
            return rel in extra_markdown or glob_named(rel, extra_markdown)
    return (lower.endswith(_KNOWN_SUFFIXES) or lower.startswith(".env.") or lower in _KNOWN_NAMES
            or rel in extra_markdown or is_dropin(rel) or container_kind(rel) is not None
            or web_config_kind(rel) is not None
            or (lower.endswith(_SCRIPT_SUFFIXES) and glob_named(rel, extra_markdown)))


_T = TypeVar("_T")

# While a run is inside one_listing(): what it listed and stat'ed, by root or full path.
_RUN: dict[tuple[str, str], object] | None = None


@contextmanager
def one_listing() -> Iterator[None]:
    """Within one run, list the tree and ``lstat`` each file once: the run cache's inventory (is this
    the recorded tree?) and discovery (which files, and which of them changed?) ask the same
    questions one after the other, and each answer cost them a walk (or ``git ls-files``) and a stat
    per file (about 40 ms on the MES Dashboard tree).  Both then also see the same tree: what the run
    records as its inventory is what it read.  Outside such a block nothing is kept."""
    global _RUN
    outer, _RUN = _RUN, {}
    try:
        yield
    finally:
        _RUN = outer


def _once_per_run(key: tuple[str, str], compute: Callable[[], _T]) -> _T:
    """``compute()``, kept under ``key`` for the rest of the run inside :func:`one_listing`."""
    run = _RUN
    if run is None:
        return compute()
    if key not in run:
        run[key] = compute()
    return run[key]  # type: ignore[return-value]


def fact_candidates(root: Path, listed: list[str], extra_markdown: Iterable[str]) -> frozenset[str]:
    """The paths of ``listed`` (:func:`list_paths` of ``root``) that :func:`may_hold_facts`; within
    :func:`one_listing` decided once per run (the inventory and discovery both ask, per file)."""
    extra = frozenset(extra_markdown)
    return _once_per_run(("candidates", f"{root}\0" + "\0".join(sorted(extra))),
                         lambda: frozenset(rel for rel in listed if may_hold_facts(rel, extra)))


def lstat(full: str) -> os.stat_result:
    """``os.lstat(full)``, once per run inside :func:`one_listing` (an error is raised again)."""
    run = _RUN
    if run is None:
        return os.lstat(full)
    key = ("lstat", full)
    known = run.get(key)
    if known is None:
        try:
            known = os.lstat(full)
        except OSError as exc:
            known = exc
        run[key] = known
    if isinstance(known, OSError):
        raise known
    return known  # type: ignore[return-value]


def list_paths(root: Path, unreadable: list[tuple[str, str]] | None = None) -> list[str]:
    """Repository paths: ``git ls-files`` in a git work tree (honours .gitignore), else a walk.

    ``unreadable`` collects ``(directory, reason)`` for each directory that could not be
    listed, so a caller can report the blind spot instead of letting its files vanish.
    """
    if _RUN is None:
        return _list_paths(root, unreadable)

    def listing() -> tuple[list[str], list[tuple[str, str]]]:
        found: list[tuple[str, str]] = []
        return _list_paths(root, found), found

    paths, found = _once_per_run(("list", str(root)), listing)
    if unreadable is not None:
        unreadable.extend(found)
    return list(paths)


def _list_paths(root: Path, unreadable: list[tuple[str, str]] | None) -> list[str]:
    found = unreadable if unreadable is not None else []
    listed = _git_ls_files(root, found)
    if listed is not None:
        return listed
    del found[:]
    return sorted(_walk(root, found))


def existing_paths(root: Path, listed: list[str]) -> frozenset[str]:
    """Every path that exists: ``listed`` (from :func:`list_paths`) and, in a git work tree, the files
    .gitignore hides from it.  Ignoring a file does not make a link to it dangle, and a plain copy of
    the tree must answer "does it exist" the same way."""
    if not (root / ".git").exists():
        return frozenset(listed)
    hidden = _once_per_run(("hidden", str(root)), lambda: frozenset(_walk(root, [])))  # walked once per run
    return frozenset(listed).union(hidden)


def _git_ls_files(root: Path, unreadable: list[tuple[str, str]]) -> list[str] | None:
    dot_git = root / ".git"
    if not dot_git.exists():
        return None
    # The repository's own git configuration is as untrusted as its files.  core.fsmonitor
    # would make git run a program of its choosing: off, as every hook-like setting.
    # core.worktree (or a GIT_WORK_TREE-like redirect) would list another directory's files:
    # the work tree is fixed to the root, and a .git directory (not a link) is named
    # explicitly.  (Discovery still resolves every name it reads: a name behind a linked
    # directory is MES102 "outside the repository", whether or not it exists there.)
    import subprocess  # here: a tree without .git never pays for the import

    # The environment is trusted (a hook's GIT_INDEX_FILE stays); LC_ALL=C for the warnings read below.
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C",
           "GIT_WORK_TREE": str(root)}
    # A .git file or link names a git directory elsewhere, whose index could list another tree.
    foreign = not dot_git.is_dir() or dot_git.is_symlink()
    if not foreign:
        env["GIT_DIR"] = str(dot_git)
    command = ["git", "-c", "core.fsmonitor=false", "-c", "core.untrackedCache=false",
               "-c", f"core.worktree={root}", "-C", str(root),
               "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    try:
        done = subprocess.run(command, capture_output=True, timeout=60, check=False, env=env,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    paths = {p.decode("utf-8", "surrogateescape") for p in done.stdout.split(b"\0") if p}
    if foreign:
        # Names from another tree's index: keep only those present here (not behind a linked
        # directory), so a foreign index cannot make meslint print names of files outside the root.
        base = str(root)
        prefix = os.path.realpath(base).rstrip(os.sep) + os.sep
        paths = {rel for rel in paths if os.path.lexists(os.path.join(base, rel))
                 and (os.path.realpath(os.path.dirname(os.path.join(base, rel))) + os.sep).startswith(prefix)}
    for line in done.stderr.decode("utf-8", "replace").splitlines():
        # git lists what it can and warns about the rest: "could not open directory 'x/': Permission denied"
        match = _GIT_UNREADABLE.search(line)
        entry = (match.group(1).rstrip("/") or ".", match.group(2)) if match else None
        if entry is not None and entry not in unreadable:  # git may warn twice about one directory
            unreadable.append(entry)
    return sorted(paths)


_GIT_UNREADABLE = re.compile(r"could not open directory '(.*)': (.*)$")


def _walk(root: Path, unreadable: list[tuple[str, str]]) -> list[str]:
    """Every non-directory under ``root``, as os.walk(followlinks=False) sees it, minus the skipped
    directories.  A link to a directory is neither listed nor descended into.  (scandir with an
    explicit stack: the directory entry types come free, no relpath per directory; a list, not a
    generator: a resumed frame per file cost a third of the walk.)  A directory that cannot be
    listed (no permission, a path too long for the system) goes to ``unreadable``."""
    found: list[str] = []
    add = found.append
    stack = [("", str(root))]
    while stack:
        rel_dir, full_dir = stack.pop()
        try:
            with os.scandir(full_dir) as entries:
                for entry in entries:
                    try:
                        is_dir = entry.is_dir()  # follows a link, as os.walk does
                    except OSError:
                        is_dir = False
                    if not is_dir:
                        add(rel_dir + entry.name)
                    elif entry.name not in _WALK_SKIP_DIRS and not entry.is_symlink():
                        stack.append((f"{rel_dir}{entry.name}/", entry.path))
        except OSError as exc:
            unreadable.append((rel_dir.rstrip("/") or ".", exc.strerror or type(exc).__name__))
    return found
