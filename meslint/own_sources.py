"""meslint's own files as they are on disk: what a recorded result or a resident server was made by.

Kept free of everything else in meslint (standard library only): the ``meslint`` entry point asks it
before anything is imported (:mod:`meslint.server_client`)."""

from __future__ import annotations

import os

PACKAGE = os.path.dirname(os.path.abspath(__file__))


def sources_key() -> str:
    """Path, size and mtime of every source and data file of the package, one line each: an edited
    checkout is another meslint (a recorded run must not be replayed, a resident server must not
    serve it).  Not hashed here: the server compares it as it is (its client imports no hash module),
    the run cache hashes it into its key."""
    entries: list[str] = []
    stack = [PACKAGE]
    while stack:
        with os.scandir(stack.pop()) as listing:
            for entry in listing:
                if entry.is_dir(follow_symlinks=False) and entry.name != "__pycache__":
                    stack.append(entry.path)
                elif entry.name.endswith((".py", ".yaml", ".json")):
                    info = entry.stat(follow_symlinks=False)
                    entries.append(f"{entry.path}\0{info.st_size}\0{info.st_mtime_ns}")
    return "\n".join(sorted(entries))
