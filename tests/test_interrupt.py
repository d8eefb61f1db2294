"""Ctrl-C: exit 130 with one line, no traceback, no hang, no partial cache file.

Parsing a large tree is split between meslint and one forked helper.  A Ctrl-C at
the terminal reaches both (the whole process group); the helper must ignore it and
the parent must kill and reap the helper rather than wait for it: a process pool's
shutdown used to wait forever on a helper blocked writing its results.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from meslint import build, cachefiles
from meslint.discovery import DiscoveredFile
from meslint.facts import FileKind
from tests.conftest import FIXTURES, REPO

pytestmark = pytest.mark.skipif(not os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children"),
                                reason="fork, process groups and /proc/PID/task/PID/children (Linux)")


def test_an_interrupted_parallel_parse_kills_and_reaps_its_helper(tmp_path: Path, monkeypatch) -> None:
    parent = os.getpid()
    pid_file = tmp_path / "helper.pid"

    def parse_file(item, dict_keys=True):
        if os.getpid() != parent:  # the helper: stuck, as one blocked on a full pipe is
            written = pid_file.with_suffix(".tmp")
            written.write_text(str(os.getpid()))
            written.replace(pid_file)  # the parent sees the whole pid or nothing
            time.sleep(60)
        while not pid_file.exists():
            time.sleep(0.01)
        raise KeyboardInterrupt  # Ctrl-C while the parent parses its own share

    def too_slow(signum, frame):
        raise AssertionError("the parent waited for its helper")

    monkeypatch.setattr(build, "parse_file", parse_file)
    jobs = [(DiscoveredFile(f"deploy/u{i}.service", FileKind.UNIT, "[Service]\n", 10), True) for i in range(4)]
    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.alarm(20)
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            build._parse_in_two_processes(jobs)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert time.monotonic() - started < 10
    helper = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):  # killed and reaped: not even a zombie is left
        os.kill(helper, 0)


def _helper_forked(pid: int) -> bool:
    """Whether meslint ``pid`` has forked its parse helper (a child running meslint too, not git)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as children:
            pids = children.read().split()
        with open(f"/proc/{pid}/cmdline", "rb") as command:
            own = command.read()
        for child in pids:
            with open(f"/proc/{child}/cmdline", "rb") as command:
                if command.read() == own:
                    return True
    except OSError:  # a process that just ended
        pass
    return False


@pytest.fixture(scope="module")
def large_tree(tmp_path_factory) -> Path:
    """The demo plus enough unit files that parsing takes the two-process path."""
    root = tmp_path_factory.mktemp("interrupt") / "repo"
    shutil.copytree(FIXTURES / "demo", root, symlinks=True, ignore=shutil.ignore_patterns(".meslint_cache"))
    unit = (root / "deploy" / "mes-dashboard.service").read_text(encoding="utf-8")
    padding = "".join(f"# padding line {j}\nEnvironment=PAD_{j}=value-{j}\n" for j in range(60))
    size = 0
    count = 0
    while size < build.PARALLEL_MIN_BYTES * 1.1:
        text = unit.replace("Demo MES", f"Generated {count}") + padding
        (root / "deploy" / f"generated-{count}.service").write_text(text, encoding="utf-8")
        size += len(text)
        count += 1
    return root


def test_ctrl_c_during_the_parallel_parse(large_tree: Path, tmp_path: Path) -> None:
    """Ten runs, Ctrl-C to the process group at increasing delays after the helper is forked."""
    env = {key: value for key, value in os.environ.items() if key != "MESLINT_NO_CACHE"}
    env.update(PYTHONPATH=str(REPO), XDG_CACHE_HOME=str(tmp_path / "xdg"))
    cache = tmp_path / "cache"
    interrupted = 0
    for attempt in range(10):
        run = subprocess.Popen([sys.executable, "-m", "meslint", "check", str(large_tree), "--cache-dir", str(cache),
                                "--output-format", "concise"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path, env=env,
                               stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 30
        while not _helper_forked(run.pid) and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(attempt * 0.02)
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
        try:
            stdout, stderr = run.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            run.communicate()
            raise AssertionError(f"attempt {attempt}: no exit 20 s after Ctrl-C") from None
        if run.returncode == 130:
            interrupted += 1
            assert stderr == b"meslint: interrupted\n", stderr.decode()
            assert stdout == b""
        else:  # finished before the signal came: a normal run
            assert run.returncode in (0, 1), stderr.decode()
        # The run's caches are saved by a writer it forks once its answer is out (meslint.cachefiles): its
        # partial files are looked for once it is done, as a run starting now would wait for it.
        cachefiles.wait_for_writer(cache)
        leftovers = [p.name for p in cache.rglob("*") if p.name.endswith(".tmp")] if cache.exists() else []
        assert not leftovers, leftovers
        shutil.rmtree(cache, ignore_errors=True)  # every run parses cold, in two processes
    assert interrupted >= 5
