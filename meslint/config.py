"""Configuration: ``[tool.meslint]`` in pyproject.toml, or meslint.toml, plus CLI flags.

Precedence: command-line flags over the file over defaults.  Unknown keys and
wrong types are configuration errors (exit 2) naming the key and the file.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meslint import safe_io
from meslint.errors import ConfigError
from meslint.records import record

DEFAULT_MAX_FILE_SIZE = 5 * 1024 * 1024
# The most a checked repository's own configuration may raise max-file-size to: the
# repository is untrusted and memory grows with the largest file read (README, "Security").
MAX_FILE_SIZE_CAP = 16 * 1024 * 1024
# meslint.toml / pyproject.toml larger than this are refused before being read.
CONFIG_SIZE_LIMIT = 1024 * 1024


FAIL_ON = ("error", "warning", "info")


@record
class Waiver:
    """``[[tool.meslint.waivers]]``: accept a (cross-file) finding, with a reason.

    Matches findings whose code starts with ``code`` and, when given, whose subject
    equals ``subject`` and one of whose files (primary or related) matches the glob
    ``path``.
    """

    code: str
    reason: str
    subject: str | None = None
    path: str | None = None
    line: int = 1  # of the waiver in its configuration file, for MES100

    def matches(self, finding) -> bool:
        from meslint.globs import glob_match

        if not finding.code.startswith(self.code):
            return False
        if self.subject is not None and finding.subject != self.subject:
            return False
        if self.path is not None:
            files = [finding.location.path, *(r.location.path for r in finding.related)]
            if not any(glob_match(f, self.path) for f in files):
                return False
        return True

    def describe(self) -> str:
        parts = [f"code={self.code}"]
        if self.subject is not None:
            parts.append(f"subject={self.subject}")
        if self.path is not None:
            parts.append(f"path={self.path}")
        return " ".join(parts)


@dataclass
class Settings:
    contract: str = "mes-dashboard"
    contract_configured: bool = False  # set by `contract` in the configuration (else: the guarded default)
    select: tuple[str, ...] = ("MES",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    pack_overrides: dict[str, object] = field(default_factory=dict)
    waivers: tuple[Waiver, ...] = ()
    fail_on: str = "info"  # exit 1 only for findings at or above this severity
    # --fix as ruff has it: apply fixes by default, also unsafe ones; codes never fixed, and
    # codes whose fixes count as safe / unsafe whatever the rule says (see meslint.fixer).
    fix: bool = False
    unsafe_fixes: bool = False
    unfixable: tuple[str, ...] = ()
    extend_safe_fixes: tuple[str, ...] = ()
    extend_unsafe_fixes: tuple[str, ...] = ()
    source: str | None = None  # the file the settings came from
    # The settings come from the checked repository (its own file, or the defaults): untrusted,
    # so a pack it names must lie inside it and max-file-size is capped.  False: a --config
    # file outside the repository, which the user controls.
    from_repository: bool = True

    def is_selected(self, code: str, path: str | None = None) -> bool:
        from meslint.globs import glob_match

        chosen = _longest_match(code, self.select + self.extend_select)
        dropped = _longest_match(code, self.ignore)
        if chosen is None or (dropped is not None and len(dropped) >= len(chosen)):
            return False
        if path is not None:
            for pattern, codes in self.per_file_ignores.items():
                if glob_match(path, pattern) and _longest_match(code, codes) is not None:
                    return False
        return True


def _longest_match(code: str, prefixes: tuple[str, ...]) -> str | None:
    best = None
    for prefix in prefixes:
        prefix = prefix.upper()
        if prefix == "ALL" or code.startswith(prefix):
            candidate = "" if prefix == "ALL" else prefix
            if best is None or len(candidate) > len(best):
                best = candidate
    return best


# Each key's TOML type; type[Any] so the isinstance() check below leaves the value usable as that type.
_KEYS: dict[str, type[Any]] = {
    "contract": str,
    "select": list,
    "ignore": list,
    "extend-select": list,
    "per-file-ignores": dict,
    "exclude": list,
    "max-file-size": int,
    "pack-overrides": dict,
    "waivers": list,
    "fail-on": str,
    "fix": bool,
    "unsafe-fixes": bool,
    "unfixable": list,
    "extend-safe-fixes": list,
    "extend-unsafe-fixes": list,
}


def find_config(root: Path) -> tuple[Path, dict] | None:
    """The first of meslint.toml / pyproject.toml [tool.meslint] in ``root``."""
    for name in ("meslint.toml", ".meslint.toml"):
        candidate = root / name
        if candidate.is_file() and not candidate.is_symlink():
            return candidate, _read_toml(candidate, _read_bytes(candidate))
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and not pyproject.is_symlink():
        raw = _read_bytes(pyproject)
        if not _may_configure_meslint(raw):
            return None
        data = _read_toml(pyproject, raw)
        tool = data.get("tool", {})
        if isinstance(tool, dict) and "meslint" in tool:
            table = tool["meslint"]
            if not isinstance(table, dict):
                raise ConfigError(f"{pyproject}: [tool.meslint] must be a table")
            return pyproject, table
    return None


# What marks a version-control root (a directory or, for git worktrees and submodules, a file).
VCS_MARKERS = (".git", ".hg")


def project_root(start: Path) -> tuple[Path, str]:
    """The root of the project ``start`` (a directory) is in, and how it was found, as ruff finds its
    configuration: the nearest ancestor (``start`` included) with ``meslint.toml``, ``.meslint.toml``
    or a ``pyproject.toml`` holding ``[tool.meslint]`` ("config"); else the nearest version-control
    root ("vcs"); else the nearest ancestor with any ``pyproject.toml`` ("pyproject"); else ``start``
    itself ("start")."""
    start = Path(os.path.abspath(start))
    chain = (start, *start.parents)
    for candidate in chain:
        if find_config(candidate) is not None:
            return candidate, "config"
    for candidate in chain:
        if any(os.path.lexists(candidate / marker) for marker in VCS_MARKERS):
            return candidate, "vcs"
    for candidate in chain:
        if (candidate / "pyproject.toml").is_file():
            return candidate, "pyproject"
    return start, "start"


def _may_configure_meslint(raw: bytes) -> bool:
    """False when the file cannot hold a ``tool.meslint`` table: every spelling of that key
    contains "meslint" unless a quoted key hides it behind escapes.  Saves parsing the TOML
    of every project on the run cache's path."""
    return b"meslint" in raw or b"\\u" in raw or b"\\U" in raw


def _read_bytes(path: Path) -> bytes:
    """A configuration file's bytes: a regular file (never a link, a FIFO or a device), size-capped."""
    return safe_io.read_or_fail(path, CONFIG_SIZE_LIMIT, lambda message: ConfigError(f"{path}: {message}"),
                                missing="configuration file not found", kind="configuration file",
                                reading="configuration")


def _read_toml(path: Path, raw: bytes) -> dict:
    """``path``'s TOML, from its bytes ``raw``."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib

    try:
        # Universal newlines, as Path.read_text would give.
        text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: cannot read configuration: not valid UTF-8 (byte {exc.start})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses per nesting level: a hostile file nests thousands deep
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from None


def toml_setting(text: str) -> dict:
    """One ``--config 'KEY = VALUE'`` override, parsed as TOML (``select = ["MES6"]``)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib

    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"--config {text!r}: neither a file nor a TOML 'KEY = VALUE' setting ({exc})") from None
    if len(table) != 1:
        raise ConfigError(f"--config {text!r}: give one top-level setting, e.g. --config 'fail-on = \"error\"'")
    return table


def load_settings(root: Path, explicit: Path | None = None) -> Settings:
    if explicit is not None:
        # Given on the command line: links are followed (the user chose the path), but a path
        # into the checked repository names the repository's file, which must stay inside it and
        # is no more trusted than meslint.toml.
        in_repository = safe_io.names_inside(root, explicit)
        if in_repository and not safe_io.inside(root, explicit):
            raise ConfigError(f"{explicit}: configuration file: leads out of the checked repository "
                              "through a symbolic link")
        raw = _read_bytes(Path(os.path.realpath(explicit)))
        data = _read_toml(explicit, raw)
        if explicit.name == "pyproject.toml":
            tool = data.get("tool")
            if not isinstance(tool, dict) or not isinstance(tool.get("meslint"), dict):
                raise ConfigError(f"{explicit}: no [tool.meslint] table (--config names a file that configures "
                                  "meslint)")
            data = tool["meslint"]
        return settings_from_table(data, str(explicit), _waiver_lines(raw), from_repository=in_repository)
    found = find_config(root)
    if found is None:
        return Settings()
    path, table = found
    return settings_from_table(table, path.name, _waiver_lines(_read_bytes(path)))


def _waiver_lines(raw: bytes) -> list[int]:
    """Line numbers of the ``[[...waivers]]`` headers, in order (for MES100 locations)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return []
    lines = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip().replace(" ", "")
        if stripped in ("[[tool.meslint.waivers]]", "[[waivers]]"):
            lines.append(number)
    return lines


def settings_from_table(table: dict, source: str, waiver_lines: list[int] | None = None, *,
                        from_repository: bool = True) -> Settings:
    settings = Settings(source=source, from_repository=from_repository)
    for key, value in table.items():
        expected = _KEYS.get(key)
        if key == "tool" and expected is None:
            # As in ruff.toml: meslint.toml holds the settings themselves, not a [tool.meslint] table.
            raise ConfigError(f"{source}: found a [tool...] table; in meslint.toml the settings go at the top "
                              "level (drop the [tool.meslint] header, write [[waivers]] for "
                              "[[tool.meslint.waivers]]); [tool.meslint] belongs in pyproject.toml")
        if expected is None:
            known = ", ".join(sorted(_KEYS))
            raise ConfigError(f"{source}: unknown key {safe_io.shown(key)} in [tool.meslint] (known: {known})")
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(f"{source}: {key} must be a {expected.__name__}, not {type(value).__name__}")
        if key == "waivers":
            settings.waivers = _waivers(value, source, waiver_lines or [])
            continue
        if key == "fail-on" and value not in FAIL_ON:
            raise ConfigError(f"{source}: fail-on must be one of {', '.join(FAIL_ON)}, not {safe_io.shown(value)}")
        if expected is list and not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{source}: {key} must be a list of strings")
        attr = key.replace("-", "_")
        if key == "per-file-ignores":
            value = _per_file_ignores(value, source)
        elif key == "max-file-size" and value <= 0:
            raise ConfigError(f"{source}: max-file-size must be positive")
        elif key == "max-file-size" and from_repository and value > MAX_FILE_SIZE_CAP:
            raise ConfigError(f"{source}: max-file-size may be at most {MAX_FILE_SIZE_CAP} in the checked "
                              "repository's own configuration (a larger limit needs --config outside it)")
        elif expected is list:
            value = tuple(value)
        if key == "exclude":
            for pattern in value:
                check_glob(pattern, f"{source}: exclude")
        setattr(settings, attr, value)
        settings.contract_configured |= key == "contract"
    return settings


def check_glob(pattern: str, where: str) -> None:
    """Refuse a path glob that cannot mean what its author meant (the dialect: :mod:`meslint.globs`)."""
    from meslint.globs import GlobError
    from meslint.globs import check_glob as check

    try:
        check(pattern)
    except GlobError as exc:
        raise ConfigError(f"{where}: invalid glob {safe_io.shown(pattern)}: {exc.reason}") from None


def _per_file_ignores(value: dict, source: str) -> dict[str, tuple[str, ...]]:
    result = {}
    for pattern, codes in value.items():
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise ConfigError(f"{source}: per-file-ignores[{safe_io.shown(pattern)}] must be a list of codes")
        check_glob(pattern, f"{source}: per-file-ignores")
        result[pattern] = tuple(codes)
    return result


_WAIVER_KEYS = {"code", "subject", "path", "reason"}


def _waivers(value: list, source: str, lines: list[int]) -> tuple[Waiver, ...]:
    waivers = []
    for index, entry in enumerate(value):
        where = f"{source}: waivers[{index}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where} must be a table")
        unknown = sorted(set(entry) - _WAIVER_KEYS)
        if unknown:
            raise ConfigError(f"{where}: unknown key {safe_io.shown(unknown[0])} (known: code, path, reason, subject)")
        for key in entry:
            if not isinstance(entry[key], str):
                raise ConfigError(f"{where}: {key} must be a str")
        if not entry.get("code", "").strip():
            raise ConfigError(f"{where}: code is required")
        if not entry.get("reason", "").strip():
            raise ConfigError(f"{where}: reason is required (say why the finding is accepted)")
        if "subject" not in entry and "path" not in entry:
            raise ConfigError(f"{where}: give subject and/or path")
        if "path" in entry:
            check_glob(entry["path"], where + ": path")
        line = lines[index] if index < len(lines) else 1
        waivers.append(Waiver(entry["code"].strip().upper(), entry["reason"].strip(), entry.get("subject"),
                              entry.get("path"), line))
    return tuple(waivers)


def split_codes(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    return tuple(part.strip().upper() for part in text.split(",") if part.strip())
