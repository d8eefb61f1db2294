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

import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from meslint.cli import OUTPUT_FORMATS
from tests.conftest import FIXTURES

TIME_LIMIT = 60  # seconds per CLI run; the runs below take well under one second each
SECRET = "hunter2-S3CR3T-do-not-print"
FORMATS = ("text", "json", "concise")
ALL_FORMATS = tuple(dict.fromkeys(FORMATS + OUTPUT_FORMATS))  # sarif, github, ... where the CLI has them


def run_cli(root: Path, *args: str, fmt: str = "json") -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "meslint", "check", str(root), "--output-format", fmt, "--color", "never",
               *args]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIME_LIMIT, cwd=root,
                          stdin=subprocess.DEVNULL)
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
    shutil.copytree(FIXTURES / "demo", root, symlinks=True)
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
    show = subprocess.run([sys.executable, "-m", "meslint", "show-contract", str(repo), "--output-format", "json"],
                          capture_output=True, text=True, timeout=TIME_LIMIT)
    assert SECRET not in show.stdout + show.stderr
    found = findings(repo)
    for path in (".env", "deploy/linked.service", "config/prod.env"):
        assert "MES102" in codes_at(found, path), path


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
    subprocess.run([sys.executable, "-m", "meslint", "show-contract", str(repo)], capture_output=True,
                   timeout=TIME_LIMIT, cwd=repo)
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
