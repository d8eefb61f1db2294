"""Real bash as a test oracle, run so that generated input can do nothing.

The file under test is sourced with ``set -a`` by a bash that has every builtin
disabled except the few that assign or print, with ``PATH`` pointing at an
empty directory and the working directory a fresh temporary one: a word bash
takes as a command finds nothing to run.  Generators feeding it use
side-effect-free characters only (no ``( ) ` ; & | < > ! * ? [ ~``).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

BASH = shutil.which("bash") or "/bin/bash"

KEEP_BUILTINS = {"builtin", "export", "unset", ".", "source", ":", "true", "false", "printf"}
FILE_NAME = "in@put"  # "@" is not in the generators' alphabets: the file cannot source itself
SYNTAX_ERRORS = ("syntax error", "unexpected EOF", "unexpected end of file")

_DISABLE: list[str] = []


def _builtins_to_disable() -> list[str]:
    if not _DISABLE:
        cmd = [BASH, "--noprofile", "--norc", "-c", "enable"]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        _DISABLE.extend(line.split()[-1] for line in out.stdout.splitlines() if line.split()[-1] not in KEEP_BUILTINS)
    return _DISABLE


def run_bash(text: str, names: list[str]) -> tuple[bool, dict[str, str] | None]:
    """(syntax ok, variables set after `set -a; . FILE`) from one sandboxed bash."""
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, FILE_NAME).write_text(text, encoding="utf-8")
        empty = Path(tmp, "empty-path")
        empty.mkdir()
        env = {"PATH": str(empty), "LC_ALL": "C.UTF-8", "HOME": tmp}
        script = (
            "set -a\n"
            f"enable -n {' '.join(_builtins_to_disable())}\n"
            f". ./{FILE_NAME} >/dev/null 2>./stderr </dev/null\n"
            f'for v in {" ".join(names)}; do if [[ -n "${{!v+x}}" ]]; then '
            'builtin printf "%s\\0%s\\0" "$v" "${!v}"; fi; done\n'
            "builtin printf 'END\\0'\n"
        )
        proc = subprocess.run(
            [BASH, "--noprofile", "--norc", "-c", script],
            cwd=tmp,
            env=env,
            capture_output=True,
            timeout=10,
            stdin=subprocess.DEVNULL,
        )
        errors = Path(tmp, "stderr").read_text(encoding="utf-8", errors="replace")
    if any(marker in errors for marker in SYNTAX_ERRORS):
        return False, None
    fields = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
    if "END" not in fields:
        return True, None
    fields = fields[: fields.index("END")]
    return True, dict(zip(fields[0::2], fields[1::2], strict=True))
