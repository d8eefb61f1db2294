"""The contract pack a run parsed, kept for the next run in the cache directory (``pack-v1.marshal``).

Parsing a pack costs a run without a server importing PyYAML and composing the YAML (about 25 ms on
the MES Dashboard, out of some 450 after an edit).  A pack is a function of its text, its source name
and meslint's own code alone (loading prints nothing and reads nothing else), so the next run under the
same key takes the records back instead: plain data (:mod:`meslint.incremental_codec`, which builds
only registered dataclasses), signed with the user's key like every cache file
(:mod:`meslint.cachefiles`).  The file keeps the one pack last parsed; a pack that fails to load is
never kept (its error is reported by parsing it again).
"""

from __future__ import annotations

import hashlib
import marshal
import sys
from pathlib import Path
from typing import Any

from meslint import __version__, cachefiles, own_sources

NAME = "pack-v1.marshal"
_MAGIC = "meslint-pack-cache"


def _key(source: str, text: str) -> str:
    digest = hashlib.sha256()
    for part in (__version__, sys.version, own_sources.sources_key(), source, text):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    return digest.hexdigest()


def load(base_dir: Path | None, source: str, text: str) -> Any | None:
    """The pack parsed from ``text`` by an earlier run, or None (none kept, another key, caching off)."""
    directory = cachefiles.directory_for(base_dir) if base_dir is not None else None
    secret = cachefiles.signing_key_for(directory) if directory is not None else None
    if directory is None or secret is None:
        return None
    key = _key(source, text)
    body = cachefiles.read_signed(directory / NAME, secret,
                                  lambda header: header.get("magic") == _MAGIC and header.get("key") == key)
    if body is None:
        return None
    from meslint.incremental_codec import decode
    from meslint.pack import ContractPack

    try:
        pack = decode(marshal.loads(body))
    except Exception:  # a damaged or foreign body is a miss, never an error
        return None
    return pack if type(pack) is ContractPack else None


def save_later(base_dir: Path | None, source: str, text: str, pack: Any) -> None:
    """Keep ``pack`` (parsed from ``text``) for the next run, once this one has answered."""
    directory = cachefiles.directory_for(base_dir) if base_dir is not None else None
    if directory is None:
        return

    def save() -> None:
        secret = cachefiles.user_secret()
        if secret is None:
            return
        from meslint.incremental_codec import encode

        body = marshal.dumps(encode(pack))
        cachefiles.write_signed(directory / NAME, secret, {"magic": _MAGIC, "key": _key(source, text)}, body)
    cachefiles.write_later(save)
