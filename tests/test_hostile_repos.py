"""Hostile repositories: meslint runs on pull requests from strangers.

Every case builds a repository in a temporary directory (the clean demo fixture
plus something hostile) and runs the real CLI in a subprocess with a timeout.
Each run must exit 0 or 1, print no traceback, finish in bounded time, and
report MES102 (skipped) or MES101 (parse error) where the file calls for it.
Nothing a repository contains is ever executed, sourced, imported or read
from outside the root: the sentinel test plants commands that would create a
file if anything ran them.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from meslint.cache import INDEX_NAME
from meslint.cli import OUTPUT_FORMATS
from tests.conftest import FIXTURES, REPO

TIME_LIMIT = 60  # seconds per CLI run; the runs below take well under one second each
SECRET = "hunter2-S3CR3T-do-not-print"
FORMATS = ("text", "json", "concise")
ALL_FORMATS = tuple(dict.fromkeys(FORMATS + OUTPUT_FORMATS))  # sarif, github, ... where the CLI has them


def meslint(*args: str, cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    """The CLI in a subprocess, run from ``cwd`` (often the hostile tree itself, as a user would).

    Plain ``python -m meslint`` would put ``cwd`` first on sys.path, so a ``meslint/`` package
    planted in the checked tree would run instead of meslint: ``-P`` (3.11+) leaves it off;
    before 3.11 the run starts in this project's directory instead.  meslint itself is found
    through PYTHONPATH, pointing at this project.
    """
    safe = sys.version_info >= (3, 11)
    command = [sys.executable, *(["-P"] if safe else []), "-m", "meslint", *args]
    env = {**os.environ, **kwargs.pop("env", {})}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run(command, text=True, timeout=TIME_LIMIT, cwd=cwd if safe else REPO, env=env, **kwargs)


def run_cli(root: Path, *args: str, fmt: str = "json") -> subprocess.CompletedProcess:
    started = time.monotonic()
    done = meslint("check", str(root), "--output-format", fmt, "--color", "never", *args, cwd=root)
    elapsed = time.monotonic() - started
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout, done.stderr
    assert elapsed < TIME_LIMIT / 2, f"took {elapsed:.1f}s"
    return done


def findings(root: Path) -> list[dict]:
    return json.loads(run_cli(root).stdout)["findings"]


def codes_at(found: list[dict], path: str) -> set[str]:
    return {f["code"] for f in found if f["path"] == path}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "demo", root, symlinks=True, ignore=shutil.ignore_patterns(".meslint_cache"))
    return root


def test_the_base_repository_is_clean(repo: Path) -> None:
    assert run_cli(repo, fmt="text").returncode == 0


# --------------------------------------------------------------------------- links


def test_link_out_of_the_root_is_never_read_nor_printed(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.env").write_text(f"GUNICORN_BIND={SECRET}\nTOKEN={SECRET}\n", encoding="utf-8")
    (outside / "evil.service").write_text(f"[Service]\nExecStart=/bin/{SECRET}\nEnvironment=X={SECRET}\n")
    (repo / ".env").symlink_to(outside / "secret.env")
    (repo / "deploy" / "linked.service").symlink_to(outside / "evil.service")
    (repo / "deploy" / "linked-dir").symlink_to(outside, target_is_directory=True)
    (repo / "config").mkdir()
    (repo / "config" / "prod.env").symlink_to("../../outside/secret.env")  # relative link out
    for fmt in ALL_FORMATS:
        done = run_cli(repo, fmt=fmt)
        assert SECRET not in done.stdout + done.stderr, fmt
    show = meslint("show-contract", str(repo), "--output-format", "json", cwd=repo)
    assert SECRET not in show.stdout + show.stderr
    found = findings(repo)
    for path in (".env", "deploy/linked.service", "config/prod.env"):
        assert "MES102" in codes_at(found, path), path


def test_a_link_out_reads_the_same_whether_or_not_its_target_exists(repo: Path, tmp_path: Path) -> None:
    (tmp_path / "present.env").write_text("A=1\n", encoding="utf-8")
    (repo / ".env").symlink_to(tmp_path / "present.env")
    (repo / ".env.prod").symlink_to(tmp_path / "absent.env")
    found = {f["path"]: f["message"] for f in findings(repo) if f["code"] == "MES102"}
    assert found[".env"] == found[".env.prod"]


def test_link_to_a_device_outside_the_root(repo: Path) -> None:
    (repo / ".env").symlink_to("/dev/zero")
    (repo / "deploy" / "random.service").symlink_to("/dev/urandom")
    found = findings(repo)
    assert "MES102" in codes_at(found, ".env")
    assert "MES102" in codes_at(found, "deploy/random.service")


def test_symlink_loops(repo: Path) -> None:
    deploy = repo / "deploy"
    (deploy / "a.service").symlink_to("b.service")
    (deploy / "b.service").symlink_to("a.service")
    (repo / ".env.prod").symlink_to(".env.prod")
    (repo / "loop").symlink_to(".", target_is_directory=True)
    (repo / "deep").mkdir()
    (repo / "deep" / "up").symlink_to("..", target_is_directory=True)
    (repo / "dangling.sh").symlink_to("does/not/exist.sh")
    found = findings(repo)
    for path in ("deploy/a.service", "deploy/b.service", ".env.prod", "dangling.sh"):
        assert "MES102" in codes_at(found, path), path


def test_link_inside_the_root_is_followed(repo: Path) -> None:
    (repo / "deploy" / "alias.service").symlink_to("mes-dashboard.service")
    assert not codes_at(findings(repo), "deploy/alias.service")


# --------------------------------------------------------------------------- special files


def test_named_pipe_is_never_opened(repo: Path) -> None:
    os.mkfifo(repo / "deploy" / "x.service")
    os.mkfifo(repo / ".env")
    os.mkfifo(repo / "scripts" / "pipe")  # extension-less: would be sniffed for a shebang
    found = findings(repo)  # a blocking open would hit the timeout
    assert "MES102" in codes_at(found, "deploy/x.service")
    assert "MES102" in codes_at(found, ".env")


def test_device_node_inside_the_root(repo: Path) -> None:
    try:
        os.mknod(repo / "deploy" / "zero.service", 0o600 | stat.S_IFCHR, os.makedev(1, 5))
    except (OSError, AttributeError):
        pytest.skip("cannot create a device node here (needs root and a permissive filesystem)")
    assert "MES102" in codes_at(findings(repo), "deploy/zero.service")


def test_huge_sparse_file_is_skipped_quickly(repo: Path) -> None:
    with open(repo / ".env.example", "wb") as handle:
        handle.truncate(100 * 1024 * 1024)
    started = time.monotonic()
    found = findings(repo)
    assert time.monotonic() - started < 10
    skipped = [f for f in found if f["path"] == ".env.example" and f["code"] == "MES102"]
    assert skipped and "limit" in skipped[0]["message"]


def test_binary_and_undecodable_files(repo: Path) -> None:
    noise = bytes(range(256)) * 64
    (repo / "deploy" / "bin.service").write_bytes(b"[Service]\nExecStart=/bin/true\n\0\0" + noise)
    (repo / ".env").write_bytes(b"A=1\n" + noise)
    (repo / "scripts" / "blob.sh").write_bytes(b"#!/bin/bash\n" + noise)
    (repo / "deploy" / "latin1.service").write_bytes("[Service]\nDescription=caf\xe9\n".encode("latin-1"))
    (repo / ".env.local").write_bytes(b"A=\xff\xfe\n")
    (repo / "scripts" / "cp1252").write_bytes(b"#!/bin/sh\necho \x93quoted\x94\n")
    found = findings(repo)
    for path in ("deploy/bin.service", ".env", "scripts/blob.sh", "deploy/latin1.service", ".env.local",
                 "scripts/cp1252"):
        assert "MES102" in codes_at(found, path), path


def test_bom_and_crlf_are_parsed_normally(repo: Path) -> None:
    plain = run_cli(repo).stdout
    converted = 0
    for path in sorted(repo.rglob("*")):
        if path.is_file() and (path.suffix == ".service" or path.name.startswith(".env")):
            text = path.read_text(encoding="utf-8")
            path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
            converted += 1
    assert converted >= 3
    assert run_cli(repo).stdout == plain  # same findings (none), same positions


def test_three_hundred_deep_directories(repo: Path) -> None:
    deep = repo.joinpath(*(["d"] * 300))
    deep.mkdir(parents=True)
    (deep / "deep.service").write_text("[Service\nExecStart=/bin/true\n", encoding="utf-8")
    found = findings(repo)
    rel = "/".join(["d"] * 300) + "/deep.service"
    assert "MES101" in codes_at(found, rel)


def test_unreadable_file(repo: Path) -> None:
    target = repo / ".env.prod"
    target.write_text("A=1\n", encoding="utf-8")
    target.chmod(0)
    try:
        found = findings(repo)
    finally:
        target.chmod(0o600)
    if os.geteuid() == 0:
        # root reads mode-000 files (and enters mode-000 directories), so there is
        # nothing to skip: the run only has to stay clean.
        return
    assert "MES102" in codes_at(found, ".env.prod")


# --------------------------------------------------------------------------- never executed


def _plant(repo: Path, sentinel: Path) -> None:
    s = str(sentinel)
    (repo / "gunicorn.conf.py").write_text(
        "import os, subprocess\n"
        f"os.system('touch {s}')\n"
        f"subprocess.run(['touch', '{s}'])\n"
        f"open('{s}', 'w').close()\n"
        f"__import__('pathlib').Path('{s}').touch()\n"
        "bind = os.getenv('GUNICORN_BIND', '0.0.0.0:8080')\n", encoding="utf-8")
    (repo / ".env").write_text(
        f"A=$(touch {s})\nB=`touch {s}`\nC=\"$(touch {s})\"\ntouch {s}\nD=${{X:-$(touch {s})}}\n"
        f"E=1; touch {s}\n", encoding="utf-8")
    script = repo / "scripts" / "start_server.sh"
    script.write_text(script.read_text(encoding="utf-8") + f"\nROOTX=$(touch {s})\n`touch {s}`\ntouch {s}\n"
                      f"python - <<'PY'\nopen('{s}', 'w')\nPY\n", encoding="utf-8")
    (repo / "deploy" / "evil.service").write_text(
        f"[Service]\nExecStartPre=/usr/bin/touch {s}\nExecStart=/bin/sh -c 'touch {s}'\n"
        f"EnvironmentFile=-{s}\n", encoding="utf-8")
    (repo / "environment.yml").write_text(
        f"name: x\ndependencies: !!python/object/apply:os.system ['touch {s}']\n", encoding="utf-8")
    (repo / "setup.py").write_text(f"import os\nos.system('touch {s}')\n", encoding="utf-8")
    (repo / "conftest.py").write_text(f"import os\nos.system('touch {s}')\n", encoding="utf-8")
    (repo / "pyproject.toml").write_text("[tool.meslint]\nexclude = []\n", encoding="utf-8")


def test_repository_content_is_never_executed(repo: Path, tmp_path: Path) -> None:
    sentinel = tmp_path / "SENTINEL"
    _plant(repo, sentinel)
    for fmt in FORMATS:
        run_cli(repo, fmt=fmt)
    meslint("show-contract", str(repo), cwd=repo)
    assert not sentinel.exists()
    assert not (repo / "SENTINEL").exists()


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_configuration_cannot_run_programs(repo: Path, tmp_path: Path) -> None:
    sentinel = tmp_path / "SENTINEL"
    _plant(repo, sentinel)
    subprocess.run(["git", "init", "-q", str(repo)], check=True, capture_output=True, timeout=30)
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\ntouch {sentinel}\n", encoding="utf-8")
    hook.chmod(0o755)
    with open(repo / ".git" / "config", "a", encoding="utf-8") as config:
        config.write(f"[core]\n\tfsmonitor = {hook}\n\thooksPath = {tmp_path}\n"
                     f"[filter \"x\"]\n\tclean = {hook}\n\tsmudge = {hook}\n")
    (repo / ".gitattributes").write_text("* filter=x\n", encoding="utf-8")
    found = findings(repo)
    assert not sentinel.exists()
    assert any(f["path"] == "deploy/evil.service" for f in found) or found is not None


def test_a_meslint_package_planted_in_the_tree_is_never_imported(repo: Path, tmp_path: Path) -> None:
    # Guards the harness above too: were the runs importing from the tree, this package would
    # answer instead of meslint (and every other test here would check the impostor).
    sentinel = tmp_path / "SENTINEL"
    planted = repo / "meslint"
    planted.mkdir()
    for name in ("__init__.py", "__main__.py", "cli.py"):
        (planted / name).write_text(f"open({str(sentinel)!r}, 'w').close()\nraise SystemExit(0)\n", encoding="utf-8")
    done = run_cli(repo, fmt="json")
    assert json.loads(done.stdout)["findings"] is not None
    assert not sentinel.exists()


# --------------------------------------------------------------------------- issue 12: what the repository names


def run_raw(root: Path, *args: str, isolated: bool = False) -> subprocess.CompletedProcess:
    """A CLI run from ``root`` that may fail (exit 2) but must do so on one line, without a traceback.

    In this process (these runs stop at configuration, before any parsing: a subprocess would
    cost most of the time in starting Python), unless ``isolated``: in a subprocess with a
    timeout, for a run that a regression could make block (a FIFO).
    """
    argv = ["check", str(root), "--no-cache", "--output-format", "concise", *args]
    started = time.monotonic()
    if isolated:
        done = meslint(*argv, cwd=root)
    else:
        from meslint.cli import main

        out, err, cwd = io.StringIO(), io.StringIO(), os.getcwd()
        os.chdir(root)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(argv)
        finally:
            os.chdir(cwd)
        done = subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())
    assert time.monotonic() - started < TIME_LIMIT / 2
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    return done


def config_error(root: Path, *args: str, isolated: bool = False) -> str:
    done = run_raw(root, *args, isolated=isolated)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == "" and done.stderr.count("\n") == 1, done.stderr
    return done.stderr


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory beside the repository holding a secret that must never be read."""
    directory = tmp_path / "outside"
    directory.mkdir()
    (directory / "shadow").write_text(f"{SECRET}:*:19000:0:99999:7:::\nroot: {SECRET}\n", encoding="utf-8")
    (directory / "pack.yaml").write_text((REPO / "rules" / "mes-dashboard.yaml").read_text(encoding="utf-8"),
                                         encoding="utf-8")
    return directory


def test_repository_config_cannot_name_a_pack_outside_it(repo: Path, outside: Path) -> None:
    (repo / "in").mkdir()
    (repo / "in" / "shadow.yaml").symlink_to(outside / "shadow")
    (repo / "in" / "gone.yaml").symlink_to(outside / "no-such-file")
    (repo / "dir").symlink_to(outside, target_is_directory=True)
    names = [str(outside / "shadow"), "../outside/shadow", "in/shadow.yaml", "dir/shadow", "in/../../outside/shadow"]
    messages = {}
    for name in names + [str(outside / "no-such-file"), "../outside/no-such-file", "in/gone.yaml",
                         "dir/no-such-file"]:
        (repo / "meslint.toml").write_text(f"contract = {name!r}\n", encoding="utf-8")
        err = config_error(repo)
        assert SECRET not in err and "unknown key" not in err, (name, err)
        assert "inside the repository" in err or "leaves the repository" in err, (name, err)
        messages[name] = re.sub(r"<\d+ characters not shown>", "NAME", err.replace(repr(name), "NAME"))
    # Whether the outside target exists does not change a word of the message.
    assert messages[str(outside / "shadow")] == messages[str(outside / "no-such-file")]
    assert messages["../outside/shadow"] == messages["../outside/no-such-file"]
    assert messages["in/shadow.yaml"] == messages["in/gone.yaml"]
    assert messages["dir/shadow"] == messages["dir/no-such-file"]
    # /proc/kmsg would block a read: refused before any open.
    (repo / "meslint.toml").write_text('contract = "/proc/kmsg"\n', encoding="utf-8")
    assert "inside the repository" in config_error(repo, isolated=True)


def test_an_outside_pack_needs_the_command_line(repo: Path, outside: Path) -> None:
    (repo / "meslint.toml").write_text(f"contract = {str(outside / 'pack.yaml')!r}\n", encoding="utf-8")
    config_error(repo)
    assert run_raw(repo, "--contract", str(outside / "pack.yaml")).returncode == 0
    # A pack inside the repository may be named by its configuration, through an inside link too.
    (repo / "packs").mkdir()
    (repo / "packs" / "real.yaml").write_text((outside / "pack.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (repo / "packs" / "alias.yaml").symlink_to("real.yaml")
    (repo / "mes-dashboard").mkdir()  # a directory named like the built-in pack does not hide it
    for name in ("packs/real.yaml", "packs/alias.yaml", "./packs/../packs/real.yaml", "mes-dashboard"):
        (repo / "meslint.toml").write_text(f"contract = {name!r}\n", encoding="utf-8")
        done = run_raw(repo)
        # Loaded: no configuration error.  A pack file inside the repository is also checked
        # against it (MES103 for paths it names that this small tree lacks); the built-in is not.
        assert done.returncode == (1 if name != "mes-dashboard" else 0), (name, done.stdout, done.stderr)
        assert all(" MES103 " in line for line in done.stdout.splitlines() if ": MES" in line), name


def test_pack_errors_do_not_quote_file_content(repo: Path, outside: Path) -> None:
    # Given on the command line (trusted), the wrong file is still not echoed.
    err = config_error(repo, "--contract", str(outside / "shadow"))
    assert SECRET not in err
    (repo / "p.yaml").write_text(f"root:$6${SECRET}$x:19000:0:99999:7::: 1\n", encoding="utf-8")
    err = config_error(repo, "--contract", "p.yaml")
    assert SECRET not in err and "unknown key <" in err
    # A short plain name is shown: that is what a typo looks like.
    (repo / "p.yaml").write_text("name: x\nsetings: []\n", encoding="utf-8")
    assert "p.yaml:2: unknown key 'setings'" in config_error(repo, "--contract", "p.yaml")


def test_special_and_huge_config_and_pack_files(repo: Path) -> None:
    os.mkfifo(repo / "fifo.yaml")
    (repo / "meslint.toml").write_text('contract = "fifo.yaml"\n', encoding="utf-8")
    assert "not a regular file" in config_error(repo, isolated=True)
    assert "not a regular file" in config_error(repo, "--contract", str(repo / "fifo.yaml"), isolated=True)
    with open(repo / "huge.yaml", "wb") as handle:
        handle.truncate(1536 * 1024 * 1024)  # sparse: costs nothing on disk, 1.5 GB to a reader
    (repo / "meslint.toml").write_text('contract = "huge.yaml"\n', encoding="utf-8")
    assert "limit" in config_error(repo)
    (repo / "meslint.toml").unlink()
    with open(repo / "pyproject.toml", "wb") as handle:
        handle.write(b"[tool.meslint]\n")
        handle.truncate(1536 * 1024 * 1024)
    assert "limit" in config_error(repo)
    (repo / "pyproject.toml").unlink()
    os.mkfifo(repo / "cfg.toml")
    assert "not a regular file" in config_error(repo, "--config", str(repo / "cfg.toml"), isolated=True)


def test_deeply_nested_config_and_pack_are_configuration_errors(repo: Path) -> None:
    (repo / "meslint.toml").write_text("select = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    assert "nested too deeply" in config_error(repo)
    (repo / "meslint.toml").write_text('contract = "deep.yaml"\n', encoding="utf-8")
    (repo / "deep.yaml").write_text("name: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    assert "nested too deeply" in config_error(repo)


def test_the_repository_cannot_raise_max_file_size_past_the_cap(repo: Path, tmp_path: Path) -> None:
    from meslint.config import MAX_FILE_SIZE_CAP

    (repo / "meslint.toml").write_text(f"max-file-size = {MAX_FILE_SIZE_CAP + 1}\n", encoding="utf-8")
    assert "at most" in config_error(repo)
    (repo / "meslint.toml").write_text(f"max-file-size = {MAX_FILE_SIZE_CAP}\n", encoding="utf-8")
    assert run_raw(repo).returncode == 0
    own = tmp_path / "own.toml"  # the user's own configuration, outside the repository, may
    own.write_text(f"max-file-size = {4 * MAX_FILE_SIZE_CAP}\n", encoding="utf-8")
    done = run_raw(repo, "--config", str(own), "--show-settings")
    assert done.returncode == 0 and f"max-file-size = {4 * MAX_FILE_SIZE_CAP}" in done.stdout
    # ... but --config naming a file in the repository names the repository's file: capped, and a
    # link there does not make an outside file (or the repository's) pass for the user's own.
    (repo / "ci.toml").write_text(f"max-file-size = {4 * MAX_FILE_SIZE_CAP}\n", encoding="utf-8")
    assert "at most" in config_error(repo, "--config", str(repo / "ci.toml"))
    (repo / "linked.toml").symlink_to(own)
    assert "leads out" in config_error(repo, "--config", str(repo / "linked.toml"))


# --------------------------------------------------------------------------- issue 12: baselines


def test_baseline_links_planted_in_the_repository_are_refused(repo: Path, outside: Path) -> None:
    victim = outside / "victim.json"
    victim.write_text("keep me\n", encoding="utf-8")
    (repo / "baseline.json").symlink_to(victim)
    assert "symbolic link" in config_error(repo, "--write-baseline", "baseline.json")
    assert "symbolic link" in config_error(repo, "--write-baseline", str(repo / "baseline.json"))
    assert victim.read_text(encoding="utf-8") == "keep me\n"
    (repo / "zero.json").symlink_to("/dev/zero")
    assert "symbolic link" in config_error(repo, "--baseline", "zero.json", isolated=True)
    os.mkfifo(repo / "fifo.json")
    assert "not a regular file" in config_error(repo, "--baseline", "fifo.json", isolated=True)
    # A linked directory on the way out: refused whether given relative or absolute (inside the repo).
    (repo / "ci").symlink_to(outside, target_is_directory=True)
    for given in ("ci/new.json", str(repo / "ci" / "new.json")):
        assert "out of the checked repository" in config_error(repo, "--write-baseline", given)
        assert "out of the checked repository" in config_error(repo, "--baseline", given)
    assert not (outside / "new.json").exists()
    assert "out of the checked repository" in config_error(repo, "--write-baseline", "../outside/new.json")


def test_baseline_written_atomically_and_outside_only_by_absolute_path(repo: Path, outside: Path) -> None:
    target = outside / "baseline.json"
    done = run_raw(repo, "--write-baseline", str(target))
    assert done.returncode == 0 and json.loads(target.read_text(encoding="utf-8"))["findings"] == []
    assert run_raw(repo, "--baseline", str(target)).returncode == 0
    inside = repo / "baseline.json"
    assert run_raw(repo, "--write-baseline", "baseline.json").returncode == 0
    assert json.loads(inside.read_text(encoding="utf-8"))["tool"] == "meslint"
    assert sorted(p.name for p in repo.iterdir() if p.name.startswith(".baseline")) == []  # no temp file left
    mask = os.umask(0o022)
    os.umask(mask)
    assert stat.S_IMODE(inside.stat().st_mode) == 0o666 & ~mask  # as a plain write would make it


# --------------------------------------------------------------------------- issue 12: a hostile .git


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_hostile_git_directory_cannot_redirect_the_listing(repo: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "sub").mkdir(parents=True)
    leaked = "leaked-outside-name"
    (elsewhere / "sub" / f"{leaked}.service").write_text("[Service\n", encoding="utf-8")
    (elsewhere / f"{leaked}.env").write_text("A=1\n", encoding="utf-8")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q", str(repo)], check=True, capture_output=True, timeout=30)
    with open(repo / ".git" / "config", "a", encoding="utf-8") as config:
        config.write(f"[core]\n\tworktree = {elsewhere}\n")
    for fmt in ALL_FORMATS:
        done = run_cli(repo, fmt=fmt)
        assert leaked not in done.stdout + done.stderr, fmt
    # The repository's own index naming files behind a link to a directory outside: MES102, in
    # the same words whether or not the file exists there.
    (repo / "lnk").symlink_to(elsewhere / "sub", target_is_directory=True)
    blob = subprocess.run(["git", "-C", str(repo), "hash-object", "-w", "--stdin"], input=b"A=1\n",
                          check=True, capture_output=True, timeout=30).stdout.decode().strip()
    for name in (f"lnk/{leaked}.service", "lnk/absent-name.service"):
        subprocess.run(["git", "-C", str(repo), "update-index", "--add", "--cacheinfo", f"100644,{blob},{name}"],
                       check=True, capture_output=True, timeout=30)
    found = {f["path"]: f["message"] for f in findings(repo) if f["code"] == "MES102"}
    assert found[f"lnk/{leaked}.service"] == found["lnk/absent-name.service"]
    # A .git file pointing at another repository's git directory, whose index lists its files
    # (here reachable from the root only through the link).
    subprocess.run([*git, "init", "-q", str(elsewhere)], check=True, capture_output=True, timeout=30)
    subprocess.run([*git, "-C", str(elsewhere), "add", "-A"], check=True, capture_output=True, timeout=30)
    shutil.rmtree(repo / ".git")
    (repo / ".git").write_text(f"gitdir: {elsewhere / '.git'}\n", encoding="utf-8")
    (repo / "lnk").unlink()
    (repo / "sub").symlink_to(elsewhere / "sub", target_is_directory=True)
    for fmt in FORMATS:
        done = run_cli(repo, fmt=fmt)
        assert leaked not in done.stdout + done.stderr, fmt


# --------------------------------------------------------------------------- issue 12: cache files


def test_special_and_huge_cache_files_are_never_read(repo: Path, tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg"), "MESLINT_NO_CACHE": ""}
    cache = repo / ".meslint_cache"
    cache.mkdir(mode=0o700)
    os.mkfifo(cache / INDEX_NAME)
    os.mkfifo(cache / "run-v1.json")
    done = meslint("check", str(repo), "--output-format", "concise", cwd=repo, env=env)
    assert done.returncode == 0, done.stderr
    for name in (INDEX_NAME, "run-v1.json"):
        (cache / name).unlink()
        with open(cache / name, "wb") as handle:  # a valid-looking header, then 3 GB of holes
            handle.write(b'{"magic": "meslint-fact-cache"}\n')
            handle.truncate(3 * 1024 ** 3)
    started = time.monotonic()
    done = meslint("check", str(repo), "--output-format", "concise", cwd=repo, env=env)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 10


def test_cache_file_body_is_read_only_after_its_size_and_header(tmp_path: Path) -> None:
    import tracemalloc

    from meslint import cachefiles

    path = tmp_path / "c.json"
    with open(path, "wb") as handle:  # a foreign header, then a 100 MB (sparse) body
        handle.write(b'{"magic": "other"}\n')
        handle.truncate(100 * 1024 * 1024)
    tracemalloc.start()
    try:
        assert cachefiles.read_signed(path, b"k" * 32, lambda header: header.get("magic") == "mine") is None
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024  # the header line, never the body


# --------------------------------------------------------------------------- issue 12: blind spots and the system


def test_a_directory_too_deep_to_list_is_reported(repo: Path) -> None:
    # Deeper than PATH_MAX: built one level at a time relative to an open directory.
    name = "d" * 200
    fd = os.open(repo, os.O_RDONLY)
    depth = 0
    try:
        while depth < 30:
            os.mkdir(name, dir_fd=fd)
            inner = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd, depth = inner, depth + 1
        with open(os.open("x.env", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=fd), "w") as handle:
            handle.write("A=1\n")
    finally:
        os.close(fd)
    try:
        found = findings(repo)
        blind = [f for f in found if f["code"] == "MES102" and f["path"].startswith(name)]
        assert blind and "cannot be listed" in blind[0]["message"]
    finally:
        _remove_deep(repo, name, depth)


def _remove_deep(repo: Path, name: str, depth: int) -> None:
    fds = [os.open(repo, os.O_RDONLY)]
    for _ in range(depth):
        fds.append(os.open(name, os.O_RDONLY, dir_fd=fds[-1]))
    os.unlink("x.env", dir_fd=fds[-1])
    while len(fds) > 1:
        os.close(fds.pop())
        os.rmdir(name, dir_fd=fds[-1])
    os.close(fds[0])


def test_an_unreadable_directory_is_reported(tmp_path: Path, monkeypatch) -> None:
    from meslint import listing

    (tmp_path / "deploy" / "private").mkdir(parents=True)
    (tmp_path / "deploy" / "private" / "x.service").write_text("[Service]\n", encoding="utf-8")
    (tmp_path / "a.env").write_text("A=1\n", encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path):  # as a non-root user meets a mode-000 directory
        if str(path).endswith("private"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    unreadable: list = []
    assert listing.list_paths(tmp_path, unreadable) == ["a.env"]
    assert unreadable == [("deploy/private", "Permission denied")]


def test_a_directory_git_cannot_list_is_reported(tmp_path: Path, monkeypatch) -> None:
    import subprocess as real_subprocess

    from meslint import listing

    (tmp_path / ".git").mkdir()
    (tmp_path / "a.env").write_text("A=1\n", encoding="utf-8")
    warning = b"warning: could not open directory 'deploy/private/': Permission denied\n"  # git 2.39, LC_ALL=C

    def run(command, **kwargs):  # what git prints for a mode-000 directory as a non-root user
        return real_subprocess.CompletedProcess(command, 0, b"a.env\0", warning * 2)

    monkeypatch.setattr(real_subprocess, "run", run)
    unreadable: list = []
    assert listing.list_paths(tmp_path, unreadable) == ["a.env"]
    assert unreadable == [("deploy/private", "Permission denied")]


def test_a_closed_or_full_output_is_a_one_line_error(repo: Path) -> None:
    (repo / "deploy" / "extra.service").write_text("[Service\n" * 2000, encoding="utf-8")  # plenty to print
    read_end, write_end = os.pipe()
    os.close(read_end)  # as `meslint check | head -0`
    try:
        done = meslint("check", str(repo), "--no-cache", cwd=repo, stdout=write_end, stderr=subprocess.PIPE,
                       capture_output=False)
    finally:
        os.close(write_end)
    assert done.returncode == 2 and "Traceback" not in done.stderr and "internal error" not in done.stderr
    assert done.stderr.count("\n") == 1 and "cannot write the output" in done.stderr
    done = meslint("check", str(repo), "--no-cache", cwd=repo, stderr=subprocess.PIPE, capture_output=False,
                   preexec_fn=lambda: os.close(1))  # as `meslint check >&-`
    assert done.returncode == 2
    assert done.stderr == "meslint: error: cannot write the output: standard output is closed\n"
    if os.path.exists("/dev/full"):
        with open("/dev/full", "w") as full:
            done = meslint("check", str(repo), "--no-cache", cwd=repo, stdout=full, stderr=subprocess.PIPE,
                           capture_output=False)
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        assert "No space left on device" in done.stderr


def test_a_permission_error_is_not_an_internal_error(repo: Path, monkeypatch, capsys) -> None:
    from meslint import cli

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(repo / "deploy"))

    monkeypatch.setattr(cli, "_check", refuse)
    assert cli.main(["check", str(repo), "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert err == f"meslint: error: {repo / 'deploy'}: Permission denied\n"
