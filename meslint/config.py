"""Configuration: ``[tool.meslint]`` in pyproject.toml, or meslint.toml, plus CLI flags.

Precedence: command-line flags over the file over defaults.  Unknown keys and
wrong types are configuration errors (exit 2) naming the key and the file.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from meslint.discovery import DEFAULT_MAX_FILE_SIZE

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


class ConfigError(Exception):
    """Bad configuration or usage; the CLI prints it on one line and exits 2."""


@dataclass
class Settings:
    contract: str = "mes-dashboard"
    select: tuple[str, ...] = ("MES",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    pack_overrides: dict[str, object] = field(default_factory=dict)
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
}


def find_config(root: Path) -> tuple[Path, dict] | None:
    """The first of meslint.toml / pyproject.toml [tool.meslint] in ``root``."""
    for name in ("meslint.toml", ".meslint.toml"):
        candidate = root / name
        if candidate.is_file() and not candidate.is_symlink():
            return candidate, _read_toml(candidate)
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and not pyproject.is_symlink():
        data = _read_toml(pyproject)
        tool = data.get("tool", {})
        if isinstance(tool, dict) and "meslint" in tool:
            table = tool["meslint"]
            if not isinstance(table, dict):
                raise ConfigError(f"{pyproject}: [tool.meslint] must be a table")
            return pyproject, table
    return None


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def load_settings(root: Path, explicit: Path | None = None) -> Settings:
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"{explicit}: configuration file not found")
        data = _read_toml(explicit)
        if explicit.name == "pyproject.toml":
            data = data.get("tool", {}).get("meslint", {})
        return settings_from_table(data, str(explicit))
    found = find_config(root)
    if found is None:
        return Settings()
    path, table = found
    return settings_from_table(table, path.name)


def settings_from_table(table: dict, source: str) -> Settings:
    settings = Settings(source=source)
    for key, value in table.items():
        expected = _KEYS.get(key)
        if expected is None:
            known = ", ".join(sorted(_KEYS))
            raise ConfigError(f"{source}: unknown key {key!r} in [tool.meslint] (known: {known})")
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(f"{source}: {key} must be a {expected.__name__}, not {type(value).__name__}")
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
    return settings


def _per_file_ignores(value: dict, source: str) -> dict[str, tuple[str, ...]]:
    result = {}
    for pattern, codes in value.items():
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise ConfigError(f"{source}: per-file-ignores[{pattern!r}] must be a list of codes")
        result[pattern] = tuple(codes)
    return result


def split_codes(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    return tuple(part.strip().upper() for part in text.split(",") if part.strip())
