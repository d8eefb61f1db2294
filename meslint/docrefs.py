"""What documentation names besides setting values: the conda environment, the project's
units, start-script subcommands, ports, and the files provisioning steps touch.

Each reader takes one :class:`~meslint.doclines.DocLine` and yields
:class:`~meslint.doclines.Claim` objects whose subject says what is claimed (``@conda-env``,
``@unit``, ``@command``, ``@port``, ``@env-file``, ``@unit-file``, or the bind setting's
name).  Re-exported by :mod:`meslint.doctext`, where the gate 8 rules import them from.

Nothing here opens a file: it works on the facts.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

from meslint.doclines import Claim, DocLine, is_placeholder, location_at
from meslint.facts import ShellScript

_CONDA_ENV = [
    re.compile(r"\bconda\s+activate\s+([\w.\-]+)"),
    re.compile(r"\bsource\s+activate\s+([\w.\-]+)"),
    re.compile(r"\bconda\b[^\n#]*?\s(?:-n|--name)(?:\s+|=)([\w.\-]+)"),
]


def conda_env_claims(line: DocLine) -> Iterator[Claim]:
    if "conda" not in line.text and "activate" not in line.text:
        return  # every pattern needs one of these; most lines have neither
    for pattern in _CONDA_ENV:
        for match in pattern.finditer(line.text):
            name = match.group(1)
            if name in {"base"}:
                continue
            yield Claim("@conda-env", name, location_at(line, match.start(1)), line)


_UNIT_TOKEN = re.compile(r"(?<![\w.\-@])([/\w.\-]*?)([\w.\-@]+)\.service\b")
_SYSTEMCTL = re.compile(
    r"\bsystemctl\s+(?:--?[\w-]+\s+)*(?:start|stop|restart|reload|enable|disable|status|is-active|is-enabled|"
    r"kill|try-restart|reload-or-restart|mask|unmask|show|cat|edit|reenable)\b([^;&|#>\n]*)")
_JOURNAL = re.compile(r"\bjournalctl\b[^;&|#>\n]*?(?:-u|--unit)(?:\s+|=)([\w.\-@]+)")


def unit_claims(line: DocLine, prefix: str) -> Iterator[Claim]:
    """Names of the project's units (``prefix`` or ``prefix-*``) in a code line.

    A relative path (``deploy/x.service``) names a repository file, MES805's
    business; installed paths under ``/etc/systemd``/``/usr/lib/systemd`` and bare
    names (``x.service``, ``systemctl restart x``) name units.
    """
    text = line.text
    if ".service" not in text and "systemctl" not in text and "journalctl" not in text:
        return  # each pattern below needs one of these
    seen: set[str] = set()
    # Each pattern needs a literal that most lines lack; testing for it first is much cheaper.
    for match in _UNIT_TOKEN.finditer(text) if ".service" in text else ():
        directory, stem = match.group(1), match.group(2)
        if directory and not directory.startswith(("/etc/systemd/", "/usr/lib/systemd/", "/lib/systemd/",
                                                   "/run/systemd/")):
            continue
        if _is_project_unit(stem, prefix) and stem not in seen:
            seen.add(stem)
            yield Claim("@unit", stem, location_at(line, match.start(2)), line)
    for pattern, group, literal in ((_SYSTEMCTL, 1, "systemctl"), (_JOURNAL, 1, "journalctl")):
        if literal not in text:
            continue
        for match in pattern.finditer(text):
            for word in _words(match.group(group)):
                name = word[: -len(".service")] if word.endswith(".service") else word
                if "/" in name or "." in name or not _is_project_unit(name, prefix) or name in seen:
                    continue
                seen.add(name)
                yield Claim("@unit", name, location_at(line, match.start(group)), line)


def _words(text: str) -> list[str]:
    return [w.strip("\"'") for w in text.split() if not w.startswith("-")]


def _is_project_unit(name: str, prefix: str) -> bool:
    return bool(prefix) and (name == prefix or name.startswith(prefix + "-"))


def script_claims(line: DocLine, script_path: str) -> Iterator[Claim]:
    """``<...>/start_server.sh SUBCOMMAND`` invocations (the first argument only)."""
    base = script_path.rpartition("/")[2]  # posixpath.basename, asked for every line
    if base not in line.text:
        return
    for match in _invocation_pattern(base).finditer(line.text):
        yield Claim("@command", match.group(1), location_at(line, match.start(1)), line)


@lru_cache(maxsize=16)
def _invocation_pattern(base: str) -> re.Pattern[str]:
    return re.compile(r"(?:^|(?<=[\s;&|(`'\"/]))" + re.escape(base) + r"\s+([A-Za-z][\w-]*)")


def script_subcommands(script: ShellScript) -> set[str] | None:
    """The literal first-argument words the script's dispatching ``case`` accepts."""
    from meslint.script_flow import ScriptModel

    return ScriptModel(script).subcommands()


_URL_PORT = re.compile(r"\bhttps?://(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::(\d+))?(?![\w.:-])")
_LSOF_PORT = re.compile(r"\blsof\b[^\n]*?-i\s*(?:tcp)?:(\d+)")
_BIND_OPT = re.compile(r"(?:--bind(?:\s+|=)|\s-b\s+)[\"']?([^\s\"']+)")
_DEFAULT_PORT = re.compile(r"(?:預設|预设|默認|默认|(?<!\w)default)\s*(?:[:：=]|為|为|是|is)?\s*(\d{2,5})(?![\d.:/\w])",
                           re.IGNORECASE)
# Asked only whether it occurs; the word boundary before "port" is looked behind after the word
# (``port(?<!\wport)``, which is ``\bport``), so that every branch starts with a literal (fast to scan for).
_PORT_WORDS = re.compile(r"port(?<!\wport)s?\b|埠|端口|連接埠", re.IGNORECASE)
# `-b` is gunicorn's short --bind only on a gunicorn command line (not `git checkout -b NAME`).
_GUNICORN_WORD = re.compile(r"\bgunicorn\b")
# A development server the docs start for testing (Django's runserver, flask run, python -m
# http.server): the port it listens on is its own, not the app server's bind.
_DEV_SERVER_PORT = re.compile(r"\b(?:runserver|flask\s+run|http\.server)\b[^\n]*?(?:[:=]|\s)(\d{2,5})(?![\w.])")


def dev_server_ports(lines: Iterable[DocLine]) -> set[tuple[tuple[str, ...], str]]:
    """(section, port) of every development server a document starts: a port a URL in that
    section gives is where that server listens, not a claim about the contract's bind."""
    return {(line.section, match.group(1)) for line in lines if "server" in line.text or "run" in line.text
            for match in _DEV_SERVER_PORT.finditer(line.text)}


def port_claims(line: DocLine, bind_name: str, context: str = "") -> Iterator[Claim]:
    """Ports the docs give for the app: ``--bind``/``-b`` values, ``lsof -i :PORT``, and
    local ``http://localhost:PORT`` URLs on a line (or in a block) that speaks of the
    bind setting or of a port.  Other local services (Redis, a dev server) are
    told apart by that context rule."""
    text = line.text
    # Each pattern needs a literal that most lines lack; testing for it first is much cheaper.
    for match in _BIND_OPT.finditer(text) if "-b" in text else ():
        if match.group(0).startswith("--") or _GUNICORN_WORD.search(text):
            yield Claim(bind_name, match.group(1), location_at(line, match.start(1)), line)
    for match in _LSOF_PORT.finditer(text) if "lsof" in text else ():
        yield Claim("@port", match.group(1), location_at(line, match.start(1)), line)
    if line.source in ("text", "table") and _speaks_of_ports(text, bind_name):
        for match in _DEFAULT_PORT.finditer(text):  # "開放服務端口（預設 8080）", "port (default: 8080)"
            yield Claim("@port", match.group(1), line.location, line)
    if "http" not in text:
        return  # no URL, so no need to ask whether the line speaks of ports
    # The line and its block are asked apart (setting names hold no newline, so this is the same
    # as asking their concatenation), the block only once.
    if not _speaks_of_ports(text, bind_name) and not _block_speaks_of_ports(context, bind_name):
        return
    for match in _URL_PORT.finditer(text):
        if match.group(1):
            yield Claim("@port", match.group(1), location_at(line, match.start(1)), line)


def _speaks_of_ports(text: str, bind_name: str) -> bool:
    return bind_name in text or _PORT_WORDS.search(text) is not None


@lru_cache(maxsize=64)
def _block_speaks_of_ports(context: str, bind_name: str) -> bool:
    # A fenced block is the context of each of its lines: search it once, not once per line.
    return _speaks_of_ports(context, bind_name)


# --------------------------------------------------------------------------- provisioning steps

# Provisioning steps: how files reach the host ("sudo cp .env /etc/x/y.env", "install -m 640 ...",
# "chmod 640 /opt/x/.env", "cp deploy/x.service /etc/systemd/system/").
PROVISIONING_STEP = re.compile(
    r"(?:^|[;&|(]\s*|\s)(?:sudo\s+(?:-\S+\s+)*)?(cp|install|chown|chmod|mv|ln)\s+([^;&|#\n]*)")


# Every step names one of these (a cheap test before the pattern); none holds a newline, so a fenced
# block without any has no line with a step.
STEP_WORDS = ("cp ", "install ", "chown ", "chmod ", "mv ", "ln ")


def provisioning_steps(line: DocLine) -> Iterator[tuple[str, list[str], int]]:
    """``(verb, operands, offset)`` of each provisioning step on a fenced line.

    Operands are the words after the verb without options and their values (``install -m 640
    -o root SRC DST`` gives ``[SRC, DST]``); ``install -d`` (directories) is no step; ``offset``
    is where the operands start in the line.
    """
    if line.source != "block" or not any(word in line.text for word in STEP_WORDS):
        return
    for match in PROVISIONING_STEP.finditer(line.text):
        verb, rest = match.group(1), match.group(2)
        if verb == "install" and _INSTALL_DIRECTORIES.search(rest):
            continue
        yield verb, _step_operands(rest), match.start(2)


_INSTALL_DIRECTORIES = re.compile(r"(?:^|\s)-d\b")
_OPTIONS_WITH_VALUES = {"-m", "-o", "-g", "--mode", "--owner", "--group", "-t", "--target-directory"}


def _step_operands(rest: str) -> list[str]:
    operands: list[str] = []
    skip = False
    for word in (w.strip("\"'") for w in rest.split()):
        if skip:
            skip = False
        elif word in _OPTIONS_WITH_VALUES:
            skip = True  # install -m 640, -o user: the value is no operand
        elif not word.startswith("-"):
            operands.append(word)
    return operands


def provisioning_claims(line: DocLine) -> Iterator[Claim]:
    """Env files and unit files a fenced provisioning step touches.

    ``@env-file``: the target of ``cp``/``install``/``mv``/``ln`` and the operand of
    ``chown``/``chmod`` when it is an env file (a ``.env`` name or ``*.env``) given
    as an absolute path, or any env file ``chown``/``chmod`` secures.  ``@unit-file``:
    a repository unit file (``deploy/x.service``) copied or installed somewhere.
    """
    for verb, operands, offset in provisioning_steps(line):
        if verb in ("chown", "chmod"):
            targets = operands[1:]  # owner or mode first
        else:
            targets = operands[-1:] if len(operands) >= 2 else []
            for source in operands[:-1]:
                if source.endswith(".service") and "/" in source and not source.startswith(("/", "~", "$")) \
                        and not is_placeholder(source):
                    yield Claim("@unit-file", source.removeprefix("./"), location_at(line, offset), line)
        for target in targets:
            if _is_env_name(target) and (target.startswith("/") or verb in ("chown", "chmod")) \
                    and not is_placeholder(target):
                yield Claim("@env-file", target, location_at(line, offset), line)


def _is_env_name(path: str) -> bool:
    name = posixpath.basename(path.rstrip("/"))
    return name == ".env" or name.endswith(".env")
