"""Dependency replay (meslint.incremental): after an edit, only the checks that read what changed
run again; the others are replayed from the recorded run, and the findings equal a cold run's."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from meslint import incremental
from meslint.build import TEXTS, build_repository
from meslint.checks import CheckContext
from meslint.cli import main
from meslint.config import Settings
from meslint.engine import load_contract
from meslint.findings import Finding
from meslint.location import Location
from tests.demo_tree import copy_demo

GATE6 = ("MES601", "MES602", "MES603", "MES604", "MES605", "MES606", "MES607", "MES609", "MES610")


pytestmark = pytest.mark.usefixtures("caching_on")


@pytest.fixture
def trackers(monkeypatch):
    """Every Tracker a run makes, and how often the resolution was computed."""
    made: list = []
    real_init = incremental.Tracker.__init__

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(incremental.Tracker, "__init__", init)
    calls = {"resolve": 0}
    real_resolution = incremental.resolution

    def counting(repo, pack):
        calls["resolve"] += 1
        return real_resolution(repo, pack)

    monkeypatch.setattr(incremental, "resolution", counting)
    return made, calls


def _out(capsys, root: Path, *extra: str) -> str:
    main(["check", str(root), "--output-format", "concise", *extra])
    return capsys.readouterr().out


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_readme_edit_replays_gate6_without_resolving_again(tmp_path, capsys, trackers):
    made, calls = trackers
    root = copy_demo(tmp_path / "demo")
    _out(capsys, root)
    calls["resolve"] = 0
    (root / "README.md").write_text((root / "README.md").read_text() + "\nSee [the runbook](docs/runbook.md).\n")
    out = _out(capsys, root)
    assert calls["resolve"] == 0  # the gate 8 checks that read it got the recorded resolution
    assert "MES805" in out  # the edit's own finding, from a check that ran again
    assert out == _out(capsys, root, "--no-cache")
    replayed = next(t for t in reversed(made) if t.prior is not None).replayed
    assert set(GATE6) <= set(replayed)
    assert "MES805" not in replayed


def test_unit_edit_runs_gate6_again_and_never_parses_markdown(tmp_path, capsys, trackers, monkeypatch):
    made, calls = trackers
    root = copy_demo(tmp_path / "demo")
    before = _out(capsys, root)
    assert "MES603" not in before
    calls["resolve"] = 0
    from meslint.parsers import markdown

    def no_markdown(*args, **kwargs):
        raise AssertionError("a unit edit must not parse Markdown again")

    monkeypatch.setattr(markdown, "parse", no_markdown)
    _edit(root / "deploy/mes-dashboard.service", "PIDFile=/run/mes-dashboard/gunicorn.pid",
          "PIDFile=/run/mes-dashboard/other.pid")
    out = _out(capsys, root)
    replayed = next(t for t in reversed(made) if t.prior is not None).replayed
    assert "MES603" in out and "MES603" not in replayed
    assert calls["resolve"] == 1
    monkeypatch.undo()  # the cold run below parses everything
    assert out == _out(capsys, root, "--no-cache")


def test_edit_back_and_forth_equals_cold_each_time(tmp_path, capsys):
    root = copy_demo(tmp_path / "demo")
    unit = root / "deploy/mes-dashboard.service"
    for old, new in (("TimeoutStopSec=150", "TimeoutStopSec=1"), ("TimeoutStopSec=1", "TimeoutStopSec=150"),
                     ("ProtectSystem=strict", "ProtectSystem=full")):
        _edit(unit, old, new)
        assert _out(capsys, root) == _out(capsys, root, "--no-cache")
    readme = root / "README.md"
    _edit(readme, "`GUNICORN_BIND` | `0.0.0.0:8080`", "`GUNICORN_BIND` | `0.0.0.0:9090`")
    out = _out(capsys, root)
    assert "MES801" in out or "GUNICORN_BIND" in out
    assert out == _out(capsys, root, "--no-cache")


# --------------------------------------------------------------------------- the tracker itself


def _repo(root: Path):
    settings = Settings()
    pack = load_contract(settings, root)
    repo = build_repository(root, pack, max_file_size=settings.max_file_size)
    return repo, pack


def _run(repo, pack, prior, checks) -> incremental.Tracker:
    tracker = incremental.Tracker(repo, pack, prior, incremental.Fingerprints(repo, repo._index[TEXTS]))
    for code, check in checks.items():
        tracker.run_check(code, check, lambda proxy: CheckContext(proxy, pack))
    return tracker


def _finding(path: str) -> Finding:
    return Finding("MES999", "m", Location(path, 1, 1), (), "s", "n", "error")


def test_undeclared_reads_are_measured_and_unknown_ones_always_run(tmp_path):
    root = copy_demo(tmp_path / "demo")
    repo, pack = _repo(root)
    checks = {
        "UNITS": lambda ctx: [_finding(u.path) for u in ctx.repo.units][:1],
        "README": lambda ctx: [_finding(ctx.repo.doc("README.md").path)],
        "OPAQUE": lambda ctx: [_finding(str(len(ctx.repo._index)))],  # nothing the tracker can name
    }
    first = _run(repo, pack, None, checks).record()
    assert ["opaque", "_index"] in first["checks"]["OPAQUE"]["deps"]
    again = _run(repo, pack, first, {**checks, "NEW": lambda ctx: []})
    assert again.replayed == ["UNITS", "README"]  # NEW has no record, OPAQUE cannot be proved unchanged
    # A README edit: the unit check is replayed, the README check runs again.
    (root / "README.md").write_text((root / "README.md").read_text() + "\nmore\n")
    repo2, _ = _repo(root)
    third = _run(repo2, pack, first, checks)
    assert third.replayed == ["UNITS"]


def test_a_forged_or_foreign_record_shape_replays_nothing(tmp_path):
    root = copy_demo(tmp_path / "demo")
    repo, pack = _repo(root)
    checks = {"UNITS": lambda ctx: [_finding(u.path) for u in ctx.repo.units]}
    malformed = {"format": incremental.FORMAT, "fields": {}, "items": {}, "memos": {"s:x": {}},
                 "checks": {"UNITS": {"findings": []}}}
    for prior in (None, {}, {"format": 999}, {"format": incremental.FORMAT, "checks": {}}, malformed):
        tracker = _run(repo, pack, prior, checks)
        assert tracker.replayed == []
        assert len(tracker.checks["UNITS"]["findings"]) == len(repo.units)  # it ran


def test_recorded_resolution_restores_equal_to_the_computed_one(tmp_path):
    root = copy_demo(tmp_path / "demo")
    repo, pack = _repo(root)
    resolution = incremental.resolution(repo, pack)
    restored = incremental.restore(incremental.encode(resolution))
    for field in dataclasses.fields(resolution):
        assert getattr(restored, field.name) == getattr(resolution, field.name), field.name
    assert restored.for_setting("WATCHDOG_PID_FILE") == resolution.for_setting("WATCHDOG_PID_FILE")


def test_canonical_form_ignores_set_order_and_refuses_unknown_objects():
    assert incremental.canonical({"b", "a"}) == incremental.canonical({"a", "b"})
    assert incremental.canonical(("a",)) != incremental.canonical(["a"])
    with pytest.raises(incremental.Opaque):
        incremental.canonical(object())
    assert incremental.digest(object()) is None


def test_editor_buffer_replays_what_the_buffer_cannot_affect(tmp_path, capsys, trackers, monkeypatch):
    import io

    made, _ = trackers
    root = copy_demo(tmp_path / "demo")
    _out(capsys, root)  # the recorded run
    unit = root / "deploy/mes-dashboard.service"
    buffer = unit.read_text().replace("PIDFile=/run/mes-dashboard/gunicorn.pid", "PIDFile=/run/elsewhere.pid")

    def editor(*extra: str) -> str:
        monkeypatch.setattr("sys.stdin", io.StringIO(buffer))
        main(["check", str(root), "-", "--stdin-filename", str(unit), "--output-format", "concise", *extra])
        return capsys.readouterr().out

    out = editor()
    assert "MES603" in out
    assert out == editor("--no-cache")
    tracker = next(t for t in reversed(made) if t.prior is not None)
    assert "MES603" not in tracker.replayed and "MES805" in tracker.replayed
    assert unit.read_text() != buffer  # nothing was saved


def test_after_a_unit_edit_only_the_checks_that_run_are_imported(tmp_path):
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    root = copy_demo(tmp_path / "demo")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    env.pop("MESLINT_NO_CACHE", None)
    driver = ("import sys\nfrom meslint.cli import main\ncode = main(sys.argv[1:])\n"
              "loaded = sorted(m for m in sys.modules if m.startswith(('meslint.checks.', 'markdown_it')))\n"
              "print('LOADED=' + ','.join(loaded))\n")

    def loaded() -> set[str]:
        done = subprocess.run([sys.executable, "-c", driver, "check", str(root)], capture_output=True,
                              text=True, env=env, cwd=REPO, check=True)
        return set(filter(None, done.stdout.strip().rsplit("LOADED=", 1)[1].split(",")))

    assert "meslint.checks.doc_dangling_reference" in loaded()  # the recorded run imports every check
    _edit(root / "deploy/mes-dashboard.service", "TimeoutStopSec=150", "TimeoutStopSec=140")
    after = loaded()
    assert "meslint.checks.stop_timeout_too_short" in after  # reads the units: runs
    assert "meslint.checks.doc_dangling_reference" not in after  # reads only docs and paths: replayed
    assert not any(m.startswith("markdown_it") for m in after)  # no Markdown parsed


def test_every_parsed_file_kind_has_a_text_fingerprint() -> None:
    # A Repository field of parsed facts without one is fingerprinted by value, and facts the record's
    # codec does not know make every check that reads them re-run on each edit.
    from meslint.build import _PARSERS
    from meslint.incremental import _BUCKETS

    covered = {kind for kinds in _BUCKETS.values() for kind in kinds}
    assert set(_PARSERS) <= covered
