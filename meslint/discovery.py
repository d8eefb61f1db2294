"""Which files the repository holds, of which kind, and their text.

Discovery never follows a link out of the checked root, never opens anything
but regular files (a FIFO or device would block or worse), and turns binary,
oversized, undecodable and unreadable files into :class:`SkippedFile` records
(MES102) instead of errors.  UTF-8 with a BOM and CRLF line ends are normal input:
the BOM is dropped and CRLF becomes LF, which keeps line numbers intact.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from meslint.facts import FileKind, Location, SkippedFile

DEFAULT_MAX_FILE_SIZE = 5 * 1024 * 1024
_SNIFF_BYTES = 8192
_WALK_SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox",
                   ".meslint_cache", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
_UNIT_SUFFIXES = (".service", ".socket", ".timer", ".path", ".mount", ".target")
_SHELL_SUFFIXES = (".sh", ".bash")
_MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdj")
_YAML_NAMES = {"environment.yml", "environment.yaml"}


@dataclass(frozen=True, slots=True)
class DiscoveredFile:
    path: str  # repo-relative POSIX
    kind: FileKind
    text: str
    size: int


@dataclass(frozen=True)
class Discovery:
    files: tuple[DiscoveredFile, ...]
    skipped: tuple[SkippedFile, ...]
    all_paths: frozenset[str]


def classify(path: str, head: bytes | None = None, extra_markdown: Iterable[str] = ()) -> FileKind | None:
    """The kind of a file from its name, or its shebang for extension-less scripts."""
    name = path.rsplit("/", 1)[-1]
    lower = name.lower()
    if path in extra_markdown or lower.endswith(_MARKDOWN_SUFFIXES):
        return FileKind.MARKDOWN
    if lower.endswith(_UNIT_SUFFIXES):
        return FileKind.UNIT
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
    if "." not in name and head is not None and _has_shell_shebang(head):
        return FileKind.SHELL
    return None


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


def list_paths(root: Path) -> list[str]:
    """Repository paths: ``git ls-files`` in a git work tree (honours .gitignore), else a walk."""
    listed = _git_ls_files(root)
    if listed is not None:
        return listed
    return sorted(_walk(root))


def _git_ls_files(root: Path) -> list[str] | None:
    if not (root / ".git").exists():
        return None
    # core.fsmonitor in a repository's own config would make git run a program of
    # the repository's choosing: switch it off, as every hook-like setting.
    command = ["git", "-c", "core.fsmonitor=false", "-c", "core.untrackedCache=false",
               "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    try:
        done = subprocess.run(command, capture_output=True, timeout=60, check=False,
                              env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"})
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    paths = {p.decode("utf-8", "surrogateescape") for p in done.stdout.split(b"\0") if p}
    return sorted(paths)


def _walk(root: Path) -> Iterator[str]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in _WALK_SKIP_DIRS)
        rel_dir = os.path.relpath(dirpath, root)
        for name in filenames:
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            yield rel.replace(os.sep, "/")
        # Links to directories are not descended into (followlinks=False) but are
        # listed so they can be reported when they look contract-bearing.
        for name in list(dirnames):
            if os.path.islink(os.path.join(dirpath, name)):
                dirnames.remove(name)


def discover(root: Path, *, max_file_size: int = DEFAULT_MAX_FILE_SIZE,
             exclude: Iterable[str] = (), extra_markdown: Iterable[str] = ()) -> Discovery:
    import fnmatch

    root = root.resolve()
    excluded = tuple(exclude)
    extra_md = frozenset(extra_markdown)
    files: list[DiscoveredFile] = []
    skipped: list[SkippedFile] = []
    all_paths: list[str] = []
    _REAL_DIRS.clear()
    for rel in list_paths(root):
        if any(fnmatch.fnmatchcase(rel, pat) or rel.startswith(pat.rstrip("/") + "/") for pat in excluded):
            continue
        all_paths.append(rel)
        kind = classify(rel, None, extra_md)
        needs_sniff = kind is None and "." not in rel.rsplit("/", 1)[-1]
        if kind is None and not needs_sniff:
            continue
        outcome = _read(root, rel, max_file_size, sniff_only=needs_sniff)
        if isinstance(outcome, SkippedFile):
            if kind is not None:
                skipped.append(outcome)
            continue
        data = outcome
        if kind is None:
            kind = classify(rel, data[:_SNIFF_BYTES], extra_md)
            if kind is None:
                continue
            full = _read(root, rel, max_file_size, sniff_only=False)
            if isinstance(full, SkippedFile):
                skipped.append(full)
                continue
            data = full
        decoded = _decode(rel, data)
        if isinstance(decoded, SkippedFile):
            skipped.append(decoded)
            continue
        files.append(DiscoveredFile(rel, kind, decoded, len(data)))
    _REAL_DIRS.clear()
    return Discovery(tuple(files), tuple(skipped), frozenset(all_paths))


def _skip(rel: str, reason: str) -> SkippedFile:
    return SkippedFile(Location(rel, 1, 1), reason)


# realpath of each directory during one discover() (cleared at its start and end)
_REAL_DIRS: dict[tuple[Path, str], str] = {}


def _prefix_of(root: Path) -> str:
    text = str(root)
    return text if text.endswith(os.sep) else text + os.sep


def _read(root: Path, rel: str, max_size: int, *, sniff_only: bool) -> bytes | SkippedFile:
    full = root / rel
    try:
        is_link = os.path.islink(full)
        # realpath also catches a linked *directory* component on the way to the file.  The
        # directory part is resolved once per directory (a realpath costs an lstat per component).
        if is_link:
            target = Path(os.path.realpath(full, strict=True))
        else:
            parent, _, name = rel.rpartition("/")
            real_parent = _REAL_DIRS.get((root, parent))
            if real_parent is None:
                real_parent = os.path.realpath(root / parent, strict=True) if parent else str(root)
                _REAL_DIRS[(root, parent)] = real_parent
            target = Path(real_parent, name)
    except (OSError, RuntimeError):
        return _skip(rel, "symbolic link that cannot be resolved (dangling or a loop)")
    # (a string prefix test: ``root in target.parents`` compares Path objects level by level)
    if target != root and not str(target).startswith(_prefix_of(root)):
        return _skip(rel, "symbolic link to a path outside the repository; not followed")
    if is_link or target != full:
        full = target
    try:
        info = os.stat(full)
    except OSError as exc:
        return _skip(rel, f"cannot stat: {exc.strerror or exc}")
    if not stat.S_ISREG(info.st_mode):
        return _skip(rel, "not a regular file (FIFO, socket or device); never opened")
    if info.st_size > max_size:
        return _skip(rel, f"file is {info.st_size} bytes, over the {max_size}-byte limit (max-file-size)")
    try:
        # O_NONBLOCK: if the file was swapped for a FIFO since lstat, open must not block.
        fd = os.open(full, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        return _skip(rel, f"cannot open: {exc.strerror or exc}")
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return _skip(rel, "not a regular file; never read")
        with os.fdopen(fd, "rb", closefd=True) as handle:
            fd = -1
            data = handle.read(_SNIFF_BYTES if sniff_only else max_size + 1)
    except OSError as exc:
        return _skip(rel, f"cannot read: {exc.strerror or exc}")
    finally:
        if fd != -1:
            os.close(fd)
    if len(data) > max_size:
        return _skip(rel, f"file is over the {max_size}-byte limit (max-file-size)")
    return data


def _decode(rel: str, data: bytes) -> str | SkippedFile:
    if b"\0" in data[:_SNIFF_BYTES]:
        return _skip(rel, "binary content (NUL bytes); not a text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return SkippedFile(Location(rel, line, 1), f"not valid UTF-8 (byte {exc.start}); skipped")
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    return text
