#!/usr/bin/env python3
"""Benchmark ``meslint check`` against ``ruff check`` on the same trees (whole process).

    python bench/bench.py --repo /path/to/DashBoard_clone --scales 1 10 100 --runs 5

For each tree (the ``--repo`` checkout, then a synthetic MES-Dashboard-shaped
repository generated fresh at each ``--scales`` factor) it measures, alternating
the tools run by run after one warm-up each:

* meslint cold (``--no-cache``) and ruff cold (``--no-cache``);
* meslint warm and ruff warm: caches primed, nothing changed since (meslint replays its
  run cache; ruff reuses its per-file cache);
* meslint after one edit: a unit file is rewritten before each run, so the run cache
  misses and the run re-parses that file, takes every other file from the fact cache
  and runs all checks (what a pre-commit hook sees right after an edit);
* the editor path: ``meslint check --stdin-filename <unit> -`` on a warm cache, with the
  buffer equal to the saved file (replayed) and with an edited buffer (evaluated).
* the default pre-commit hook: ``meslint check --staged`` right after a unit edit is staged (the
  tree committed to a git repository of its own first);
* with ``--server``, every mode again with a ``meslint server`` running (rows "+ server").

A tree must be older than the run cache's racy window (2 s) before its runs are recorded,
so the script waits that long after generating a synthetic tree.

Wall time is the median of ``--runs`` runs; peak RSS is the largest
``ru_maxrss`` of the child processes (``resource.getrusage(RUSAGE_CHILDREN)``
only ever grows, so each run is measured in a fresh helper process).  ruff runs
with the tree's own configuration (the synthetic tree ships a pyproject.toml
with a ``[tool.ruff]`` table like the real one).  Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Runs one command and prints its wall time and the child's peak RSS (KiB): a fresh
# process per measurement so RUSAGE_CHILDREN is not polluted by earlier runs.
_TIMER = r"""
import json, resource, subprocess, sys, time
argv = json.loads(sys.argv[1]); stdin = sys.argv[2] if len(sys.argv) > 2 else None
data = open(stdin, "rb").read() if stdin else None
start = time.perf_counter()
done = subprocess.run(argv, input=data, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                      cwd=json.loads(sys.argv[3]) if len(sys.argv) > 3 else None)
wall = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"wall": wall, "rss_kib": rss, "rc": done.returncode, "err": done.stderr.decode()[-400:]}))
"""


# pip compiles an installed package's bytecode at install time; a PYTHONDONTWRITEBYTECODE
# inherited from the shell would make every measured run compile meslint from source.
_CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
_CHILD_ENV["MESLINT_NO_SERVER"] = "1"  # each run in its own process, unless --server asks for the rows with one


@contextlib.contextmanager
def resident_server(meslint: list[str], workdir: Path):
    """A `meslint server` of its own (private runtime directory) for the rows measured inside."""
    env = {**_CHILD_ENV, "XDG_RUNTIME_DIR": str(workdir / "runtime")}
    env.pop("MESLINT_NO_SERVER")
    (workdir / "runtime").mkdir(mode=0o700, exist_ok=True)
    started = subprocess.run([*meslint, "server", "start"], capture_output=True, text=True, env=env)
    if started.returncode != 0:
        raise SystemExit(f"meslint server start failed: {started.stderr.strip()}")
    saved = dict(_CHILD_ENV)
    _CHILD_ENV.clear()
    _CHILD_ENV.update(env)
    try:
        yield
    finally:
        _CHILD_ENV.clear()
        _CHILD_ENV.update(saved)
        subprocess.run([*meslint, "server", "stop"], capture_output=True, env=env)


def measure(argv: list[str], *, cwd: Path, stdin: Path | None = None) -> dict:
    command = [sys.executable, "-c", _TIMER, json.dumps(argv), str(stdin or ""), json.dumps(str(cwd))]
    out = subprocess.run(command, capture_output=True, text=True, check=True, env=_CHILD_ENV).stdout
    result = json.loads(out)
    if result["rc"] not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed with exit {result['rc']}: {result['err']}")
    return result


# --------------------------------------------------------------------------- synthetic tree

_UNIT = """[Unit]
Description=MES Dashboard {what}
After=network.target redis-server.service

[Service]
Type={type}
User=mes
WorkingDirectory=/opt/mes-dashboard
EnvironmentFile=-/opt/mes-dashboard/.env
Environment="CONDA_BIN=/opt/miniconda3/bin/conda" "CONDA_ENV_NAME=mes-dashboard"
Environment="PYTHONPATH=/opt/mes-dashboard/src"
Environment="WATCHDOG_RUNTIME_DIR=/run/mes-dashboard"
Environment="WATCHDOG_RESTART_FLAG=/run/mes-dashboard/mes_dashboard_restart.flag"
Environment="WATCHDOG_PID_FILE=/run/mes-dashboard/gunicorn.pid"
Environment="WATCHDOG_STATE_FILE=/var/lib/mes-dashboard/restart_state.json"
RuntimeDirectory=mes-dashboard
StateDirectory=mes-dashboard
{pidfile}ExecStart=/opt/miniconda3/bin/conda run --no-capture-output -n mes-dashboard {command}
Restart=always
TimeoutStopSec=330
ProtectSystem=strict
ReadWritePaths=/opt/mes-dashboard/logs
PrivateTmp=yes

[Install]
WantedBy=multi-user.target
"""

_ENV_HEAD = """# MES Dashboard environment template: copy to .env
CONDA_BIN=/opt/miniconda3/bin/conda
CONDA_ENV_NAME=mes-dashboard
GUNICORN_BIND=0.0.0.0:8080
GUNICORN_WORKERS=2
GUNICORN_GRACEFUL_TIMEOUT=300
WATCHDOG_RUNTIME_DIR=/run/mes-dashboard
WATCHDOG_RESTART_FLAG=/run/mes-dashboard/mes_dashboard_restart.flag
WATCHDOG_PID_FILE=/run/mes-dashboard/gunicorn.pid
WATCHDOG_STATE_FILE=/var/lib/mes-dashboard/restart_state.json
RUNTIME_CONTRACT_ENFORCE=true
"""

_START = """#!/usr/bin/env bash
set -euo pipefail
ROOT="$(cd "$(dirname "${{BASH_SOURCE[0]}}")/.." && pwd)"
cd "$ROOT"
CONDA_BIN="${{CONDA_BIN:-/opt/miniconda3/bin/conda}}"
CONDA_ENV_NAME="${{CONDA_ENV_NAME:-mes-dashboard}}"
GUNICORN_BIND="${{GUNICORN_BIND:-0.0.0.0:8080}}"
WATCHDOG_RUNTIME_DIR="${{WATCHDOG_RUNTIME_DIR:-/run/mes-dashboard}}"
WATCHDOG_PID_FILE="${{WATCHDOG_PID_FILE:-$WATCHDOG_RUNTIME_DIR/gunicorn.pid}}"
WATCHDOG_RESTART_FLAG="${{WATCHDOG_RESTART_FLAG:-$WATCHDOG_RUNTIME_DIR/mes_dashboard_restart.flag}}"
WATCHDOG_STATE_FILE="${{WATCHDOG_STATE_FILE:-/var/lib/mes-dashboard/restart_state.json}}"
if [ -f "$ROOT/.env" ]; then set -a; source "$ROOT/.env"; set +a; fi

check() {{
  RUNTIME_CONTRACT_ENFORCE=true "$CONDA_BIN" run -n "$CONDA_ENV_NAME" python -m mes_dashboard.core.runtime_contract
}}

{workers}
start() {{
  check
  "$CONDA_BIN" run -n "$CONDA_ENV_NAME" gunicorn -c gunicorn.conf.py --bind "$GUNICORN_BIND" \\
    --pid "$WATCHDOG_PID_FILE" "mes_dashboard.app:create_app()" &
{start_workers}}}

case "${{1:-start}}" in
  start) start ;;
  check) check ;;
  stop) kill "$(cat "$WATCHDOG_PID_FILE")" ;;
  *) echo "usage: $0 start|stop|check"; exit 2 ;;
esac
"""

_CONTRACT_PY = '''"""Runtime contract of the MES Dashboard deployment."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CONDA_BIN = os.getenv("CONDA_BIN", "/opt/miniconda3/bin/conda")
CONDA_ENV_NAME = os.getenv("CONDA_ENV_NAME", "mes-dashboard")
WATCHDOG_RUNTIME_DIR = os.getenv("WATCHDOG_RUNTIME_DIR", "/run/mes-dashboard")
WATCHDOG_RESTART_FLAG = os.getenv("WATCHDOG_RESTART_FLAG", f"{WATCHDOG_RUNTIME_DIR}/mes_dashboard_restart.flag")
WATCHDOG_PID_FILE = os.getenv("WATCHDOG_PID_FILE", f"{WATCHDOG_RUNTIME_DIR}/gunicorn.pid")
WATCHDOG_STATE_FILE = os.getenv("WATCHDOG_STATE_FILE", "/var/lib/mes-dashboard/restart_state.json")
GUNICORN_BIND = os.getenv("GUNICORN_BIND", "0.0.0.0:8080")


def validate() -> dict:
    enforce = os.getenv("RUNTIME_CONTRACT_ENFORCE", "false").lower() == "true"
    return {"enforce": enforce, "degraded_reason": None, "thresholds": {}, "recommendation": None}
'''

_GUNICORN = '''import os

bind = os.getenv("GUNICORN_BIND", "0.0.0.0:8080")
workers = int(os.getenv("GUNICORN_WORKERS", "2"))
graceful_timeout = int(os.getenv("GUNICORN_GRACEFUL_TIMEOUT", "300"))
pidfile = os.getenv("WATCHDOG_PID_FILE", "/run/mes-dashboard/gunicorn.pid")
'''

_SERVICE_PY = '''"""{name}: query service {i} of the dashboard (generated benchmark module)."""
from __future__ import annotations

import logging
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass
class Row{i}:
    lot_id: str
    qty: int
    station: str


def fetch_rows_{i}(cursor, since: str) -> list[Row{i}]:
    cursor.execute("SELECT lot_id, qty, station FROM wip WHERE updated > :since", since=since)
    rows = [Row{i}(*r) for r in cursor.fetchall()]
    logger.debug("fetched %d rows", len(rows))
    return rows


def summarize_{i}(rows: list[Row{i}]) -> dict[str, int]:
    totals: dict[str, int] = {{}}
    for row in rows:
        totals[row.station] = totals.get(row.station, 0) + row.qty
    return totals
'''

_CONFIG_PY = '''"""Settings module {i} (reads the environment: parsed deeply by meslint)."""
import os

CACHE_TTL_{i} = int(os.getenv("CACHE_TTL_{i}", "{ttl}"))
QUEUE_{i} = os.environ.get("QUEUE_{i}", "queue-{i}")
SPOOL_DIR_{i} = os.getenv("SPOOL_DIR", "/var/lib/mes-dashboard/spool")


def settings_{i}() -> dict:
    return {{"ttl": CACHE_TTL_{i}, "queue": QUEUE_{i}, "spool": SPOOL_DIR_{i}}}
'''

_TEST_PY = '''from mes_dashboard.services.svc_{i} import summarize_{i}


def test_summarize_{i}():
    assert summarize_{i}([]) == {{}}
'''


def generate(dest: Path, scale: int) -> Path:
    """A deterministic MES-Dashboard-shaped repository, ``scale`` times the base size.

    1x is about the real repository's order of magnitude (~350 Python files, units,
    env template, start script, docs); 100x has tens of thousands of files.
    """
    if dest.exists():
        shutil.rmtree(dest)
    files: dict[str, str] = {}
    n_units = 4 + 2 * scale
    workers, start_workers = [], []
    for u in range(n_units):
        name = f"mes-dashboard-w{u}-worker.service"
        files[f"deploy/{name}"] = _UNIT.format(
            what=f"worker {u}", type="simple", pidfile="",
            command=f"rq worker --url redis://localhost:6379/0 queue-{u}")
        workers.append(f"start_worker_{u}() {{\n"
                       f"  \"$CONDA_BIN\" run -n \"$CONDA_ENV_NAME\" rq worker queue-{u} &\n}}\n")
        start_workers.append(f"  start_worker_{u}\n")
    files["deploy/mes-dashboard.service"] = _UNIT.format(
        what="app", type="forking", pidfile="PIDFile=/run/mes-dashboard/gunicorn.pid\n",
        command="gunicorn -c gunicorn.conf.py --pid /run/mes-dashboard/gunicorn.pid mes_dashboard.app:create_app()")
    files["deploy/mes-dashboard-watchdog.service"] = _UNIT.format(
        what="watchdog", type="simple", pidfile="", command="python scripts/worker_watchdog.py")
    env = [_ENV_HEAD] + [f"CACHE_TTL_{i}={60 * (i % 30 + 1)}\nQUEUE_{i}=queue-{i}\n" for i in range(20 * scale)]
    files[".env.example"] = "".join(env)
    files["scripts/start_server.sh"] = _START.format(workers="".join(workers), start_workers="".join(start_workers))
    files["scripts/worker_watchdog.py"] = _CONTRACT_PY.replace("parents[3]", "parents[1]")
    files["src/mes_dashboard/core/runtime_contract.py"] = _CONTRACT_PY
    files["gunicorn.conf.py"] = _GUNICORN
    files["pyproject.toml"] = ('[project]\nname = "mes-dashboard"\nversion = "1.0"\n\n'
                               '[tool.ruff]\nline-length = 120\ntarget-version = "py311"\n\n'
                               '[tool.ruff.lint]\nselect = ["E", "F", "W", "I", "B"]\n')
    files["environment.yml"] = "name: mes-dashboard\ndependencies:\n  - python=3.11\n  - pip\n"
    for i in range(300 * scale):  # plain modules: no contract tokens, pre-filtered out
        files[f"src/mes_dashboard/services/pkg{i // 100}/svc_{i}.py"] = _SERVICE_PY.format(name=f"svc_{i}", i=i)
    for i in range(30 * scale):  # settings modules: read the environment, parsed deeply
        files[f"src/mes_dashboard/config/pkg{i // 100}/settings_{i}.py"] = _CONFIG_PY.format(i=i, ttl=60 + i)
    for i in range(60 * scale):
        files[f"tests/pkg{i // 100}/test_svc_{i}.py"] = _TEST_PY.format(i=i)
    readme = ["# MES Dashboard\n\n## Runtime contract\n\n| setting | default |\n|---|---|\n"]
    for name in ("CONDA_BIN", "CONDA_ENV_NAME", "GUNICORN_BIND", "WATCHDOG_RUNTIME_DIR", "WATCHDOG_RESTART_FLAG",
                 "WATCHDOG_PID_FILE", "WATCHDOG_STATE_FILE"):
        readme.append(f"| `{name}` | see `.env.example` |\n")
    readme.append("\nRun `RUNTIME_CONTRACT_ENFORCE=true ./scripts/start_server.sh check` before a restart.\n")
    readme.extend(f"\n### Worker {u}\n\n`deploy/mes-dashboard-w{u}-worker.service` serves `queue-{u}`.\n"
                  for u in range(n_units))
    files["README.md"] = "".join(readme)
    for i in range(10 * scale):
        files[f"docs/notes/pkg{i // 100}/note_{i}.md"] = f"# Note {i}\n\n" + "Operational note text. " * 200 + "\n"
    for i in range(20 * scale):
        files[f"frontend/src/pkg{i // 100}/view_{i}.js"] = f"export const view{i} = () => '{'x' * 400}';\n"
    for rel, text in files.items():
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    os.chmod(dest / "scripts/start_server.sh", 0o755)
    return dest


def tree_bytes(root: Path) -> int:
    total = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in (".git", ".meslint_cache", ".ruff_cache", "node_modules")]
        total += sum(os.path.getsize(os.path.join(dirpath, f)) for f in filenames)
    return total


# --------------------------------------------------------------------------- measuring


def meslint_command() -> list[str]:
    """The console script next to this Python, as users run it.  Failing that ``-P -m`` (3.11+):
    plain ``python -m meslint`` would put the working directory (the checked tree) on sys.path."""
    script = Path(sys.executable).with_name("meslint")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-P", "-m", "meslint"] if sys.version_info >= (3, 11) else [sys.executable, "-m", "meslint"]


def edited(key: str, saved: bytes, index: int) -> bytes:
    """``saved`` with the edit ``key`` makes: near the top, so the file's facts change and every later
    line moves (an edit appended as a trailing comment would leave the facts alone and flatter a
    tool that compares parsed facts)."""
    if key == "edit_unit":
        head, found, tail = saved.partition(b"[Service]\n")
        if found:
            return head + found + b'Environment="MESLINT_BENCH_EDIT=%d"\n' % index + tail
        return b"# edit %d\n" % index + saved
    if key == "edit_env":
        return b"MESLINT_BENCH_EDIT=%d\n" % index + saved
    if key == "edit_readme":
        head, _, tail = saved.partition(b"\n")
        return head + b"\n\nEdit %d: one more paragraph of prose.\n" % index + tail
    if key == "edit_py_call":  # a new function with a call of its own: the call graph changes too
        return b"def _meslint_bench_edit():\n    return _meslint_bench_call_%d()\n\n\n" % index + saved
    return b"# edit %d\n" % index + saved  # a .py: every node moves one line down


def has_stdin_filename(meslint: list[str]) -> bool:
    out = subprocess.run([*meslint, "check", "--help"], capture_output=True, text=True).stdout
    return "--stdin-filename" in out


def bench_tree(label: str, root: Path, runs: int, meslint: list[str], ruff: str, editor: bool,
               pause: float = 0.0) -> list[dict]:
    cache_dir = root / ".meslint_cache"
    m_cold = [*meslint, "check", str(root), "--no-cache", "--exit-zero", "--output-format", "concise"]
    m_warm = [*meslint, "check", str(root), "--exit-zero", "--output-format", "concise"]
    r_cold = [ruff, "check", "--no-cache", "--exit-zero", "--quiet", "."]
    r_warm = [ruff, "check", "--exit-zero", "--quiet", "."]
    shutil.rmtree(cache_dir, ignore_errors=True)
    shutil.rmtree(root / ".ruff_cache", ignore_errors=True)
    keys = ("m_cold", "r_cold", "m_warm", "r_warm", "edit_unit", "edit_env", "edit_readme", "edit_py", "edit_py_call",
            "r_edit",
            "editor", "editor_edited", "staged")
    samples: dict[str, list[dict]] = {k: [] for k in keys}
    pairs = [("m_cold", m_cold, "r_cold", r_cold), ("m_warm", m_warm, "r_warm", r_warm)]
    for m_key, m_argv, r_key, r_argv in pairs:
        measure(m_argv, cwd=root)  # warm-up (and primes the caches for the warm pair)
        measure(r_argv, cwd=root)
        for _ in range(runs):  # alternate the tools run by run
            samples[m_key].append(measure(m_argv, cwd=root))
            samples[r_key].append(measure(r_argv, cwd=root))
    unit = next(iter(sorted((root / "deploy").glob("*.service"))), None) if (root / "deploy").is_dir() else None
    if unit is not None and editor:
        saved = unit.read_bytes()
        buffer = root.parent / f".{root.name}-edited-buffer"
        buffer.write_bytes(edited("edit_unit", saved, 0))  # an unsaved edit
        e_argv = [*meslint, "check", str(root), "-", "--stdin-filename", str(unit), "--exit-zero",
                  "--output-format", "concise"]
        measure(e_argv, cwd=root, stdin=unit)
        try:
            samples["editor"] = [measure(e_argv, cwd=root, stdin=unit) for _ in range(runs)]
            samples["editor_edited"] = [measure(e_argv, cwd=root, stdin=buffer) for _ in range(runs)]
        finally:
            buffer.unlink()
    # After one edit, run at once (a pre-commit hook right after saving): each run follows a fresh
    # edit of one file of the kind, so neither tool can replay its last run.  ruff runs after the
    # same kind of edit of the Python file, alternating.
    python_file = _contract_module(root)
    for key, target in (("edit_unit", unit), ("edit_env", root / ".env.example"),
                        ("edit_readme", root / "README.md"), ("edit_py", python_file),
                        ("edit_py_call", python_file)):
        if target is None or not target.is_file():
            continue
        saved = target.read_bytes()
        try:
            measure(m_warm, cwd=root)
            measure(r_warm, cwd=root)
            for index in range(runs):
                time.sleep(pause)
                target.write_bytes(edited(key, saved, index))
                samples[key].append(measure(m_warm, cwd=root))
                if key == "edit_py":
                    time.sleep(pause)
                    target.write_bytes(edited(key, saved, runs + index))
                    samples["r_edit"].append(measure(r_warm, cwd=root))
        finally:
            target.write_bytes(saved)
    if unit is not None and shutil.which("git"):
        samples["staged"] = staged_after_edit(root, unit, runs, meslint, pause)
    shutil.rmtree(cache_dir, ignore_errors=True)
    shutil.rmtree(root / ".ruff_cache", ignore_errors=True)

    def med(key: str) -> float | None:
        return statistics.median(s["wall"] for s in samples[key]) if samples[key] else None

    def rss(key: str) -> float | None:
        return max(s["rss_kib"] for s in samples[key]) / 1024 if samples[key] else None

    return [{
        "tree": label, "bytes": tree_bytes(root),
        "m_cold": med("m_cold"), "r_cold": med("r_cold"), "m_warm": med("m_warm"), "r_warm": med("r_warm"),
        **{key: med(key) for key in EDITS}, "r_edit": med("r_edit"),
        "editor": med("editor"), "editor_edited": med("editor_edited"), "staged": med("staged"),
        "m_rss": max(rss("m_cold") or 0, rss("m_warm") or 0), "r_rss": rss("r_cold"),
    }]


def staged_after_edit(root: Path, unit: Path, runs: int, meslint: list[str], pause: float = 0.0) -> list[dict]:
    """The default pre-commit hook (``check --staged``) right after a unit edit is staged: the tree
    is committed to a git repository of its own first (removed afterwards)."""
    env = {**_CHILD_ENV, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "commit.gpgsign=false", *args], cwd=root, env=env, check=True,
                       capture_output=True)

    argv = [*meslint, "check", str(root), "--staged", "--exit-zero", "--output-format", "concise"]
    saved = unit.read_bytes()
    samples = []
    try:
        git("init", "-q")
        git("add", "-A")
        git("commit", "-qm", "bench base")
        unit.write_bytes(edited("edit_unit", saved, runs))
        git("add", str(unit))
        measure(argv, cwd=root)  # warm-up: HEAD judged once
        for index in range(runs):
            time.sleep(pause)
            unit.write_bytes(edited("edit_unit", saved, index))
            git("add", str(unit))
            samples.append(measure(argv, cwd=root))
    finally:
        unit.write_bytes(saved)
        shutil.rmtree(root / ".git", ignore_errors=True)
    return samples


def _fmt(value: float | None, unit: str = "s") -> str:
    if value is None:
        return "n/a"
    return f"{value * 1000:.0f} ms" if unit == "s" and value < 1 else f"{value:.2f} {unit}"


EDITS = {"edit_unit": "unit", "edit_env": ".env.example", "edit_readme": "README.md", "edit_py": "one .py",
         "edit_py_call": "one .py, a new call"}


def _contract_module(root: Path) -> Path | None:
    """A Python module meslint parses (it reads the environment): the edit that costs meslint most."""
    for candidate in ("src/mes_dashboard/core/runtime_contract.py", "gunicorn.conf.py"):
        if (root / candidate).is_file():
            return root / candidate
    return None


def _ratio(mine: float | None, theirs: float | None) -> str:
    return f"{mine / theirs:.1f}×" if mine and theirs else "n/a"


def table(rows: list[dict], runs: int, pause: float = 0.0) -> str:
    edits = " | ".join(f"after editing {label} | ratio" for label in EDITS.values())
    lines = [
        f"meslint vs ruff, median of {runs} runs (whole process); {date.today().isoformat()}, "
        f"{os.cpu_count()} CPUs ({_cpu_model()}), Python {platform.python_version()}; edit ratios are "
        "against ruff run right after editing one .py" + (
            f"; {pause:g} s between a run and the next edit" if pause else ""),
        "",
        "| tree | bytes | meslint cold | ruff cold | ratio | meslint warm | ruff warm | ratio | ruff after an edit "
        f"| {edits} | editor, saved buffer | editor, edited buffer | pre-commit `--staged`, unit edit | ratio "
        "| meslint peak RSS | ruff peak RSS |",
        "|---|" + "---:|" * (14 + 2 * len(EDITS)),
    ]
    for r in rows:
        edit_cells = " | ".join(f"{_fmt(r[key])} | {_ratio(r[key], r['r_edit'])}" for key in EDITS)
        lines.append(
            f"| {r['tree']} | {r['bytes'] / 1e6:.1f} MB | {_fmt(r['m_cold'])} | {_fmt(r['r_cold'])} | "
            f"{_ratio(r['m_cold'], r['r_cold'])} | {_fmt(r['m_warm'])} | {_fmt(r['r_warm'])} | "
            f"{_ratio(r['m_warm'], r['r_warm'])} | {_fmt(r['r_edit'])} | {edit_cells} | "
            f"{_fmt(r['editor'])} | {_fmt(r['editor_edited'])} | {_fmt(r['staged'])} | "
            f"{_ratio(r['staged'], r['r_edit'])} | {r['m_rss']:.0f} MB | {r['r_rss']:.0f} MB |")
    return "\n".join(lines)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, action="append", default=[],
                        help="a real repository checkout to measure (repeatable)")
    parser.add_argument("--scales", type=int, nargs="*", default=[1, 10, 100],
                        help="synthetic tree scales (default: 1 10 100; none: skip)")
    parser.add_argument("--runs", type=int, default=5, help="measured runs per tool and mode (default 5)")
    parser.add_argument("--workdir", type=Path, help="where synthetic trees are written (default: a temp dir)")
    parser.add_argument("--meslint", default=" ".join(meslint_command()), help="meslint command (default: %(default)s)")
    parser.add_argument("--server", action="store_true",
                        help="also measure each tree with a `meslint server` running (rows marked '+ server')")
    parser.add_argument("--pause", type=float, default=0.0, metavar="SECONDS",
                        help="wait this long between a run and the next edit (default 0: back to back). A person "
                             "saves, then commits or saves again seconds later; a served run writes its caches "
                             "after its answer, which back-to-back runs wait for")
    parser.add_argument("--ruff", default=shutil.which("ruff") or str(Path(sys.executable).with_name("ruff")))
    args = parser.parse_args(argv)
    meslint = args.meslint.split()
    # A meslint that cannot start exits 1 ("No module named meslint"), the same code as a run
    # with findings: without this check every column would time a failure.
    probe = subprocess.run([*meslint, "--version"], capture_output=True, text=True, env=_CHILD_ENV)
    if probe.returncode != 0:
        raise SystemExit(f"{args.meslint} --version failed with exit {probe.returncode}: {probe.stderr.strip()[-400:]}")
    editor = has_stdin_filename(meslint)
    if not editor:
        print("note: this meslint has no --stdin-filename; the editor column is skipped", file=sys.stderr)
    rows: list[dict] = []
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="meslint-bench-"))

    def measure_tree(label: str, tree: Path) -> None:
        """The tree's row (and with --server, its row with a server running), printed as measured."""
        time.sleep(2.1)  # older than the run cache's racy window, as a real checkout is
        rows.extend(bench_tree(label, tree, args.runs, meslint, args.ruff, editor, args.pause))
        print(table(rows, args.runs, args.pause).splitlines()[-1], file=sys.stderr)
        if args.server:
            with resident_server(meslint, workdir):
                rows.extend(bench_tree(f"{label} + server", tree, args.runs, meslint, args.ruff, editor, args.pause))
            print(table(rows, args.runs, args.pause).splitlines()[-1], file=sys.stderr)
    try:
        for repo in args.repo:
            # The edits go to a copy: the given checkout is never written.
            copy = workdir / f"repo-{repo.resolve().name}"
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(repo, copy, symlinks=True, ignore=shutil.ignore_patterns(".meslint_cache", ".ruff_cache"))
            measure_tree(repo.name or str(repo), copy)
            shutil.rmtree(copy, ignore_errors=True)
        for scale in args.scales:
            tree = generate(workdir / f"synthetic-{scale}x", scale)
            measure_tree(f"synthetic {scale}×", tree)
            shutil.rmtree(tree, ignore_errors=True)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(table(rows, args.runs, args.pause))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
