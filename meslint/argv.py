"""Understand a command line: conda wrapper, program, and the options the contract cares about.

Used for systemd Exec lines (after systemd's own substitution) and for commands
in shell scripts.  Works on words that may still be templates.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from functools import lru_cache

SHELLS = frozenset({"bash", "sh", "dash", "zsh"})  # programs that run a script: `-c STRING` or a file
_WRAPPERS = {"env", "nohup", "setsid", "exec", "sudo", "nice", "stdbuf", "timeout", "chrt", "ionice"}
_PYTHONS = {"python", "python3"}


@dataclass
class CommandInfo:
    argv: tuple[str, ...]
    program: str = ""  # basename of the program finally run: gunicorn, python, rq, ...
    program_index: int = -1
    conda_bin: str | None = None  # argv[0] of `conda run`
    conda_env: str | None = None  # -n/--name of `conda run`, or the env of `conda activate`
    conda_prefix: str | None = None  # -p/--prefix
    shell_script: str | None = None  # the script string of `bash -c SCRIPT`
    script: str | None = None  # python SCRIPT.py, the first non-option argument
    options: dict[str, str] = field(default_factory=dict)  # long option name -> value
    args: tuple[str, ...] = ()  # arguments after the program
    positional: tuple[str, ...] = ()  # the arguments that are neither options nor option values


@lru_cache(maxsize=4096)
def basename(word: str) -> str:
    # Cached: every analysed command line asks this of the same few words again and again.
    return posixpath.basename(word.strip("\"'"))


def analyze(argv: tuple[str, ...]) -> CommandInfo:
    info = CommandInfo(argv)
    i = _skip_wrappers(argv, 0)
    if i < len(argv) and basename(argv[i]) in SHELLS:
        script = _shell_c_argument(argv, i + 1)
        if script is not None:
            info.program = basename(argv[i])
            info.program_index = i
            info.shell_script = script
            return info
    if i < len(argv) and basename(argv[i]) == "conda" and i + 1 < len(argv) and argv[i + 1] in {"run", "activate"}:
        info.conda_bin = argv[i]
        i = _conda(argv, i + 1, info)
        i = _skip_wrappers(argv, i)
    if i >= len(argv):
        return info
    info.program = basename(argv[i])
    info.program_index = i
    info.args = tuple(argv[i + 1 :])
    _options(info)
    return info


def _skip_wrappers(argv: tuple[str, ...], i: int) -> int:
    while i < len(argv):
        word = basename(argv[i])
        if word in _WRAPPERS:
            i += 1
            # env VAR=x ..., env -i, nohup, timeout 10 ...
            while i < len(argv) and ("=" in argv[i].split("/")[0] or argv[i].startswith("-")
                                     or (word == "timeout" and argv[i][:1].isdigit())):
                i += 1
            continue
        if "=" in argv[i] and not argv[i].startswith(("-", "/", ".")) and argv[i].split("=")[0].isidentifier():
            i += 1  # VAR=value prefix
            continue
        return i
    return i


def _shell_c_argument(argv: tuple[str, ...], i: int) -> str | None:
    while i < len(argv) and argv[i].startswith("-"):
        flags = argv[i]
        i += 1
        if "c" in flags[1:] and not flags.startswith("--"):
            return argv[i] if i < len(argv) else None
    return None


def _conda(argv: tuple[str, ...], i: int, info: CommandInfo) -> int:
    sub = argv[i]
    i += 1
    if sub == "activate":
        if i < len(argv):
            info.conda_env = argv[i]
        return len(argv)
    while i < len(argv) and argv[i].startswith("-"):
        flag = argv[i]
        if flag in {"-n", "--name"} and i + 1 < len(argv):
            info.conda_env = argv[i + 1]
            i += 2
        elif flag.startswith("--name="):
            info.conda_env = flag.split("=", 1)[1]
            i += 1
        elif flag in {"-p", "--prefix"} and i + 1 < len(argv):
            info.conda_prefix = argv[i + 1]
            i += 2
        elif flag in {"--cwd"} and i + 1 < len(argv):
            i += 2
        else:
            i += 1
    return i


# Short options of the programs the contract cares about, mapped to long names.
_SHORT = {
    "gunicorn": {"-b": "bind", "-p": "pid", "-c": "config", "-w": "workers", "-k": "worker-class",
                 "-t": "timeout", "-D": "daemon"},
    "rq": {"-u": "url", "-P": "path", "-c": "config", "-q": "quiet"},
}
_FLAGS_WITHOUT_VALUE = {"daemon", "preload", "capture-output", "reload", "quiet", "with-scheduler", "burst",
                        "no-capture-output", "verbose"}


def _options(info: CommandInfo) -> None:
    shorts = _SHORT.get(info.program, {})
    positional: list[str] = []
    args = info.args
    i = 0
    while i < len(args):
        word = args[i]
        name = None
        value = None
        if word.startswith("--") and len(word) > 2:
            name, _, value = word[2:].partition("=")
            value = value if "=" in word else None
        elif word in shorts:
            name = shorts[word]
        elif word.startswith("-") and word[:2] in shorts and len(word) > 2:
            name, value = shorts[word[:2]], word[2:]
        if name is None:
            positional.append(word)
            i += 1
            continue
        if value is None and name not in _FLAGS_WITHOUT_VALUE and i + 1 < len(args):
            value = args[i + 1]
            i += 1
        info.options.setdefault(name, value or "")
        i += 1
    info.positional = tuple(positional)
    if info.program in _PYTHONS or info.program.startswith("python3."):
        for word in positional:
            if word in {"-", "-m", "-c"}:
                break
            if word.startswith("-"):
                continue  # interpreter flags such as -u, -O
            info.script = word
            break
    if info.program == "rq" and positional[:1] == ["worker"]:
        info.options.setdefault("queues", " ".join(positional[1:]))


# `rq worker` options that take no value (rq's click definitions).
_NO_VALUE = {"burst", "with-scheduler", "quiet", "verbose", "q", "b", "s", "v", "sentry-debug",
             "disable-job-desc-logging", "disable-default-exception-handler"}


def queue_words(raw: tuple[str, ...], values: tuple[str | None, ...]) -> list[tuple[str, str | None]]:
    """(raw template, evaluated value) of each queue argument of an ``rq worker`` command.

    ``values`` are the evaluated words (None when unknown), index-aligned with ``raw``.
    """
    shown = tuple(v if v is not None else r for r, v in zip(raw, values, strict=True))
    info = analyze(shown)
    if info.program != "rq" or not info.args or info.args[0] != "worker":
        return []
    queues = []
    skip = False
    for index in range(info.program_index + 2, len(raw)):
        word = shown[index]
        if skip:
            skip = False
            continue
        if word.startswith("-"):
            name = word.lstrip("-").split("=", 1)[0]
            skip = "=" not in word and name not in _NO_VALUE
            continue
        queues.append((raw[index], values[index]))
    return queues
