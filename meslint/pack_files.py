"""Where a contract pack comes from: a built-in pack by name, or a pack file by path.

Kept apart from the pack's schema (:mod:`meslint.pack`, which needs PyYAML) so the run
cache can fingerprint the pack's bytes without parsing them.
"""

from __future__ import annotations

from pathlib import Path

from meslint.errors import PackError


def builtin_dir() -> Path:
    # Installed wheels carry the packs as meslint/_rules; a source checkout has rules/.
    here = Path(__file__).resolve().parent
    packaged = here / "_rules"
    return packaged if packaged.is_dir() else here.parent / "rules"


def builtin_pack_names() -> list[str]:
    return sorted(p.name[: -len(".yaml")] for p in builtin_dir().iterdir() if p.name.endswith(".yaml"))


def locate(name_or_path: str, base_dir: Path | None = None) -> tuple[Path, str]:
    """The pack file and the name messages give it; a path wins over a built-in name."""
    candidate = Path(name_or_path)
    if not candidate.is_absolute() and base_dir is not None:
        candidate = base_dir / candidate
    if name_or_path.endswith((".yaml", ".yml")) or candidate.is_file():
        if not candidate.is_file():
            raise PackError(f"{name_or_path}: contract pack file not found")
        return candidate, str(name_or_path)
    builtin = builtin_dir() / f"{name_or_path}.yaml"
    if not builtin.is_file():
        known = ", ".join(builtin_pack_names()) or "none"
        raise PackError(f"unknown contract pack {name_or_path!r} (built-in packs: {known})")
    return builtin, f"rules/{name_or_path}.yaml"


def read_bytes(path: Path, source: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise PackError(f"{source}: cannot read the contract pack: {exc.strerror or exc}") from None


def decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PackError(f"{source}:{line}: the contract pack is not valid UTF-8 (byte {exc.start})") from None
