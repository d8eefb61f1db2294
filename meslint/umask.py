"""The process umask, which can only be read by setting it (the server client and the cache writers need it)."""

from __future__ import annotations

import os


def current_umask() -> int:
    """This process's umask (read by setting it, then setting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
