"""Output injection: names and values from the checked repository never reach the output raw.

A hostile repository names a unit file with ESC/BEL sequences, a newline followed by
a forged ``README.md:1:1: MES999`` finding and a bidi override; another unit has a
name that is not UTF-8 at all; a setting's value carries ESC, BEL, C1, U+2028 and
U+202E.  In every output format: stdout is valid UTF-8 with no control, separator or
bidi character in it, one finding is one line in the line formats, JUnit is XML,
and JSON/SARIF give back the exact original names and values.  Baselines work with
such names (their fingerprints once crashed with ``UnicodeEncodeError``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote_to_bytes
from xml.etree import ElementTree

import pytest

from meslint.cli import OUTPUT_FORMATS
from meslint.findings import Finding
from meslint.location import Location
from meslint.reporters.escape import json_text, uri_reference, visible
from meslint.reporters.json_report import JSON_VERSION
from tests.conftest import FIXTURES, REPO

FORGED = "README.md:1:1: MES999 forged"
# ESC ] (a terminal title), BEL, a newline starting a forged finding line, a right-to-left override.
HOSTILE_NAME = f"deploy/evil\x1b]0;pwned\x07\n{FORGED}\u202e.service"
UNDECODABLE = b"deploy/\xff\x1b[2J.service"  # not UTF-8, and an ESC sequence
UNDECODABLE_NAME = os.fsdecode(UNDECODABLE)  # as meslint holds it: "\udcff" for the byte
HOSTILE_VALUE = "/run/x\x1b[2J\x07\u202e\u2028\x9by\tz.pid"
# Anything a terminal, a problem matcher or an XML parser would act on.  "\n" is allowed
# as a line end only; the line checks below make sure no value or name supplied one.
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
OWN_COLOURS = re.compile("\x1b\\[[0-9]{1,2}m")  # --color always: bold, red, ... and reset
BROKEN_LINE = "[Service]\nExecStart /usr/bin/true\n"  # MES101 on line 2


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("injection") / "repo"
    shutil.copytree(FIXTURES / "demo", root, symlinks=True, ignore=shutil.ignore_patterns(".meslint_cache"))
    (root / HOSTILE_NAME).write_text(BROKEN_LINE, encoding="utf-8")
    try:
        with open(os.path.join(os.fsencode(root), UNDECODABLE), "w", encoding="utf-8") as handle:
            handle.write(BROKEN_LINE)
    except OSError:  # a file system that insists on UTF-8 names (macOS): the other cases still run
        pass
    unit = root / "deploy" / "mes-dashboard.service"
    text = unit.read_text(encoding="utf-8")
    assert "PIDFile=/run/mes-dashboard/gunicorn.pid" in text
    unit.write_text(text.replace("PIDFile=/run/mes-dashboard/gunicorn.pid", f"PIDFile={HOSTILE_VALUE}"),
                    encoding="utf-8")
    return root


def has_undecodable(root: Path) -> bool:
    return os.path.exists(os.path.join(os.fsencode(root), UNDECODABLE))


def meslint(root: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The real CLI, run from outside the checked tree (a planted meslint/ package there must not load)."""
    done = subprocess.run([sys.executable, "-m", "meslint", *args, str(root), "--no-cache"],
                          capture_output=True, timeout=120, cwd=cwd or root.parent, stdin=subprocess.DEVNULL,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    stderr = done.stderr.decode("utf-8")  # strict: nothing unencodable may reach the terminal either
    assert done.returncode in (0, 1), stderr
    assert not UNSAFE.search(stderr), stderr
    return done


def output(root: Path, *args: str) -> str:
    text = meslint(root, *args).stdout.decode("utf-8")  # strict UTF-8: no lone surrogate escaped raw
    own = OWN_COLOURS.sub("", text) if "always" in args else text  # the hostile sequences are not these
    assert not UNSAFE.search(own), repr(UNSAFE.search(own))
    return text


def findings(root: Path) -> list[dict]:
    return json.loads(output(root, "check", "--output-format", "json"))["findings"]


def test_the_hostile_repository_has_findings_in_each_hostile_place(hostile: Path) -> None:
    found = findings(hostile)
    paths = {f["path"] for f in found}
    assert HOSTILE_NAME in paths  # json round-trips the exact name
    assert (UNDECODABLE_NAME in paths) == has_undecodable(hostile)
    assert any(HOSTILE_VALUE in f["message"] for f in found)  # and the exact value


@pytest.mark.parametrize("fmt", OUTPUT_FORMATS)
def test_no_raw_control_characters_in_any_format(hostile: Path, fmt: str) -> None:
    text = output(hostile, "check", "--output-format", fmt, "--color", "always")
    if fmt not in ("json", "sarif", "json-lines"):
        assert visible(HOSTILE_VALUE) in text  # shown, escaped
        assert "\\x1b]0;pwned\\x07\\x0a" in text
        if has_undecodable(hostile):
            assert "deploy/\\xff\\x1b[2J.service" in text  # the byte as it is on disk


@pytest.mark.parametrize("fmt", ["concise", "github", "text"])
def test_a_name_never_breaks_a_line(hostile: Path, fmt: str) -> None:
    count = len(findings(hostile))
    lines = output(hostile, "check", "--output-format", fmt).splitlines()
    assert not any(line.startswith(FORGED) for line in lines)
    if fmt == "concise":
        assert len(lines) == count
        assert all(re.match(r"\S.*:\d+:\d+: MES\d{3} ", line) for line in lines)
    elif fmt == "github":
        assert len(lines) == count
        assert all(line.startswith("::") for line in lines)


def test_junit_is_well_formed_xml(hostile: Path) -> None:
    suites = ElementTree.fromstring(output(hostile, "check", "--output-format", "junit"))
    cases = suites.findall("./testsuite/testcase")
    assert len(cases) == len(findings(hostile))
    assert any(case.get("file") == visible(HOSTILE_NAME) for case in cases)


def test_json_lines_round_trip(hostile: Path) -> None:
    lines = output(hostile, "check", "--output-format", "json-lines").splitlines()
    assert [json.loads(line) for line in lines] == [{"version": JSON_VERSION, **f} for f in findings(hostile)]


def test_sarif_uris_give_back_the_bytes_of_each_name(hostile: Path) -> None:
    log = json.loads(output(hostile, "check", "--output-format", "sarif"))
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"]
            for result in log["runs"][0]["results"] for loc in result["locations"]}
    on_disk = {unquote_to_bytes(uri) for uri in uris}
    assert os.fsencode(HOSTILE_NAME) in on_disk
    assert (UNDECODABLE in on_disk) == has_undecodable(hostile)
    assert all(not re.search(r"[\s#?%](?![0-9A-F]{2})", uri) for uri in uris)  # only %XX escapes
    # SARIF message text escapes '\\', '[' and ']' (3.11.6: embedded links); undo that to compare.
    messages = [re.sub(r"\\([\\\[\]])", r"\1", r["message"]["text"]) for r in log["runs"][0]["results"]]
    assert any(HOSTILE_VALUE in m for m in messages)


def test_show_contract_escapes_values(hostile: Path) -> None:
    text = output(hostile, "show-contract")
    assert visible(HOSTILE_VALUE) in text
    document = json.loads(output(hostile, "show-contract", "--output-format", "json"))
    assert any(v["value"] == HOSTILE_VALUE for v in document["values"])


def test_baseline_with_hostile_names(hostile: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    meslint(hostile, "check", "--write-baseline", str(baseline))
    raw = baseline.read_bytes().decode("utf-8")
    assert not UNSAFE.search(raw)
    recorded = {entry["path"] for entry in json.loads(raw)["findings"]}  # for the humans reviewing it
    assert visible(HOSTILE_NAME) in recorded
    assert (visible(UNDECODABLE_NAME) in recorded) == has_undecodable(hostile)
    done = meslint(hostile, "check", "--baseline", str(baseline), "--output-format", "concise")
    assert done.returncode == 0 and done.stdout == b""


# --------------------------------------------------------------------------- the escape module


def test_visible() -> None:
    assert visible("a\x1b[31mb\x07\n\t\x7f\x9b") == "a\\x1b[31mb\\x07\\x0a\\x09\\x7f\\x9b"
    assert visible("\u202eabc\u2066\u2028\ufeff") == "\\u202eabc\\u2066\\u2028\\ufeff"
    assert visible(os.fsdecode(b"\xff\xfe.md")) == "\\xff\\xfe.md"  # the bytes on disk
    assert visible("\ud800") == "\\ud800"  # a surrogate no file name holds: still printable
    plain = "deploy/服務.service: 值 é ü %41 \\x1b"  # printable text (and backslashes) stay as they are
    assert visible(plain) == plain


def test_json_text_round_trips_and_is_plain_utf8() -> None:
    value = {"p": HOSTILE_NAME + UNDECODABLE_NAME + "\ufffe\x85中", "n": [1, None]}
    text = json_text(value, indent=2)
    text.encode("utf-8")  # strict: no lone surrogate left raw
    assert not UNSAFE.search(text)
    assert json.loads(text) == value
    assert json_text({"k": "中文"}) == '{"k": "中文"}'  # readable text is not \u-escaped


def test_uri_reference() -> None:
    assert uri_reference("docs/a b#1?.md") == "docs/a%20b%231%3F.md"
    assert uri_reference("docs/100%.md") == "docs/100%25.md"
    assert uri_reference("deploy/x.service") == "deploy/x.service"
    for name in (HOSTILE_NAME, UNDECODABLE_NAME, "a/中文.md"):
        assert unquote_to_bytes(uri_reference(name)) == os.fsencode(name)


def test_fingerprint_of_an_undecodable_name() -> None:
    def finding(path: str) -> Finding:
        return Finding(code="MES101", message="m", location=Location(path, 2, 1), subject="s")

    assert len(finding(UNDECODABLE_NAME).fingerprint()) == 32
    assert finding(UNDECODABLE_NAME).fingerprint() != finding("deploy/\ufffd\x1b[2J.service").fingerprint()
    # Names that are text fingerprint exactly as before (existing baselines keep matching).
    assert finding("a.service").fingerprint() == hashlib.sha256(
        "\x1f".join(["MES101", "s", "a.service", ""]).encode("utf-8")).hexdigest()[:32]


# --------------------------------------------------------------------------- configuration and caches


def test_settings_and_errors_quoting_the_configuration(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURES / "demo", root, symlinks=True, ignore=shutil.ignore_patterns(".meslint_cache"))
    hostile = "x\x1b]0;t\x07\u202e\x9b"
    quoted = json.dumps(hostile)  # \uXXXX escapes: TOML strings take them, not the raw characters
    (root / "meslint.toml").write_text(f"exclude = [{quoted}]\n", encoding="utf-8")
    settings = output(root, "check", "--show-settings")
    assert json.loads(settings.split("exclude = ", 1)[1].splitlines()[0]) == [hostile]
    (root / "meslint.toml").write_text(f"select = [{quoted}]\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "meslint", "check", str(root), "--no-cache"], capture_output=True,
                          timeout=120, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO)})
    stderr = done.stderr.decode("utf-8")
    assert done.returncode == 2 and stderr.count("\n") == 1 and "unknown rule selector" in stderr
    assert not UNSAFE.search(stderr) and visible(hostile) in stderr


def test_a_replayed_run_gives_the_same_output(hostile: Path, tmp_path: Path) -> None:
    """The run and fact caches store and replay hostile and undecodable names exactly."""
    root = tmp_path / "repo"
    shutil.copytree(hostile, root, symlinks=True, ignore=shutil.ignore_patterns(".meslint_cache"))
    env = {key: value for key, value in os.environ.items() if key != "MESLINT_NO_CACHE"}
    env.update(PYTHONPATH=str(REPO), XDG_CACHE_HOME=str(tmp_path / "xdg"))
    runs = [subprocess.run([sys.executable, "-m", "meslint", "check", str(root), "--output-format", "json"],
                           capture_output=True, timeout=120, cwd=tmp_path, env=env) for _ in range(2)]
    assert [run.returncode for run in runs] == [1, 1], runs[0].stderr
    assert runs[0].stdout == runs[1].stdout and runs[0].stdout.decode("utf-8")
    assert any((root / ".meslint_cache").iterdir())  # the second run had a cache to replay
