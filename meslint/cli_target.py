"""What a command runs on (a part of :mod:`meslint.cli`): the repository root, the files to
report on, the file read from stdin, and the settings (the configuration file, then the
command line's ``--config`` and ``--extend-exclude``)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from meslint.config import Settings, load_settings, project_root
from meslint.errors import ConfigError


def _settings(root: Path, args: argparse.Namespace) -> Settings:
    """The configuration file's settings, then ``--config KEY=VALUE`` overrides and ``--extend-exclude``.

    As ruff decides: a ``--config`` value that names an existing file, or holds no ``=``, is a file
    (one at most); any other is a TOML ``KEY = VALUE`` pair."""
    from meslint.config import check_glob, settings_from_table, toml_setting

    files = [value for value in args.config if "=" not in value or Path(value).is_file()]
    if len(files) > 1:
        raise ConfigError("--config: give one configuration file (the other values must be KEY = VALUE)")
    settings = load_settings(root, Path(files[0]) if files else None)
    overrides: dict = {}
    for value in args.config:
        if value not in files:
            overrides.update(toml_setting(value))
    if overrides:
        chosen = settings_from_table(overrides, "--config")
        for key in overrides:
            attr = key.replace("-", "_")
            setattr(settings, attr, getattr(chosen, attr))
    extra = tuple(part.strip() for part in (getattr(args, "extend_exclude", None) or "").split(",") if part.strip())
    for pattern in extra:
        check_glob(pattern, "--extend-exclude")
    settings.exclude = settings.exclude + extra
    return settings


def _target(args: argparse.Namespace) -> tuple[Path, frozenset[str] | None, str | None]:
    """The repository root, the files to report on (None: all) and the stdin file's path."""
    paths = list(args.paths)
    stdin_name = getattr(args, "stdin_filename", None)
    only = list(getattr(args, "only_files", None) or [])
    if "-" in paths:
        if not stdin_name:
            raise ConfigError("'-' reads a file's content from stdin: give its path with --stdin-filename PATH")
        paths.remove("-")
    elif stdin_name and paths:
        # Without '-' (as ruff allows) the content still comes on stdin; other paths would be ambiguous.
        raise ConfigError("--stdin-filename reads the content from stdin: give no other path (or only '-')")
    files = [p for p in paths if Path(p).is_file()]
    dirs = [p for p in paths if p not in files]
    if dirs and files:
        raise ConfigError("give either one repository directory or files inside a repository, not both")
    anchors = files + only + ([stdin_name] if stdin_name else [])
    if dirs or not anchors:
        root = _root_of(dirs)
    else:
        root = _root_of_files(anchors)
    report = frozenset(_relative(root, p) for p in files + only) if files or only else None
    return root, report, _relative(root, stdin_name) if stdin_name else None


def _root_of_files(anchors: list[str]) -> Path:
    """One project root for the given files (see config.project_root).  Files under two configured
    or version-controlled roots are two projects; a file whose root was only guessed (a plain
    pyproject.toml, or its directory) joins the widest root found."""
    cwd = Path.cwd().resolve()
    found = set()
    for anchor in anchors:
        root, how = project_root(Path(os.path.abspath(anchor)).parent)
        if how == "start" and root.resolve().is_relative_to(cwd):
            root = cwd  # no marker anywhere: the directory meslint runs in, as before
        found.add((root, how))
    strong = sorted({root for root, how in found if how in ("config", "vcs")})
    if len(strong) > 1:
        raise ConfigError(f"the files belong to different projects ({strong[0]} and {strong[1]}): "
                          "check one project at a time")
    if strong:
        return strong[0].resolve()
    widest = min((root for root, _ in found), key=lambda root: len(root.parts))
    return widest.resolve()


def _relative(root: Path, path: str) -> str:
    given = Path(path)
    candidates = [Path(os.path.abspath(given)), given.resolve()]
    if not given.is_absolute() and not given.exists():
        candidates.append(root / given)  # relative to the repository root
    for candidate in candidates:
        for base in (root, root.resolve()):
            try:
                return candidate.relative_to(base).as_posix()
            except ValueError:
                continue
    raise ConfigError(f"{path}: not inside the checked repository {root}")


def _root_of(paths: list[str]) -> Path:
    if len(paths) > 1:
        raise ConfigError("check one repository at a time (got several paths)")
    if paths:
        root = Path(paths[0])
        if not root.exists():
            raise ConfigError(f"{paths[0]}: no such directory")
        if not root.is_dir():
            raise ConfigError(f"{paths[0]}: not a directory (give the repository root)")
        return root.resolve()
    return project_root(Path.cwd())[0].resolve()
