"""Where a contract pack comes from: a built-in pack by name, or a pack file by path.

Kept apart from the pack's schema (:mod:`meslint.pack`, which needs PyYAML) so the run
cache can fingerprint the pack's bytes without parsing them.
"""

from __future__ import annotations

import os
from pathlib import Path

from meslint import safe_io
from meslint.errors import PackError


def builtin_dir() -> Path:
    # Installed wheels carry the packs as meslint/_rules; a source checkout has rules/.
    here = Path(__file__).resolve().parent
    packaged = here / "_rules"
    return packaged if packaged.is_dir() else here.parent / "rules"


def builtin_pack_names() -> list[str]:
    return sorted(p.name[: -len(".yaml")] for p in builtin_dir().iterdir() if p.name.endswith(".yaml"))


PACK_SIZE_LIMIT = 1024 * 1024  # a pack is a few kB of YAML; this bounds a hostile one


def locate(name_or_path: str, base_dir: Path | None = None, *, confined: bool = False) -> tuple[Path, str]:
    """The pack file and the name messages give it; a path wins over a built-in name.

    ``confined``: the name comes from the checked repository's own configuration, so a
    path must lie inside ``base_dir`` (the repository): no absolute path, no ``..`` or link
    leading out.  Only the command line (``--contract``) may name a pack elsewhere.
    """
    if confined and base_dir is not None:
        try:
            candidate = safe_io.confine(base_dir, name_or_path)
        except safe_io.UnsafeFile as exc:
            raise PackError(f"{safe_io.shown(name_or_path)}: contract pack: {exc.reason}") from None
    else:
        candidate = Path(name_or_path)
        if not candidate.is_absolute() and base_dir is not None:
            candidate = base_dir / candidate
    # lexists, not is_file: a FIFO or a dangling link is a path too (read_bytes says what is wrong);
    # a directory of the same name as a built-in pack is not.
    if name_or_path.endswith((".yaml", ".yml")) or (os.path.lexists(candidate) and not os.path.isdir(candidate)):
        return Path(os.path.realpath(candidate)), str(name_or_path)
    builtin = builtin_dir() / f"{name_or_path}.yaml"
    if not builtin.is_file():
        known = ", ".join(builtin_pack_names()) or "none"
        raise PackError(f"unknown contract pack {safe_io.shown(name_or_path)} (built-in packs: {known})")
    return builtin, f"rules/{name_or_path}.yaml"


def read_bytes(path: Path, source: str) -> bytes:
    """The pack's bytes (links already resolved by :func:`locate`): a regular file, size-capped."""
    return safe_io.read_or_fail(path, PACK_SIZE_LIMIT, lambda message: PackError(f"{source}: {message}"),
                                missing="contract pack file not found", kind="contract pack",
                                reading="the contract pack")


def decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PackError(f"{source}:{line}: the contract pack is not valid UTF-8 (byte {exc.start})") from None


def repository_pack_path(pack_file: str | None, root: str) -> str | None:
    """The pack file's path relative to the repository root, when the repository holds it."""
    if pack_file is None:
        return None
    absolute = Path(os.path.abspath(pack_file))
    if absolute.parent == builtin_dir():
        return None
    try:
        return absolute.relative_to(os.path.abspath(root)).as_posix()
    except ValueError:
        return None
