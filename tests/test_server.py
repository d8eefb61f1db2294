"""``meslint server``: runs handed to a resident server give exactly the in-process run's output and status."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from meslint import server_client
from meslint.facts import FileKind
from tests.conftest import FIXTURES, REPO

pytestmark = pytest.mark.skipif(not server_client.supported() or sys.platform != "linux",
                                reason="the server needs fork and descriptor passing")


# -P: never import from the working directory (a checked tree), as every CLI test runs meslint.
PYTHON_M = [sys.executable, "-P", "-m"] if sys.version_info >= (3, 11) else [sys.executable, "-m"]


def _meslint(args, env, stdin=None, cwd=None):
    return subprocess.run([*PYTHON_M, "meslint", *args], capture_output=True, text=True, env=env,
                          input=stdin, cwd=cwd or REPO, timeout=120)


@pytest.fixture
def server_env(tmp_path_factory):
    # A runtime directory of the test's own (short: a Unix socket path has about 100 bytes).
    runtime = tmp_path_factory.mktemp("rt")
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "PYTHONPATH": str(REPO),
           "XDG_CACHE_HOME": str(runtime / "cache-home")}
    env.pop("MESLINT_NO_SERVER", None)
    env.pop("MESLINT_NO_CACHE", None)
    started = _meslint(["server", "start"], env)
    assert started.returncode == 0, started.stderr
    yield env
    _meslint(["server", "stop"], env)


def _served(env) -> int:
    status = _meslint(["server", "status"], env)
    assert status.returncode == 0, status.stdout + status.stderr
    return int(status.stdout.split(" run(s) served")[0].rsplit(", ", 1)[1])


def _warm(env, expected: int) -> int:
    """The number of roots whose caches the server keeps, once it is ``expected`` (the server takes
    them after a run has answered and saved) or 10 s have passed."""
    import time

    deadline = time.monotonic() + 10
    while True:
        kept = int(_meslint(["server", "status"], env).stdout.split(" checked root(s) kept")[0].rsplit(" ", 1)[1])
        if kept == expected or time.monotonic() > deadline:
            return kept
        time.sleep(0.1)


def test_a_served_run_prints_and_exits_as_the_run_in_process(server_env, tmp_path):
    local = {**server_env, "MESLINT_NO_SERVER": "1"}
    demo = FIXTURES / "demo"
    cached = ["check", str(FIXTURES / "MES201" / "bad"), "--output-format", "json", "--cache-dir", str(tmp_path / "c")]
    # The cached run twice: the second one's facts come from the server's decoded copy of the cache.
    for args in (cached, ["check", str(FIXTURES / "MES201" / "bad"), "--output-format", "json", "--no-cache"], cached,
                 ["check", str(demo), "--output-format", "concise", "--no-cache"],
                 ["rule", "MES601"], ["check", "--no-such-option"]):
        before = _served(server_env)
        served, direct = _meslint(args, server_env), _meslint(args, local)
        assert _served(server_env) == before + 1, args  # the server ran it
        assert (served.returncode, served.stdout, served.stderr) == (direct.returncode, direct.stdout, direct.stderr)


def test_a_served_run_reads_the_clients_standard_input_and_working_directory(server_env):
    local = {**server_env, "MESLINT_NO_SERVER": "1"}
    root = FIXTURES / "MES201" / "good"
    unit = next(p for p in sorted(root.rglob("*.service")))
    text = unit.read_text() + "\n[Service]\nUser=root\n"
    args = ["check", ".", "--no-cache", "--output-format", "concise", "--stdin-filename",
            str(unit.relative_to(root)), "-"]
    served = _meslint(args, server_env, stdin=text, cwd=root)
    direct = _meslint(args, local, stdin=text, cwd=root)
    assert (served.returncode, served.stdout, served.stderr) == (direct.returncode, direct.stdout, direct.stderr)


def test_a_client_of_other_meslint_sources_runs_itself(server_env):
    probe = ("import sys; from meslint import server_client as c; c.stamp = lambda: 'other'; "
             "print(c.try_server(['rules']))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=server_env, timeout=60)
    assert done.stdout.strip() == "None", done.stderr
    assert "other meslint sources" not in _meslint(["server", "status"], server_env).stdout


def test_a_runtime_directory_others_can_enter_is_refused(tmp_path):
    runtime = tmp_path / "open"
    (runtime / "meslint").mkdir(parents=True)
    (runtime / "meslint").chmod(0o755)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "PYTHONPATH": str(REPO)}
    started = _meslint(["server", "start"], env)
    assert started.returncode == 2
    assert started.stderr.count("\n") == 1 and "mode 0700" in started.stderr
    assert _meslint(["server", "status"], env).returncode == 1


def test_a_client_interrupted_ends_its_run_in_the_server(server_env, tmp_path):
    import shutil
    import signal
    import time

    def running() -> int:
        return int(_meslint(["server", "status"], server_env).stdout.split(" running now")[0].rsplit(", ", 1)[1])

    tree = shutil.copytree(FIXTURES / "demo", tmp_path / "demo", ignore=shutil.ignore_patterns(".meslint_cache"))
    # The served run waits for the client's standard input, which stays open and empty: only the
    # server can end it.
    client = subprocess.Popen([*PYTHON_M, "meslint", "check", "--no-cache",
                               "--stdin-filename", "deploy/mes-dashboard.service"], env=server_env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tree)
    try:
        deadline = time.monotonic() + 60
        while running() == 0:
            assert time.monotonic() < deadline and client.poll() is None
            time.sleep(0.1)
        client.send_signal(signal.SIGINT)
        assert client.wait(timeout=30) == 130
        while running() != 0:  # the server ended the run the client left
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert client.stderr.read().decode().strip() == "meslint: interrupted"  # and nothing from the run
        assert client.stdout.read() == b""
    finally:
        client.kill()
        client.wait()
        client.stdin.close()


def test_stop_ends_it(server_env):
    assert _meslint(["server", "stop"], server_env).stdout.strip() == "meslint server: stopped"
    assert _meslint(["server", "status"], server_env).returncode == 1


def test_a_run_after_an_edit_served_with_the_resident_record_equals_a_fresh_run(server_env, tmp_path):
    import shutil

    tree = tmp_path / "tree"
    shutil.copytree(FIXTURES / "demo", tree, ignore=shutil.ignore_patterns(".meslint_cache"))
    local = {**server_env, "MESLINT_NO_SERVER": "1"}
    args = ["check", str(tree), "--output-format", "json", "--cache-dir", str(tmp_path / "c")]
    assert _warm(server_env, 0) == 0
    before = _meslint(args, server_env)  # records; the server then keeps its facts and per-check record
    again = _meslint(args, server_env)  # a replay: it opens no fact cache, and the caches are kept still
    assert again.stdout == before.stdout and _warm(server_env, 1) == 1
    unit = sorted((tree / "deploy").glob("*.service"))[0]
    unit.write_text(unit.read_text().replace("User=mes\n", "User=root\n", 1))
    served = _meslint(args, server_env)
    fresh = _meslint(["check", str(tree), "--output-format", "json", "--no-cache"], local)
    assert (served.returncode, served.stdout) == (fresh.returncode, fresh.stdout)
    assert served.stdout != before.stdout  # the edit is seen (a user switch splits the units)


def _tree_with_cache(tmp_path, monkeypatch):
    """The demo checked once with caching on: a fact index and a per-check record on disk."""
    import shutil

    from meslint import cachefiles
    from meslint.cli import main

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("MESLINT_NO_CACHE", raising=False)
    tree = tmp_path / "demo"
    shutil.copytree(FIXTURES / "demo", tree, ignore=shutil.ignore_patterns(".meslint_cache"))
    main(["check", str(tree), "--exit-zero", "-q"])
    cachefiles.configure(enabled=False)
    return tree, tree / cachefiles.CACHE_DIR_NAME


def test_warm_facts_are_served_without_decoding_and_only_for_the_verified_file(tmp_path, monkeypatch, capsys):
    from meslint import cache, cachefiles

    _, directory = _tree_with_cache(tmp_path, monkeypatch)
    monkeypatch.setattr(cache, "RESIDENT", cachefiles.Resident(cache.INDEX_NAME))
    cache.warm(directory)
    index = dict(cache.RESIDENT._kept[str(directory)][2][1])
    assert index
    path, facts = next(iter(index.items()))

    def no_decoding(data):
        raise AssertionError("decoded although a resident copy was there")

    monkeypatch.setattr(cache, "_facts_of", no_decoding)
    resident = cache.FactCache(directory)
    key = resident._old[path][0]
    assert resident._decoded[path] is facts
    # get() compares the content key (patched to the recorded one: the kind and text play no part)
    monkeypatch.setattr(cache, "content_key", lambda *a, **k: key)
    assert resident.get(FileKind.UNIT, path, "") is facts
    # A replaced index (same bytes, new file) is not the one that was verified: read from disk again.
    data = (directory / cache.INDEX_NAME).read_bytes()
    (directory / cache.INDEX_NAME).unlink()
    (directory / cache.INDEX_NAME).write_bytes(data)
    assert cache.FactCache(directory)._decoded == {}


def test_the_resident_record_is_taken_only_under_the_same_settings_and_file(tmp_path, monkeypatch):
    from meslint import cachefiles, run_cache
    from meslint.config import load_settings

    tree, directory = _tree_with_cache(tmp_path, monkeypatch)
    monkeypatch.setattr(run_cache, "RESIDENT", cachefiles.Resident(run_cache.DEPS_NAME))
    run_cache.warm(directory)
    kept = run_cache.RESIDENT._kept[str(directory)][2][1]
    cachefiles.configure(enabled=True)
    settings = load_settings(tree)
    assert run_cache.RunCache.open(tree, settings).prior is kept
    settings.select = ["MES2"]  # other settings: another key, the record is not theirs
    other = run_cache.RunCache.open(tree, settings)
    assert other.prior is not kept
    data = (directory / run_cache.DEPS_NAME).read_bytes()
    (directory / run_cache.DEPS_NAME).unlink()
    (directory / run_cache.DEPS_NAME).write_bytes(data)
    assert run_cache.RunCache.open(tree, load_settings(tree)).prior is not kept
    cachefiles.configure(enabled=False)


def _site(base, record: str, deps: dict[str, str]):
    site = base / "site-packages"
    info = site / "meslint-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "RECORD").write_text(record)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: meslint\nRequires-Dist: PyYAML>=6\n"
                                   "Requires-Dist: markdown-it-py>=3\nRequires-Dist: pytest>=8; extra == \"test\"\n")
    for name, version in deps.items():
        (site / f"{name}-{version}.dist-info").mkdir()
    return site


def test_the_same_wheel_in_two_environments_is_one_meslint(tmp_path, monkeypatch):
    record = "meslint/__init__.py,sha256=abc,10\nmeslint/cli.py,sha256=def,20\n"
    deps = {"PyYAML": "6.0.2", "markdown_it_py": "3.0.0", "pytest": "8.0.0"}
    one, two = _site(tmp_path / "a", record, deps), _site(tmp_path / "b", record, {**deps, "pytest": "9.0"})
    monkeypatch.setattr(sys, "path", [str(one)])
    first = server_client._installed(str(one))
    monkeypatch.setattr(sys, "path", [str(two)])
    assert server_client._installed(str(two)) == first  # a test extra's version plays no part
    assert first is not None and "PyYAML-6.0.2.dist-info" in first and not any("pytest" in p for p in first)
    other = _site(tmp_path / "c", record, {**deps, "PyYAML": "6.0.3"})
    monkeypatch.setattr(sys, "path", [str(other)])
    assert server_client._installed(str(other)) != first  # another dependency version: another meslint
    changed = _site(tmp_path / "d", record.replace("def", "xyz"), deps)
    monkeypatch.setattr(sys, "path", [str(changed)])
    assert server_client._installed(str(changed)) != first  # other installed bytes
    editable = _site(tmp_path / "e", "__editable__.meslint.pth,sha256=x,1\n", deps)
    assert server_client._installed(str(editable)) is None  # the sources are elsewhere: stamped by path


def test_a_server_keeps_the_caches_of_the_latest_roots_only(tmp_path, monkeypatch):
    from meslint import cachefiles

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))  # a private signing key
    resident = cachefiles.Resident("kept")
    for i in range(cachefiles.RESIDENT_DIRECTORIES + 3):
        directory = tmp_path / f"r{i}"
        directory.mkdir(mode=0o700)
        (directory / "kept").write_text("x")
        resident.refresh(directory, lambda secret, before: "payload")
    assert list(resident._kept) == [str(tmp_path / f"r{i}") for i in range(3, cachefiles.RESIDENT_DIRECTORIES + 3)]


def test_a_served_run_writes_files_with_the_clients_umask(server_env, tmp_path):
    import shutil
    import stat

    tree = shutil.copytree(FIXTURES / "demo", tmp_path / "demo", ignore=shutil.ignore_patterns(".meslint_cache"))
    args = ["check", str(tree), "--no-cache", "--write-baseline", str(tree / "b.json")]
    probe = ("import os, sys; os.umask(0o077); from meslint.server_client import try_server; "
             f"sys.exit(try_server({args!r}))")
    done = subprocess.run([sys.executable, "-c", probe], env=server_env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE((tree / "b.json").stat().st_mode) & 0o077 == 0


def test_the_way_to_a_served_run_imports_nothing_costly():
    """The client is the whole cost of a served run but the child's: it must not import ``socket``,
    ``json``, ``hashlib``, ``tempfile`` or ``re`` (about 35 ms together) to hand a run over."""
    code = ("import sys; before = set(sys.modules)\n"
            "from meslint import server_client\n"
            "server_client.stamp(); server_client.try_server(['--version'])\n"
            "print(sorted({'socket', 'json', 'hashlib', 'tempfile', 're', 'pathlib'} & (set(sys.modules) - before)))\n")
    env = {**os.environ, "PYTHONPATH": str(REPO), "MESLINT_NO_SERVER": ""}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_required_distributions_are_read_as_packaging_reads_them():
    metadata = ("Name: meslint\nRequires-Dist: PyYAML>=6\nRequires-Dist: markdown-it-py (>=3)\n"
                "Requires-Dist: tomli>=1; python_version < \"3.11\"\n"
                "Requires-Dist: pytest>=8; extra == \"test\"\n"
                "Requires-Dist: ruff ; python_version>'3' and extra  ==  'dev'\n")
    assert server_client._required(metadata) == ["PyYAML", "markdown-it-py", "tomli"]
    assert server_client._normal("Markdown-It..Py") == "markdown_it_py" == server_client._normal("markdown_it_py")


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads through /proc")
def test_the_preloaded_server_has_one_thread_to_fork():
    """A forked child has only the thread that forked: anything preloaded or warmed up must start no
    thread (the Dockerfile parser's Go runtime does, so it is left to the children)."""
    code = ("import os\nfrom meslint.server import _warm_up, preload\npreload()\n_warm_up()\n"
            "print(len(os.listdir('/proc/self/task')))\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.strip() == "1"


def test_the_warm_up_checks_its_tree_with_every_built_in_pack(monkeypatch):
    """The warm-up really runs checks (a run that stopped at a usage error would warm nothing), and it
    leaves nothing behind: no cache setting on, its temporary tree gone."""
    from meslint import cachefiles, cli, server
    from meslint.pack_files import builtin_pack_names

    results: list[tuple[str, int]] = []
    real_main = cli.main

    def recorded(argv):
        code = real_main(argv)
        results.append((argv[argv.index("--contract") + 1], code))
        return code

    monkeypatch.setattr(cli, "main", recorded)
    server._warm_up()
    assert [name for name, _ in results] == builtin_pack_names() and {code for _, code in results} == {0}
    assert cachefiles.directory_for(REPO) is None  # --no-cache: caching is off again


def test_meslint_server_auto_starts_one_for_the_next_runs(tmp_path_factory):
    """``MESLINT_SERVER=auto``: a run that finds no server runs in its own process and starts one in
    the background; the runs after it are served.  Without the variable nothing is started."""
    import time

    runtime = tmp_path_factory.mktemp("rt-auto")
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "PYTHONPATH": str(REPO)}
    env.pop("MESLINT_NO_SERVER", None)
    env.pop("MESLINT_SERVER", None)
    assert _meslint(["--version"], env).returncode == 0
    time.sleep(0.5)
    assert _meslint(["server", "status"], env).returncode == 1  # none was started
    env["MESLINT_SERVER"] = "auto"
    try:
        first = _meslint(["--version"], env)
        assert first.returncode == 0 and "meslint" in first.stdout  # answered here, at once
        deadline = time.monotonic() + 30
        while _meslint(["server", "status"], env).returncode != 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _meslint(["--version"], env).returncode == 0
        assert _served(env) >= 1  # the run after it was served
    finally:
        _meslint(["server", "stop"], env)


def test_the_clients_streams_end_with_its_answer_not_after_the_cache_writes(tmp_path):
    """A caller that reads a served run's output to the end (pre-commit, an editor) has it when the
    run answers: the child's later cache writes keep none of the client's descriptors open."""
    import socket
    import time

    from meslint import server

    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    stdin = os.open(os.devnull, os.O_RDONLY)
    client, child_end = socket.socketpair()
    report_r, report_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the served child, with a cache write that takes 5 s after its answer
        try:
            from meslint import cachefiles

            def slow_writes() -> None:
                cachefiles._DEFERRED = [lambda: time.sleep(5)]

            cachefiles.defer_writes = slow_writes
            request = {"encodings": ["utf-8"] * 3, "errors": ["strict"] * 3, "cwd": str(tmp_path), "umask": 0o22,
                       "env": {"PATH": os.environ.get("PATH", "")}, "argv": ["rule", "MES601"]}
            server._run_child(child_end, [stdin, out_w, err_w], request, report_w)
        finally:
            os._exit(3)
    for fd in (out_w, err_w, stdin, report_w):
        os.close(fd)
    child_end.close()
    try:
        started = time.monotonic()
        output = b""
        while chunk := os.read(out_r, 1 << 16):
            output += chunk
        waited = time.monotonic() - started
        assert client.recv(4) == b"\0\0\0\0"  # exit status 0
        assert os.waitpid(pid, os.WNOHANG) == (0, 0)  # still writing its caches
        assert waited < 4, waited
        assert b"MES601" in output
    finally:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        for fd in (out_r, err_r, report_r):
            os.close(fd)
        client.close()


def test_a_new_request_waits_only_for_children_writing_caches_and_not_for_long(monkeypatch):
    from meslint import server

    clock = [100.0]
    monkeypatch.setattr(server.time, "monotonic", lambda: clock[0])
    running, writing, done = (server._Run(pid, -1, None) for pid in (1, 2, 3))  # type: ignore[arg-type]
    writing.answered = 100.0
    done.answered, done.done = 99.9, True
    assert not server._writing({1: running, 3: done})  # still computing its answer, or finished
    assert server._writing({1: running, 2: writing})
    clock[0] = 100.0 + server._HOLD_LIMIT
    assert not server._writing({2: writing})  # a bounded wait


class _FakeSocket:
    """A client socket whose server reads the whole request, answers and closes at once (as a fast run
    on a loaded machine does before the client is scheduled again)."""

    sendmsg_fails = False

    def __init__(self, *_args) -> None:
        pass

    def connect(self, _path) -> None:
        pass

    def sendmsg(self, buffers, _ancillary) -> int:
        if self.sendmsg_fails:
            raise BrokenPipeError(32, "Broken pipe")
        return sum(len(b) for b in buffers)  # all of it

    def sendall(self, data: bytes) -> None:
        raise BrokenPipeError(32, "Broken pipe")  # even for nothing: the server has closed

    def recv(self, size: int) -> bytes:
        return (1).to_bytes(4, "big")[:size]

    def close(self) -> None:
        pass


@pytest.mark.parametrize("sendmsg_fails", [False, True])
def test_a_request_delivered_whole_is_never_run_again_by_the_client(tmp_path, monkeypatch, sendmsg_fails) -> None:
    # Under load the server could answer and close before the client sent an empty remainder: the client
    # took the EPIPE for "no server" and ran the command itself, printing everything twice.
    runtime = tmp_path / "rt"
    (runtime / "meslint").mkdir(parents=True, mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.delenv("MESLINT_NO_SERVER", raising=False)
    monkeypatch.setattr(server_client._socket, "socket", type("Fake", (_FakeSocket,), {"sendmsg_fails": sendmsg_fails}))
    streams = [open(os.devnull, mode) for mode in ("r", "w", "w")]  # descriptors to hand over (pytest's have none)
    monkeypatch.setattr(sys, "stdin", streams[0])
    monkeypatch.setattr(sys, "stdout", streams[1])
    monkeypatch.setattr(sys, "stderr", streams[2])
    assert server_client.try_server(["rule", "MES601"]) == (None if sendmsg_fails else 1)
    for stream in streams:
        stream.close()


def test_a_server_with_a_timeout_ends_once_idle_and_runs_keep_it_up(tmp_path_factory):
    import time

    runtime = tmp_path_factory.mktemp("rt-idle")
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "PYTHONPATH": str(REPO)}
    env.pop("MESLINT_NO_SERVER", None)
    try:
        assert _meslint(["server", "start", "--timeout", "3"], env).returncode == 0
        assert _meslint(["rule", "MES601"], env).returncode == 0  # served: a run
        ran = time.monotonic()
        assert _served(env) == 1
        time.sleep(max(0.0, ran + 1.0 - time.monotonic()))
        assert _meslint(["server", "status"], env).returncode == 0  # 1 s after a run: still up
        deadline = time.monotonic() + 30
        while _meslint(["server", "status"], env).returncode == 0 and time.monotonic() < deadline:
            time.sleep(0.2)  # (a status query is no run: it does not keep the server up)
        assert _meslint(["server", "status"], env).returncode == 1
        assert not (runtime / "meslint" / "server.sock").exists()
    finally:
        _meslint(["server", "stop"], env)


@pytest.mark.parametrize(("args", "message"), [
    (["server", "start", "--timeout", "0"], "greater than 0"),
    (["server", "run", "--timeout", "nan"], "greater than 0"),
    (["server", "status", "--timeout", "5"], "applies to server start and server run"),
])
def test_a_bad_timeout_is_one_line_and_exit_2(args, message):
    done = _meslint(args, {**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_meslint_server_auto_starts_a_server_that_ends_when_idle(monkeypatch):
    import subprocess

    started: list[list[str]] = []
    monkeypatch.setenv("MESLINT_SERVER", "auto")
    monkeypatch.setattr(subprocess, "Popen", lambda argv, **_: started.append(argv))
    server_client._start_if_auto()
    assert started and started[0][-4:] == ["server", "start", "--timeout", str(server_client.AUTO_TIMEOUT)]
