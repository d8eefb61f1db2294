"""Run cache: an unchanged tree replays the recorded findings; any change a finding could
depend on runs the checks again; a damaged, foreign or racy record is never used."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from meslint import engine, run_cache
from meslint.cache import INDEX_NAME
from meslint.cachefiles import CACHE_DIR_NAME
from meslint.cli import main
from meslint.run_cache import RUN_NAME
from tests.conftest import FIXTURES, REPO
from tests.test_cache import _copy

FORMATS = ("text", "concise", "json", "json-lines", "sarif", "github", "junit")


pytestmark = pytest.mark.usefixtures("caching_on")


@pytest.fixture
def runs(monkeypatch):
    """Counts the runs that really evaluated the tree (a replay does not call engine.run)."""
    calls: list[Path] = []
    real = engine.run

    def counting(root, *args, **kwargs):
        calls.append(root)
        return real(root, *args, **kwargs)

    monkeypatch.setattr(engine, "run", counting)
    return calls


def _out(capsys, root: Path, *extra: str) -> tuple[int, str]:
    code = main(["check", str(root), *extra])
    return code, capsys.readouterr().out


def _tree(tmp_path: Path, name: str = "MES100/bad") -> Path:
    return _copy(FIXTURES / name, tmp_path / "repo")


@pytest.mark.parametrize("output_format", FORMATS)
def test_replay_is_byte_identical_in_every_format(tmp_path, capsys, runs, output_format):
    root = _tree(tmp_path)
    fresh = _out(capsys, root, "--no-cache", "--output-format", output_format)
    recorded = _out(capsys, root, "--output-format", output_format)
    assert (root / CACHE_DIR_NAME / RUN_NAME).is_file()
    assert len(runs) == 2
    replayed = _out(capsys, root, "--output-format", output_format)
    assert len(runs) == 2, "an unchanged tree must be replayed, not evaluated again"
    assert fresh == recorded == replayed
    assert fresh[0] == 1  # the fixture has findings (and suppressions, for SARIF)


def _edit_unit(root: Path) -> None:
    unit = next(root.rglob("*.service"))
    unit.write_text(unit.read_text().replace("[Service]", "[Service]\n# edited"), encoding="utf-8")


def _same_size_edit(root: Path) -> None:
    unit = next(root.rglob("*.service"))
    text = unit.read_text()
    unit.write_text(text.replace("[Unit]", "[UNIT]", 1), encoding="utf-8")  # same length


def _add_plain_file(root: Path) -> None:
    (root / "docs").mkdir(exist_ok=True)
    (root / "docs" / "notes.txt").write_text("a file a document could name\n")


def _remove_file(root: Path) -> None:
    next(root.rglob("*.service")).unlink()


def _configure(root: Path) -> None:
    (root / "meslint.toml").write_text('ignore = ["MES100"]\n')


CHANGES = {"edit": _edit_unit, "same-size-edit": _same_size_edit, "add": _add_plain_file,
           "remove": _remove_file, "configure": _configure}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_any_change_evaluates_again(tmp_path, capsys, runs, change):
    root = _tree(tmp_path, "MES603/bad")
    _out(capsys, root)
    CHANGES[change](root)
    after = _out(capsys, root)
    assert len(runs) == 2
    assert after == _out(capsys, root, "--no-cache")


@pytest.mark.parametrize("extra", [("--select", "MES6"), ("--ignore", "MES100"), ("--extend-select", "MES8")])
def test_other_command_line_selection_evaluates_again(tmp_path, capsys, runs, extra):
    root = _tree(tmp_path)
    _out(capsys, root)
    assert _out(capsys, root, *extra) == _out(capsys, root, "--no-cache", *extra)
    assert len(runs) == 3  # the recorded run, the other selection, and --no-cache


def test_edited_pack_file_evaluates_again(tmp_path, capsys, runs):
    root = _tree(tmp_path)
    pack = tmp_path / "pack.yaml"
    pack.write_bytes((REPO / "rules" / "mes-dashboard.yaml").read_bytes())
    _out(capsys, root, "--contract", str(pack))
    pack.write_text(pack.read_text() + "\n# a comment changes the bytes\n")
    _out(capsys, root, "--contract", str(pack))
    assert len(runs) == 2


def test_edited_meslint_sources_evaluate_again(tmp_path, capsys, runs, monkeypatch):
    root = _tree(tmp_path)
    _out(capsys, root)
    monkeypatch.setattr(run_cache.own_sources, "sources_key", lambda: "another meslint")
    _out(capsys, root)
    assert len(runs) == 2


def test_a_typo_in_a_selector_is_still_an_error_after_a_recorded_run(tmp_path, capsys):
    root = _tree(tmp_path)
    _out(capsys, root)
    assert main(["check", str(root), "--select", "MES9"]) == 2


def test_racy_run_is_recorded_with_content_hashes_and_replayed(tmp_path, capsys, runs, monkeypatch):
    monkeypatch.setattr(run_cache, "RACY_NS", 2_000_000_000)
    root = _tree(tmp_path)  # just written: within the racy window
    expected = _out(capsys, root)
    document = json.loads((root / CACHE_DIR_NAME / RUN_NAME).read_bytes().split(b"\n", 1)[1])
    assert {path for path, _ in document["racy"]} >= {"scripts/start_server.sh"}
    assert _out(capsys, root) == expected  # right after: the hashes vouch for the fresh files
    assert len(runs) == 1


def test_a_replay_drops_the_racy_files_that_have_settled(tmp_path, capsys, runs, monkeypatch):
    monkeypatch.setattr(run_cache, "RACY_NS", 2_000_000_000)
    root = _tree(tmp_path)  # just written: every file racy
    expected = _out(capsys, root)
    record = root / CACHE_DIR_NAME / RUN_NAME

    def racy() -> set[str]:
        return {path for path, _ in json.loads(record.read_bytes().split(b"\n", 1)[1])["racy"]}

    recorded = racy()
    assert "scripts/start_server.sh" in recorded
    assert _out(capsys, root) == expected
    assert racy() == recorded  # still within the window: still hashed
    monkeypatch.setattr(run_cache, "RACY_NS", 1)  # now every file has settled
    assert _out(capsys, root) == expected
    assert racy() == set()
    hashed: list[str] = []
    content_hash = run_cache._content_hash
    monkeypatch.setattr(run_cache, "_content_hash", lambda base, rel: hashed.append(rel) or content_hash(base, rel))
    assert _out(capsys, root) == expected
    assert hashed == [] and len(runs) == 1  # replayed three times, hashing nothing the last time


def _frozen_stats(monkeypatch) -> None:
    """A file system whose timestamps cannot tell two writes apart: every stat is the same, and fresh."""
    fresh = time.time_ns()

    def stats(full: str) -> list:
        info = os.lstat(full)
        return [SimpleNamespace(st_mode=info.st_mode, st_size=info.st_size, st_mtime_ns=fresh, st_ctime_ns=fresh,
                                st_ino=info.st_ino)]

    monkeypatch.setattr(run_cache, "_stats", stats)


def test_racily_clean_file_changed_under_the_same_stat_is_evaluated(tmp_path, capsys, runs, monkeypatch):
    monkeypatch.setattr(run_cache, "RACY_NS", 2_000_000_000)
    _frozen_stats(monkeypatch)
    root = _tree(tmp_path)
    first = _out(capsys, root)
    script = root / "scripts/start_server.sh"
    text = script.read_text()
    script.write_text(text.replace("ignore-file[MES999]", "ignore-file[MES998]", 1))
    assert len(script.read_text()) == len(text)  # same size, same (frozen) stat: only the content tells
    second = _out(capsys, root)
    assert len(runs) == 2
    assert second == _out(capsys, root, "--no-cache")
    assert second != first


def test_racy_file_that_cannot_be_hashed_keeps_the_run_unrecorded(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(run_cache, "RACY_NS", 2_000_000_000)
    monkeypatch.setattr(run_cache, "_content_hash", lambda root, rel: None)
    root = _tree(tmp_path)
    _out(capsys, root)
    assert not (root / CACHE_DIR_NAME / RUN_NAME).exists()
    assert (root / CACHE_DIR_NAME / INDEX_NAME).is_file()  # the fact cache still helps


def test_racy_file_changed_during_the_run_keeps_it_unrecorded(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(run_cache, "RACY_NS", 2_000_000_000)
    root = _tree(tmp_path)
    real = engine.run

    def editing(root_, *args, **kwargs):
        result = real(root_, *args, **kwargs)
        (root / "scripts/start_server.sh").write_text("#!/bin/bash\necho changed\n")
        return result

    monkeypatch.setattr(engine, "run", editing)
    _out(capsys, root)
    assert not (root / CACHE_DIR_NAME / RUN_NAME).exists()


@pytest.mark.parametrize("damage", ["garbage", "forged-body", "other-secret", "other-format"])
def test_damaged_or_foreign_record_is_a_miss(tmp_path, capsys, runs, monkeypatch, damage):
    root = _tree(tmp_path)
    expected = _out(capsys, root)
    record = root / CACHE_DIR_NAME / RUN_NAME
    header, body = record.read_bytes().split(b"\n", 1)
    if damage == "garbage":
        record.write_bytes(b"\x00\xffnot json")
    elif damage == "forged-body":
        document = json.loads(body)
        document["findings"] = []  # would hide every finding
        record.write_bytes(header + b"\n" + json.dumps(document).encode())
    elif damage == "other-secret":
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "someone-else"))
    else:
        head = json.loads(header)
        head["format"] = 999
        record.write_bytes(json.dumps(head).encode() + b"\n" + body)
    assert _out(capsys, root) == expected
    assert len(runs) == 2


def test_no_cache_neither_reads_nor_writes_the_record(tmp_path, capsys, runs):
    root = _tree(tmp_path)
    _out(capsys, root, "--no-cache")
    assert not (root / CACHE_DIR_NAME).exists()
    _out(capsys, root)
    _out(capsys, root, "--no-cache")
    assert len(runs) == 3


def test_editor_buffer_equal_to_disk_replays_an_edited_one_does_not(tmp_path, capsys, runs, monkeypatch):
    root = _tree(tmp_path, "MES603/bad")
    unit = next(root.rglob("*.service"))
    rel = unit.relative_to(root).as_posix()
    saved = unit.read_text()
    _out(capsys, root)  # records
    monkeypatch.setattr(sys, "stdin", io.StringIO(saved))
    same = main(["check", "--stdin-filename", str(unit), str(root), "-"]), capsys.readouterr().out
    assert len(runs) == 1, "a buffer equal to the saved file is the recorded run"
    monkeypatch.setattr(sys, "stdin", io.StringIO(saved))
    monkeypatch.setenv("MESLINT_NO_CACHE", "1")
    assert same == (main(["check", "--stdin-filename", str(unit), str(root), "-"]), capsys.readouterr().out)
    assert rel in same[1]
    monkeypatch.delenv("MESLINT_NO_CACHE")
    monkeypatch.setattr(sys, "stdin", io.StringIO(saved.replace("PIDFile=", "#PIDFile=")))
    inventories: list[int] = []
    real_inventory = run_cache._take_inventory
    monkeypatch.setattr(run_cache, "_take_inventory", lambda *a: inventories.append(1) or real_inventory(*a))
    edited = main(["check", "--stdin-filename", str(unit), str(root), "-"]), capsys.readouterr().out
    assert len(runs) == 3 and edited != same
    assert inventories == []  # an edited buffer cannot be replayed, nor is its run recorded: no inventory


def test_warm_replay_imports_no_parser_and_no_check(tmp_path):
    root = _copy(FIXTURES / "demo", tmp_path / "demo")
    old = time.time() - 60
    for path in root.rglob("*"):
        os.utime(path, (old, old), follow_symlinks=False)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    env.pop("MESLINT_NO_CACHE", None)
    driver = ("import sys\nfrom meslint.cli import main\ncode = main(sys.argv[1:])\n"
              "loaded = sorted(m for m in sys.modules if m.startswith(('meslint.parsers', 'meslint.checks',"
              " 'meslint.facts', 'meslint.resolve', 'yaml', 'tree_sitter', 'markdown_it')))\n"
              "print('LOADED=' + ','.join(loaded))\n")

    def loaded() -> str:
        done = subprocess.run([sys.executable, "-c", driver, "check", str(root)], capture_output=True,
                              text=True, env=env, cwd=REPO, check=True)
        return done.stdout.strip().rsplit("LOADED=", 1)[1]

    time.sleep(2.1)  # the subprocess applies the real racy window, and utime moved each ctime
    assert "meslint.checks" in loaded()  # records
    assert loaded() == ""


def test_narrowing_options_apply_to_a_replayed_run(tmp_path, capsys, runs):
    root = _tree(tmp_path, "MES603/bad")
    unit = next(root.rglob("*.service")).relative_to(root).as_posix()
    baseline = tmp_path / "baseline.json"
    _out(capsys, root)  # records
    for extra in (("--only-files", unit), ("--statistics",), ("--baseline", str(baseline))):
        if extra[0] == "--baseline":
            assert main(["check", str(root), "--no-cache", "--write-baseline", str(baseline)]) == 0
            capsys.readouterr()
        assert _out(capsys, root, *extra) == _out(capsys, root, "--no-cache", *extra)
    assert len(runs) == 5  # the recording run and the four --no-cache runs; the rest replayed


def test_a_change_behind_a_link_evaluates_again(tmp_path, capsys, runs):
    root = _tree(tmp_path, "MES603/bad")
    unit = next(root.rglob("*.service"))
    real = root / "deploy" / "real.txt"
    real.write_text(unit.read_text())
    unit.unlink()
    unit.symlink_to("real.txt")
    _out(capsys, root)
    real.write_text(real.read_text().replace("[Service]", "[Service]\n# edited behind the link"))
    _out(capsys, root)
    assert len(runs) == 2


def test_an_untracked_file_in_a_git_work_tree_evaluates_again(tmp_path, capsys, runs):
    root = _tree(tmp_path, "MES603/bad")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    _out(capsys, root)
    _out(capsys, root)
    assert len(runs) == 1
    (root / "docs").mkdir()
    (root / "docs" / "new.md").write_text("# a new, untracked document\n")
    assert _out(capsys, root) == _out(capsys, root, "--no-cache")
    assert len(runs) == 3
