"""Configuration: ``[tool.meslint]`` in pyproject.toml, or meslint.toml, plus CLI flags.

Precedence: command-line flags over the file over defaults.  Unknown keys and
wrong types are configuration errors (exit 2) naming the key and the file.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from meslint.errors import ConfigError

DEFAULT_MAX_FILE_SIZE = 5 * 1024 * 1024


FAIL_ON = ("error", "warning", "info")


@dataclass(frozen=True)
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
        import fnmatch

        if not finding.code.startswith(self.code):
            return False
        if self.subject is not None and finding.subject != self.subject:
            return False
        if self.path is not None:
            files = [finding.location.path, *(r.location.path for r in finding.related)]
            if not any(fnmatch.fnmatchcase(f, self.path) for f in files):
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
    source: str | None = None  # the file the settings came from

    def is_selected(self, code: str, path: str | None = None) -> bool:
        import fnmatch

        chosen = _longest_match(code, self.select + self.extend_select)
        dropped = _longest_match(code, self.ignore)
        if chosen is None or (dropped is not None and len(dropped) >= len(chosen)):
            return False
        if path is not None:
            for pattern, codes in self.per_file_ignores.items():
                if fnmatch.fnmatchcase(path, pattern) and _longest_match(code, codes) is not None:
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


_KEYS = {
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
}


def find_config(root: Path) -> tuple[Path, dict] | None:
    """The first of meslint.toml / pyproject.toml [tool.meslint] in ``root``."""
    for name in ("meslint.toml", ".meslint.toml"):
        candidate = root / name
        if candidate.is_file() and not candidate.is_symlink():
            return candidate, _read_toml(candidate)
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


def _may_configure_meslint(raw: bytes) -> bool:
    """False when the file cannot hold a ``tool.meslint`` table: every spelling of that key
    contains "meslint" unless a quoted key hides it behind escapes.  Saves parsing the TOML
    of every project on the run cache's path."""
    return b"meslint" in raw or b"\\u" in raw or b"\\U" in raw


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc}") from None


def _read_toml(path: Path, raw: bytes | None = None) -> dict:
    """``path``'s TOML (``raw``: its bytes, when already read)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib

    try:
        # Universal newlines, as Path.read_text would give.
        text = (_read_bytes(path) if raw is None else raw).decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def load_settings(root: Path, explicit: Path | None = None) -> Settings:
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"{explicit}: configuration file not found")
        data = _read_toml(explicit)
        if explicit.name == "pyproject.toml":
            data = data.get("tool", {}).get("meslint", {})
        return settings_from_table(data, str(explicit), _waiver_lines(explicit))
    found = find_config(root)
    if found is None:
        return Settings()
    path, table = found
    return settings_from_table(table, path.name, _waiver_lines(path))


def _waiver_lines(path: Path) -> list[int]:
    """Line numbers of the ``[[...waivers]]`` headers, in order (for MES100 locations)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    lines = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip().replace(" ", "")
        if stripped in ("[[tool.meslint.waivers]]", "[[waivers]]"):
            lines.append(number)
    return lines


def settings_from_table(table: dict, source: str, waiver_lines: list[int] | None = None) -> Settings:
    settings = Settings(source=source)
    for key, value in table.items():
        expected = _KEYS.get(key)
        if expected is None:
            known = ", ".join(sorted(_KEYS))
            raise ConfigError(f"{source}: unknown key {key!r} in [tool.meslint] (known: {known})")
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(f"{source}: {key} must be a {expected.__name__}, not {type(value).__name__}")
        if key == "waivers":
            settings.waivers = _waivers(value, source, waiver_lines or [])
            continue
        if key == "fail-on" and value not in FAIL_ON:
            raise ConfigError(f"{source}: fail-on must be one of {', '.join(FAIL_ON)}, not {value!r}")
        if expected is list and not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{source}: {key} must be a list of strings")
        attr = key.replace("-", "_")
        if key == "per-file-ignores":
            value = _per_file_ignores(value, source)
        elif key == "max-file-size" and value <= 0:
            raise ConfigError(f"{source}: max-file-size must be positive")
        elif expected is list:
            value = tuple(value)
        setattr(settings, attr, value)
        settings.contract_configured |= key == "contract"
    return settings


def _per_file_ignores(value: dict, source: str) -> dict[str, tuple[str, ...]]:
    result = {}
    for pattern, codes in value.items():
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise ConfigError(f"{source}: per-file-ignores[{pattern!r}] must be a list of codes")
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
            raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: code, path, reason, subject)")
        for key in entry:
            if not isinstance(entry[key], str):
                raise ConfigError(f"{where}: {key} must be a str")
        if not entry.get("code", "").strip():
            raise ConfigError(f"{where}: code is required")
        if not entry.get("reason", "").strip():
            raise ConfigError(f"{where}: reason is required (say why the finding is accepted)")
        if "subject" not in entry and "path" not in entry:
            raise ConfigError(f"{where}: give subject and/or path")
        line = lines[index] if index < len(lines) else 1
        waivers.append(Waiver(entry["code"].strip().upper(), entry["reason"].strip(), entry.get("subject"),
                              entry.get("path"), line))
    return tuple(waivers)


def split_codes(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    return tuple(part.strip().upper() for part in text.split(",") if part.strip())
