"""Whether a repository has the layout a pack describes: the guard on the implicit default pack.

Running without a configured pack uses the built-in default only where the repository
looks like the deployment that pack describes: one of the pack's ``detect:`` paths must
exist.  Anywhere else the findings would be about names the repository never uses, so
the run stops (exit 2) and says how to configure a pack.

Only ``lstat`` and one directory listing per pattern are used: nothing is read, no
symbolic link is followed (a link is not the repository's own layout).
"""

from __future__ import annotations

import stat
from pathlib import Path

from meslint.errors import PackError
from meslint.globs import glob_match
from meslint.pack import ContractPack, load_pack
from meslint.pack_files import builtin_pack_names


def detected(pack: ContractPack, root: Path) -> bool:
    """Whether any ``detect:`` path exists in ``root``; a pack with no ``detect:`` list always applies."""
    return not pack.detect or any(_exists(root, pattern) for pattern in pack.detect)


def require_detected(pack: ContractPack, root: Path) -> None:
    if detected(pack, root):
        return
    # Another built-in pack may describe this layout: name it rather than pick it silently.
    others = [name for name in builtin_pack_names() if name != pack.name and _other_detects(name, root)]
    hint = f" (the built-in pack {', '.join(others)} matches this repository: --contract {others[0]})" if others else ""
    raise PackError(
        f"{root}: no contract pack is configured and the repository does not look like the {pack.name} "
        f"deployment (none of {', '.join(pack.detect)} exists){hint}; write a pack for it (see rules/README.md) "
        f"and set contract = \"path/to/pack.yaml\" in [tool.meslint] or pass --contract FILE")


def _other_detects(name: str, root: Path) -> bool:
    other = load_pack(name)
    return bool(other.detect) and detected(other, root)


def _exists(root: Path, pattern: str) -> bool:
    *parents, last = pattern.strip("/").split("/")
    directory = root
    for part in parents:  # directories are named literally: only the last segment may hold a glob
        directory = directory / part
        if not _is_real(directory, stat.S_ISDIR):
            return False
    if not any(char in last for char in "*?["):
        return _is_real(directory / last, lambda mode: stat.S_ISDIR(mode) or stat.S_ISREG(mode))
    try:
        names = [entry.name for entry in directory.iterdir()]
    except OSError:
        return False
    return any(glob_match(name, last) and _is_real(directory / name, stat.S_ISREG) for name in names)


def _is_real(path: Path, kind) -> bool:
    try:
        mode = path.lstat().st_mode
    except OSError:
        return False
    return not stat.S_ISLNK(mode) and kind(mode)
