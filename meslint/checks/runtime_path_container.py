"""MES606's container case: a directory the container writes is not writable there.

Not a rule of its own (no ``RULE``): :mod:`meslint.checks.runtime_path_not_writable` yields these
findings.  The paths a container writes are the pack's written path settings as its processes
resolve them (runtime ``container``) and the runtime, spool, cache and log directories the
container's environment names (a variable ending in ``_DIR`` with an absolute path, e.g. an image
``ENV QUERY_SPOOL_DIR=/app/tmp/query_spool``).  A path is writable when a mount backs it
(compose ``volumes``/``tmpfs``, a Dockerfile ``VOLUME``) that is not read-only; otherwise it is
in the image's writable layer, which a compose ``read_only: true`` makes read-only, and which a
non-root ``USER`` may write only under ``/tmp``, ``/var/tmp``, a ``COPY --chown`` destination of
that user, or a directory a ``RUN ... chown`` hands to it (everything else the build created
belongs to root).
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass

from meslint.checks import CheckContext, Rule
from meslint.facts import Location
from meslint.findings import Finding, Related

_ROOT_USERS = {"", "root", "0"}
_DIR_VARIABLE = re.compile(r"[A-Z][A-Z0-9_]*_DIR")


@dataclass
class _Write:
    subject: str
    path: str
    who: str
    location: Location


def _under(path: str, directory: str) -> bool:
    directory = directory.rstrip("/") or "/"
    return directory == "/" or path == directory or path.startswith(directory + "/")


def container_writable_findings(ctx: CheckContext, rule: Rule) -> Iterator[Finding]:
    from meslint.container_runtime import container_runs
    from meslint.container_runtime_sites import process_owner
    from meslint.resolve import RUNTIME_CONTAINER

    pack = ctx.pack
    written = {s.name for s in pack.settings if s.kind == "path" and s.name != pack.conda_bin_variable}
    sites = [s for s in ctx.resolution.values if s.runtime == RUNTIME_CONTAINER and s.setting in written]
    reported: set[tuple[str, str, Location]] = set()
    for run in container_runs(ctx.repo, ctx.pack):
        writes: list[_Write] = []
        for process in run.processes:
            owner = process_owner(run, process)
            writes.extend(_Write(s.setting, s.value, s.consumer, s.location) for s in sites
                          if owner in s.consumer and s.value and s.value.startswith("/"))
            for name, binding in process.env.items():
                if name not in written and _DIR_VARIABLE.fullmatch(name) and binding.value.startswith("/") \
                        and binding.location is not None:
                    writes.append(_Write(name, posixpath.normpath(binding.value), owner, binding.location))
        user = (run.user or "").split(":")[0]
        for write in writes:
            why = _why_not_writable(run, write.path, user)
            key = (write.subject, write.path, write.location)
            if why is None or key in reported:
                continue
            reported.add(key)
            message, where = why
            mounts = ", ".join(m.target for m in run.mounts if not m.read_only) or "none"
            yield rule.finding(
                f"{write.subject} resolves to {write.path} for {write.who}, which {run.name} cannot write: "
                f"{message}; writable mounts there: {mounts}", write.location,
                [Related(where, message)] if where is not None else [], subject=f"{write.subject} container")


def _why_not_writable(run, path: str, user: str) -> tuple[str, Location | None] | None:
    """None when the container can write ``path``; else why not and the line that decides it."""
    mounts = [(m.target, m.read_only, m.location) for m in run.mounts]
    mounts += [(v.name, False, v.location) for v in run.stage.volumes]
    backing = max((m for m in mounts if _under(path, m[0])), key=lambda m: len(m[0]), default=None)
    if backing is not None:
        target, read_only, location = backing
        return (f"the volume at {target} is mounted read-only", location) if read_only else None
    if run.read_only:
        entry = run.service.read_only if run.service is not None else None
        return ("the container's root filesystem is read-only (read_only: true) and no volume or tmpfs is "
                "mounted there", entry.location if entry is not None else None)
    if user in _ROOT_USERS:
        return None
    if any(_under(path, d) for d in ("/tmp", "/var/tmp")) or any(_under(path, d) for d in _owned_by(run, user)):
        return None
    return (f"USER {run.user} does not own it (the image's files belong to root) and no volume is mounted there",
            run.user_location)


def _owned_by(run, user: str) -> list[str]:
    """Directories the build hands to ``user``: ``COPY --chown=user`` destinations, ``RUN chown user PATH``."""
    owned = [c.destination for c in run.stage.copies if c.chown and c.chown.split(":")[0] == user]
    for item in run.stage.runs:
        for command in re.split(r"&&|\|\||;|\n", item.text):
            try:
                words = shlex.split(command)
            except ValueError:
                continue
            if words[:1] != ["chown"]:
                continue
            operands = [w for w in words[1:] if not w.startswith("-")]
            if operands and operands[0].split(":")[0].split(".")[0] == user:
                owned.extend(w for w in operands[1:] if w.startswith("/"))
    return owned
