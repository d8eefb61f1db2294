"""End-to-end CLI behaviour: exit codes, formats, errors as one line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from meslint import __version__
from meslint.cli import main
from tests.conftest import FIXTURES


def run_cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "meslint", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_version() -> None:
    done = run_cli("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"meslint {__version__}"


def test_demo_is_clean(capsys) -> None:
    assert main(["check", str(FIXTURES / "demo")]) == 0
    assert "All checks passed." in capsys.readouterr().out


def test_findings_exit_1_and_json_shape(capsys) -> None:
    assert main(["check", str(FIXTURES / "MES101" / "bad"), "--output-format", "json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["version"] == 1
    finding = document["findings"][0]
    for key in ("code", "name", "severity", "message", "path", "line", "column", "end_line", "end_column",
                "related"):
        assert key in finding
    assert document["summary"]["total"] == len(document["findings"])


def test_concise_format(capsys) -> None:
    main(["check", str(FIXTURES / "MES101" / "bad"), "--output-format", "concise"])
    lines = capsys.readouterr().out.splitlines()
    assert lines and all(line.split(": ", 1)[1].startswith("MES101 ") for line in lines)
    assert lines[0].startswith("app.service:5:1: MES101")


def test_select_ignore_and_exit_zero(capsys) -> None:
    bad = str(FIXTURES / "MES101" / "bad")
    assert main(["check", bad, "--ignore", "MES1"]) == 0
    assert main(["check", bad, "--select", "MES6"]) == 0
    assert main(["check", bad, "--exit-zero"]) == 0
    capsys.readouterr()


@pytest.mark.parametrize(
    ("files", "args", "needle"),
    [
        ({"meslint.toml": "colour = 1\n"}, [], "unknown key 'colour'"),
        ({"meslint.toml": "select = 'MES6'\n"}, [], "select must be a list"),
        ({"meslint.toml": "select = [\n"}, [], "invalid TOML"),
        ({"pack.yaml": "name: x\nbogus: 1\n"}, ["--contract", "pack.yaml"], "pack.yaml:2: unknown key 'bogus'"),
        ({}, ["--contract", "nope"], "unknown contract pack 'nope'"),
    ],
)
def test_configuration_errors_exit_2_with_one_line(write_tree, files, args, needle) -> None:
    root = write_tree(files)
    done = run_cli("check", str(root), *args, cwd=root)
    assert done.returncode == 2
    assert needle in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_missing_path_and_usage_errors_exit_2(tmp_path) -> None:
    done = run_cli("check", str(tmp_path / "missing"))
    assert done.returncode == 2 and "no such directory" in done.stderr
    done = run_cli("check", "--output-format", "xml")
    assert done.returncode == 2 and "Traceback" not in done.stderr


def test_the_process_prints_all_of_mains_output_and_exits_with_its_status(capsys) -> None:
    # The process leaves without interpreter finalization (meslint.__main__): what main() wrote must
    # still all arrive, here more than a pipe's buffer holds.
    args = ["check", str(FIXTURES / "MES201" / "bad"), "--output-format", "sarif", "--no-cache"]
    code = main(args)
    expected = capsys.readouterr().out
    done = run_cli(*args)
    assert len(expected) > 200_000 and code == 1
    assert (done.returncode, done.stdout) == (code, expected)


def test_rule_and_rules(capsys) -> None:
    assert main(["rules"]) == 0
    assert "MES101" in capsys.readouterr().out
    assert main(["rule", "MES101"]) == 0
    assert "## What it does" in capsys.readouterr().out
    assert main(["rule", "MES999"]) == 2


def test_output_is_deterministic() -> None:
    first = run_cli("check", str(FIXTURES / "MES101" / "bad"), "--output-format", "json").stdout
    second = run_cli("check", str(FIXTURES / "MES101" / "bad"), "--output-format", "json").stdout
    assert first == second


def test_show_contract_json_on_demo(capsys) -> None:
    assert main(["show-contract", str(FIXTURES / "demo"), "--output-format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    settings = {v["setting"] for v in document["values"]}
    assert {"WATCHDOG_PID_FILE", "GUNICORN_BIND", "CONDA_ENV_NAME", "CONDA_BIN"} <= settings


def test_unknown_rule_selector_is_an_error(capsys) -> None:
    assert main(["check", str(FIXTURES / "demo"), "--select", "NOPE"]) == 2
    assert "unknown rule selector 'NOPE'" in capsys.readouterr().err
    assert main(["check", str(FIXTURES / "demo"), "--ignore", "MES9"]) == 2
