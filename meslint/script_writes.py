"""The files the start script's own bash commands write and read (its write set, MES618's pairs).

Write sites: ``> file``, ``>> file``, ``>| file``, ``&> file`` redirects (``echo $$ > "$PID_FILE"``),
``touch FILE...``, ``tee [-a] FILE...``, ``mkdir [-p] DIR...``; read sites: ``< file`` and
``cat FILE...``.  Each word is evaluated in the script's environment as the resolution traced it
(with and without the env file; the root the script anchors to is ``<checkout>``, wherever it is
checked out, as in its variables), a relative path under the directory :mod:`meslint.script_cwd`
says the command runs in.  A word that
stays unknown is kept as unknown, never guessed; ``/dev/...`` targets are no files.  Not seen: a
redirect of a compound command (``{ ...; } > file``, ``done > file``), commands inside ``$(...)``.
"""

from __future__ import annotations

from collections.abc import Iterator

from meslint.facts import Location, Repository, ShellCommand, WriteSite
from meslint.pack import ContractPack
from meslint.resolve import RUNTIME_SCRIPT, RUNTIME_SCRIPT_BARE, Resolution
from meslint.script_cwd import ELSEWHERE, ROOT, SUB, Cwd, Flow
from meslint.script_flow import Memo
from meslint.template import CHECKOUT_ROOT
from meslint.unit_code import Entry, UnitCode
from meslint.unit_writes import ResolvedWrite, resolve_site

_WRITES = frozenset({">", ">>", ">|", "&>", "&>>"})


def _sites(command: ShellCommand) -> Iterator[WriteSite]:
    def site(kind: str, call: str, word: str, *, directory: bool = False, write: bool = True) -> WriteSite:
        return WriteSite(kind, call, word, word, command.location, command.function, directory, write)

    for operator, target in command.redirects:
        if not target.startswith("/dev/"):
            yield site("redirect" if operator in _WRITES else "read", f"{operator} redirect", target,
                       write=operator in _WRITES)
    program = command.argv[0] if command.argv else ""
    operands = [w for w in command.argv[1:] if not w.startswith("-")]
    if program in ("touch", "tee"):
        yield from (site("path-write", program, word) for word in operands)
    elif program == "mkdir":
        yield from (site("mkdir", "mkdir", word, directory=True) for word in operands)
    elif program == "cat":
        yield from (site("read", "cat", word, write=False) for word in operands)


def _directory(cwd: Cwd) -> str | None:
    if cwd.state == ROOT:
        return CHECKOUT_ROOT
    if cwd.state == SUB:
        return f"{CHECKOUT_ROOT}/{cwd.detail}"
    return cwd.detail if cwd.state == ELSEWHERE else None


def script_writes(repo: Repository, pack: ContractPack, resolution: Resolution,
                  shared: Memo | None = None) -> list[ResolvedWrite]:
    """The start script's own file writes and reads, resolved (an unknown path has ``path=None``)."""
    script = repo.script(pack.start_script.path) if pack.start_script else None
    if script is None:
        return []
    envs = tuple(resolution.script_environments[r].final for r in (RUNTIME_SCRIPT, RUNTIME_SCRIPT_BARE)
                 if r in resolution.script_environments)
    found: dict[tuple[Location, str | None], ResolvedWrite] = {}
    for command, cwd in Flow.of(script, pack, shared).commands():
        for site in _sites(command):
            entry = Entry(script.path, f"{script.path} itself (bash)", command.location)
            code = UnitCode(script.path, (entry,), envs)
            resolve_site(found, pack, code, _directory(cwd), site, script.path, entry, [], (), site.path, (),
                         CHECKOUT_ROOT)
    return list(found.values())
