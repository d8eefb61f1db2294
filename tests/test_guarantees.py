"""Errors are one line with exit 2; output is byte-identical whatever the hash seed.

Complements tests/test_cli.py (which covers the basic configuration errors) and
tests/test_hostile_repos.py (hostile trees).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, REPO


def run(*args: str, cwd: Path | None = None, seed: str | None = None,
        driver: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1"}
    if seed is not None:
        env["PYTHONHASHSEED"] = seed
    head = [sys.executable, "-c", driver] if driver else [sys.executable, "-m", "meslint"]
    return subprocess.run([*head, *args], capture_output=True, text=True, timeout=120, cwd=cwd or REPO, env=env)


def one_line_error(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    return lines[0]


# --------------------------------------------------------------------------- usage and configuration


@pytest.mark.parametrize(
    ("files", "args", "needles"),
    [
        # pack files: file:line and what is wrong
        ({"pack.yaml": "name: x\nsettings: [\n"}, ["--contract", "pack.yaml"], ["pack.yaml:3:", "invalid YAML"]),
        ({"pack.yaml": "name: x\n\tbad: 1\n"}, ["--contract", "pack.yaml"], ["pack.yaml:2:", "invalid YAML"]),
        ({"pack.yaml": "name: x\nsettings:\n  - kind: path\n"}, ["--contract", "pack.yaml"],
         ["pack.yaml:3:", "missing required key 'name'"]),
        ({"pack.yaml": b"name: x\n\ndeploy_root: \xff\n"}, ["--contract", "pack.yaml"],
         ["pack.yaml:3:", "not valid UTF-8"]),
        ({"pack.yaml": "name: x\x01\n"}, ["--contract", "pack.yaml"], ["pack.yaml:1:", "unacceptable character"]),
        ({"pack.yaml": ""}, ["--contract", "pack.yaml"], ["pack.yaml:1:", "empty"]),
        ({}, ["--contract", "missing.yaml"], ["missing.yaml", "not found"]),
        # configuration files: the file and the key
        ({"meslint.toml": "selectt = ['MES6']\n"}, [], ["meslint.toml", "unknown key 'selectt'"]),
        ({"pyproject.toml": "[tool.meslint]\ncolour = 1\n"}, [], ["pyproject.toml", "unknown key 'colour'"]),
        ({"pyproject.toml": "[tool.meslint\n"}, [], ["pyproject.toml", "invalid TOML", "line 1"]),
        ({"meslint.toml": "max-file-size = -1\n"}, [], ["meslint.toml", "max-file-size"]),
        ({"meslint.toml": b"select = ['\xff']\n"}, [], ["meslint.toml"]),
        ({}, ["--config", "nope.toml"], ["nope.toml", "not found"]),
        # usage
        ({}, ["--output-format", "xml"], ["invalid choice: 'xml'"]),
        ({}, ["--bogus"], ["unrecognized arguments: --bogus"]),
        ({}, ["a", "b"], ["one repository at a time"]),
    ],
)
def test_usage_and_configuration_errors(tmp_path: Path, files: dict, args: list[str], needles: list[str]) -> None:
    for name, content in files.items():
        target = tmp_path / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    line = one_line_error(run("check", str(tmp_path), *args, cwd=tmp_path))
    assert line.startswith("meslint: error: "), line
    for needle in needles:
        assert needle in line, line


# --------------------------------------------------------------------------- internal errors

DRIVER = textwrap.dedent("""
    import sys
    import meslint.engine

    def boom(*args, **kwargs):
        raise RuntimeError("simulated failure\\nin a check")

    meslint.engine.run = boom
    from meslint.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def test_internal_error_is_one_line_with_a_hint() -> None:
    line = one_line_error(run("check", str(FIXTURES / "demo"), driver=DRIVER))
    assert line == ("meslint: internal error: RuntimeError: simulated failure in a check "
                    "(rerun with --debug for the traceback)")


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_shows_the_traceback_and_still_exits_2(where: str) -> None:
    args = ["--debug", "check", str(FIXTURES / "demo")] if where == "before" else \
        ["check", str(FIXTURES / "demo"), "--debug"]
    done = run(*args, driver=DRIVER)
    assert done.returncode == 2
    assert "Traceback (most recent call last)" in done.stderr and "in boom" in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("meslint: internal error: RuntimeError")


# --------------------------------------------------------------------------- determinism

DETERMINISM_CASES = ["demo", "MES101/bad", "MES601/bad", "MES602/bad", "MES607/bad"]


@pytest.mark.parametrize("case", DETERMINISM_CASES)
def test_output_is_identical_across_hash_seeds(tmp_path: Path, case: str) -> None:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / case, root, symlinks=True, ignore=shutil.ignore_patterns(".meslint_cache"))
    for fmt in ("text", "json"):
        outputs = set()
        for seed in ("0", "1", "12345"):
            done = run("check", str(root), "--output-format", fmt, "--color", "never", "--no-cache",
                       cwd=root, seed=seed)
            assert done.returncode in (0, 1), done.stderr
            outputs.add(done.stdout)
        assert len(outputs) == 1, f"{case} {fmt} differs across PYTHONHASHSEED"
    if case != "demo":
        assert "MES" in outputs.pop()


def test_output_is_identical_with_and_without_cache(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "MES602" / "bad", root, symlinks=True, ignore=shutil.ignore_patterns(".meslint_cache"))
    cache = tmp_path / "cache"
    base = ("check", str(root), "--output-format", "json")
    cold = run(*base, "--no-cache", cwd=root, seed="0")
    first = run(*base, "--cache-dir", str(cache), cwd=root, seed="1")  # fills the cache
    warm = run(*base, "--cache-dir", str(cache), cwd=root, seed="12345")  # reads it
    assert cold.returncode == first.returncode == warm.returncode == 1
    assert cold.stdout == first.stdout == warm.stdout
