"""A run in a process of its own answers first and saves its caches in a forked writer after
(meslint.cachefiles.finish_in_background); a run that starts meanwhile waits for the writer."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest

from meslint import cachefiles
from tests.conftest import REPO

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the writer is forked")


@pytest.fixture
def queue(tmp_path, monkeypatch):
    """A fresh queue of deferred writes, for the cache directory ``tmp_path/cache``."""
    directory = tmp_path / "cache"
    monkeypatch.setattr(cachefiles, "_USED", [str(directory)])
    monkeypatch.setattr(cachefiles, "_DEFERRED", [])
    return directory


def test_the_caches_are_saved_after_the_caller_goes_on_and_a_reader_waits_for_them(queue) -> None:
    saved = queue.parent / "saved"
    cachefiles.write_later(lambda: (time.sleep(0.3), saved.write_text("done")))
    started = time.monotonic()
    assert cachefiles.finish_in_background()
    assert time.monotonic() - started < 0.2 and not saved.exists()  # the writer has not finished
    cachefiles.wait_for_writer(queue)  # what every cache read does first
    assert saved.read_text() == "done"
    assert time.monotonic() - started >= 0.3


def test_nothing_queued_forks_nothing(queue) -> None:
    assert cachefiles.finish_in_background() is False
    assert not queue.exists()


def test_a_reader_waits_at_most_the_wait_limit(queue, monkeypatch) -> None:
    monkeypatch.setattr(cachefiles, "WAIT_LIMIT", 0.2)
    cachefiles.write_later(lambda: time.sleep(1.5))  # a writer stuck longer than any reader waits
    assert cachefiles.finish_in_background()
    started = time.monotonic()
    cachefiles.wait_for_writer(queue)
    assert 0.15 <= time.monotonic() - started < 1.0


def test_the_callers_streams_end_before_the_writes(tmp_path) -> None:
    # A hook or an editor reads the run's output to its end: the writer must not hold it open.
    saved = tmp_path / "saved"
    script = textwrap.dedent(f"""
        import os, sys, time
        from pathlib import Path
        from meslint import cachefiles
        cachefiles.defer_writes()
        cachefiles.note_used(Path({str(tmp_path / "cache")!r}))
        cachefiles.write_later(lambda: (time.sleep(1.0), Path({str(saved)!r}).write_text("done")))
        print("answer", flush=True)
        print("note", file=sys.stderr, flush=True)
        cachefiles.finish_in_background()
        os._exit(3)
    """)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=30)
    assert (done.returncode, done.stdout, done.stderr) == (3, "answer\n", "note\n")
    assert time.monotonic() - started < 0.9 and not saved.exists()
    deadline = time.monotonic() + 10
    while not saved.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert saved.read_text() == "done"


@pytest.mark.parametrize("plant", ["link", "fifo", "directory"])
def test_a_lock_file_the_repository_planted_is_never_used(queue, tmp_path, plant) -> None:
    queue.mkdir(mode=0o700)
    lock = queue / cachefiles.LOCK_NAME
    outside = tmp_path / "outside"
    if plant == "link":
        lock.symlink_to(outside)
    elif plant == "fifo":
        os.mkfifo(lock)
    else:
        lock.mkdir()
    started = time.monotonic()
    assert cachefiles._lock_directories() == []
    cachefiles.wait_for_writer(queue)
    assert time.monotonic() - started < 0.1  # neither blocks
    assert not outside.exists()


def test_back_to_back_runs_in_processes_of_their_own_agree_and_leave_a_record(tmp_path, caching_on) -> None:
    # The second run starts while the first one's writer may still save: it waits for it.
    import shutil

    from tests.conftest import FIXTURES

    tree = tmp_path / "demo"
    shutil.copytree(FIXTURES / "demo", tree)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    runs = [subprocess.run([sys.executable, "-m", "meslint", "check", str(tree), "--output-format", "json"],
                           capture_output=True, text=True, env=env, timeout=120) for _ in range(2)]
    assert runs[0].stdout == runs[1].stdout and runs[0].returncode == runs[1].returncode == 0
    cachefiles.wait_for_writer(tree / cachefiles.CACHE_DIR_NAME)
    assert (tree / cachefiles.CACHE_DIR_NAME / "run-v1.json").exists()
