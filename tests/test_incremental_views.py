"""Finer dependencies for the dependency replay (issue 19): a check that quotes one file's text reads
that file alone, memo keys made of unit-code entries or what-if environments have canonical forms,
and a view that reads the repository alone neither takes its caller's reads nor is computed again
while what it read is unchanged.  Each reuse path is also shown to give way to a change."""

from __future__ import annotations

from pathlib import Path

import pytest

from meslint import call_graph, incremental, unit_code
from meslint.autofix import text_of
from meslint.build import TEXTS, build_repository
from meslint.checks import CheckContext
from meslint.cli import main
from meslint.config import Settings
from meslint.counterfactual import Counterfactual
from meslint.engine import load_contract
from meslint.findings import Finding
from meslint.location import Location
from tests.demo_tree import copy_demo

pytestmark = pytest.mark.usefixtures("caching_on")


def _repo(root: Path):
    settings = Settings()
    pack = load_contract(settings, root)
    return build_repository(root, pack, max_file_size=settings.max_file_size), pack


def _run(repo, pack, prior, checks) -> incremental.Tracker:
    tracker = incremental.Tracker(repo, pack, prior, incremental.Fingerprints(repo, repo._index[TEXTS]))
    for code, check in checks.items():
        tracker.run_check(code, check, lambda proxy: CheckContext(proxy, pack))
    return tracker


def _finding(text: str | None) -> Finding:
    return Finding("MES999", str(len(text or "")), Location("README.md", 1, 1), (), "s", "n", "error")


def _append(path: Path, line: str) -> None:
    path.write_text(path.read_text() + line)


def _out(capsys, root: Path, *extra: str) -> str:
    main(["check", str(root), "--output-format", "concise", *extra])
    return capsys.readouterr().out


def test_quoting_a_file_text_reads_that_file_alone(tmp_path):
    root = copy_demo(tmp_path / "demo")
    repo, pack = _repo(root)
    checks = {"QUOTE": lambda ctx: [_finding(text_of(ctx.repo, "README.md"))]}
    first = _run(repo, pack, None, checks)
    assert first.checks["QUOTE"]["deps"] == [["text", "README.md"]]  # not the opaque ``_index``
    record = first.record()
    # A unit edit leaves the quoted text: replayed.
    _append(root / "deploy/mes-dashboard.service", "# a comment\n")
    repo2, _ = _repo(root)
    assert _run(repo2, pack, record, checks).replayed == ["QUOTE"]
    # An edit of the quoted file runs the check again, with the new text.
    _append(root / "README.md", "\nmore words\n")
    repo3, _ = _repo(root)
    third = _run(repo3, pack, record, checks)
    assert third.replayed == []
    assert third.checks["QUOTE"]["findings"][0][1] == str(len((root / "README.md").read_text()))
    # The file deleted: "absent" is a change too.
    (root / "README.md").unlink()
    repo4, _ = _repo(root)
    assert _run(repo4, pack, record, checks).replayed == []


def test_memo_keys_of_entries_and_what_ifs_are_canonical():
    entry = unit_code.Entry("app.py", "python app.py", Location("deploy/x.service", 3, 1), function="job")
    what_if = Counterfactual("no env file", frozenset({"B", "A"}), (("X", "1"),), frozenset())
    for key in (("unit_code.reached", "deploy/x.service", (entry,)), ("counterfactual", what_if)):
        assert incremental.memo_key(key) is not None
        assert incremental.restore(incremental.encode(key)) == key
    other = unit_code.Entry("app.py", "python app.py", Location("deploy/x.service", 3, 1), function="other")
    assert (incremental.memo_key(("unit_code.reached", "deploy/x.service", (entry,)))
            != incremental.memo_key(("unit_code.reached", "deploy/x.service", (other,))))


def test_a_self_contained_view_keeps_only_its_own_reads_and_comes_back_until_they_change(tmp_path, monkeypatch):
    root = copy_demo(tmp_path / "demo")
    computed: list[int] = []
    real = unit_code._jobs

    def counting(repo):
        computed.append(1)
        return real(repo)

    monkeypatch.setattr(unit_code, "_jobs", counting)

    def check(ctx):  # reads the units first: the view computed after must not take that read
        assert ctx.repo.units
        return [_finding(str(unit_code.jobs(ctx.repo)))]

    repo, pack = _repo(root)
    first = _run(repo, pack, None, {"JOBS": check})
    record = first.record()
    entry = record["memos"]["s:unit_code.jobs"]  # (a view compared by value: encoded when recorded)
    assert ["field", "units"] not in entry["deps"] and ["field", "python"] in entry["deps"]
    assert entry.get("data") is not None
    assert computed == [1]
    # A unit edit re-runs the check (it reads the units), but the jobs come back from the record.
    _append(root / "deploy/mes-dashboard.service", "# a comment\n")
    repo2, _ = _repo(root)
    second = _run(repo2, pack, record, {"JOBS": check})
    assert second.replayed == [] and computed == [1]
    assert second.checks["JOBS"]["findings"] == first.checks["JOBS"]["findings"]
    # A Python edit changes what the view read: computed again.
    _append(root / "src/mes_dashboard/app.py", "\nEXTRA = 1\n")
    repo3, _ = _repo(root)
    _run(repo3, pack, record, {"JOBS": check})
    assert computed == [1, 1]


def _counting_walks(monkeypatch) -> list[int]:
    """One entry per call-graph walk from now on."""
    walks: list[int] = []
    real = call_graph.CallGraph.reach

    def counting(self, *args, **kwargs):
        walks.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(call_graph.CallGraph, "reach", counting)
    return walks


def _reach_check(ctx):
    return [_finding(f"{unit.path}:{sorted(unit_code.unit_code(ctx.repo, ctx.pack, unit)._reached(ctx.repo))}")
            for unit in ctx.repo.units]


def test_a_units_reach_is_restored_after_a_unit_edit_and_computed_after_a_python_edit(tmp_path, monkeypatch):
    root = copy_demo(tmp_path / "demo")
    reaches = _counting_walks(monkeypatch)
    check = _reach_check

    repo, pack = _repo(root)
    first = _run(repo, pack, None, {"REACH": check})
    record = first.record()
    computed = len(reaches)
    assert computed > 0
    reaches.clear()
    _append(root / "deploy/mes-dashboard-report-worker.service", "# an edit\n")
    repo2, _ = _repo(root)
    second = _run(repo2, pack, record, {"REACH": check})
    assert second.replayed == [] and reaches == []  # the check ran; every reach came from the record
    assert second.checks["REACH"]["findings"] == first.checks["REACH"]["findings"]
    # A Python edit that adds a call: every reach is computed again, and equals a cold computation.
    _append(root / "scripts/worker_watchdog.py", "\ndef _added():\n    return 1\n\n_added()\n")
    repo3, _ = _repo(root)
    third = _run(repo3, pack, record, {"REACH": check})
    assert len(reaches) == computed
    assert third.checks["REACH"]["findings"] == _run(repo3, pack, None, {"REACH": check}).checks["REACH"]["findings"]


def test_a_python_edit_that_changes_no_call_restores_every_reach(tmp_path, monkeypatch):
    root = copy_demo(tmp_path / "demo")
    reaches = _counting_walks(monkeypatch)
    check = _reach_check

    repo, pack = _repo(root)
    record = _run(repo, pack, None, {"REACH": check}).record()
    reaches.clear()
    # A comment and a constant: every line moves, no import, call, class or instance changes.
    app = root / "src/mes_dashboard/app.py"
    app.write_text("# a comment\n\n" + app.read_text() + "\nNOTE = 'words'\n")
    repo2, _ = _repo(root)
    second = _run(repo2, pack, record, {"REACH": check})
    assert second.replayed == []  # the check ran (it reads the code) ...
    walks = list(reaches)
    reaches.clear()
    cold = _run(_repo(root)[0], pack, None, {"REACH": check})
    assert walks == [] and reaches  # ... but the units' reaches and the job groups came from the record
    assert second.checks["REACH"]["findings"] == cold.checks["REACH"]["findings"]


def test_deciding_without_recomputing_leaves_the_resolution_to_whoever_reads_it(tmp_path):
    root = copy_demo(tmp_path / "demo")

    def reading(ctx):  # the resolution through the tracked view, as the gate 6 checks read it
        return [_finding(str(len(ctx.repo.memo(incremental.RESOLUTION,
                                                   lambda: incremental.resolution(ctx.repo, ctx.pack)).values)))]

    repo, pack = _repo(root)
    record = _run(repo, pack, None, {"RES": reading}).record()
    _append(root / "deploy/mes-dashboard.service", "Environment=EXTRA=1\n")
    repo2, _ = _repo(root)
    tracker = incremental.Tracker(repo2, pack, record, incremental.Fingerprints(repo2, repo2._index[TEXTS]))
    assert tracker.replays("RES", recompute=False) is False
    assert incremental.RESOLUTION not in repo2._index  # not computed to answer
    assert "s:" + incremental.RESOLUTION in tracker.views_read(["RES"])  # with the views it reads
    tracker.compute_views(tracker.views_read(["RES"]))
    assert incremental.RESOLUTION in repo2._index  # computed once, before any fork
    assert "s:" + incremental.RESOLUTION in tracker._unencoded  # its comparison waits for a decision
    # Computed, it is still not compared (that encodes it): the cheap question has no answer yet ...
    assert tracker.replays("RES", recompute=False) is False
    # ... the full one compares it (the same value: the variable is no contract setting), and then both agree.
    assert tracker.replays("RES") is True
    assert tracker.replays("RES", recompute=False) is True


def test_a_view_of_one_script_reads_that_script_not_what_its_caller_read(tmp_path):
    from meslint.script_flow import script_model

    root = copy_demo(tmp_path / "demo")

    def flow_after_units(ctx):  # reads the units first, then hands the view the script's facts
        assert ctx.repo.units
        script = ctx.repo.script("scripts/start_server.sh")
        return [_finding(str(len(script_model(script, ".env", ctx.shared).functions)))]

    def flow_only(ctx):
        script = ctx.repo.script("scripts/start_server.sh")
        return [_finding(str(sorted(script_model(script, ".env", ctx.shared).functions)))]

    checks = {"A": flow_after_units, "B": flow_only}
    repo, pack = _repo(root)
    first = _run(repo, pack, None, checks)
    name = next(n for n in first.memos if n.startswith('c:["T","script_flow"'))
    assert first.memos[name]["deps"] == [["item", "scripts", "scripts/start_server.sh"]]
    record = first.record()
    _append(root / "deploy/mes-dashboard.service", "# an edit\n")
    repo2, _ = _repo(root)
    assert _run(repo2, pack, record, checks).replayed == ["B"]  # A read the units; B only the script's flow
    _append(root / "scripts/start_server.sh", "\nextra_function() { :; }\n")
    repo3, _ = _repo(root)
    third = _run(repo3, pack, record, checks)
    assert third.replayed == []
    assert third.checks["B"]["findings"] == _run(_repo(root)[0], pack, None, checks).checks["B"]["findings"]


def test_the_container_runs_follow_the_names_the_units_set_not_the_units(tmp_path):
    from meslint.container_runtime import container_runs

    root = copy_demo(tmp_path / "demo")

    def runs(ctx):
        return [_finding(str([(run.name, sorted(run.app_names)) for run in container_runs(ctx.repo, ctx.pack)]))]

    repo, pack = _repo(root)
    first = _run(repo, pack, None, {"RUNS": runs})
    assert ["field", "units"] not in first.memos["s:container_runtime.runs"]["deps"]
    assert int(first.checks["RUNS"]["findings"][0][1]) > len("[]")  # the demo has container runs (_finding: a length)
    record = first.record()
    unit = root / "deploy/mes-dashboard.service"
    text = unit.read_text()
    # A value changed, no new name: replayed.
    assert "Environment=" in text
    unit.write_text(text.replace("[Service]\n", "[Service]\n# a comment\n", 1))
    assert _run(_repo(root)[0], pack, record, {"RUNS": runs}).replayed == ["RUNS"]
    # A new name is one of the application's: computed again, and as a cold run computes it.
    unit.write_text(text.replace("[Service]\n", "[Service]\nEnvironment=NEW_APP_NAME=1\n", 1))
    again = _run(_repo(root)[0], pack, record, {"RUNS": runs})
    assert again.replayed == []
    assert again.checks["RUNS"]["findings"] != first.checks["RUNS"]["findings"]  # one name longer
    cold = _run(_repo(root)[0], pack, None, {"RUNS": runs})
    assert again.checks["RUNS"]["findings"] == cold.checks["RUNS"]["findings"]


def test_a_documents_claims_come_back_from_the_record_after_a_unit_edit(tmp_path, monkeypatch):
    from meslint.checks import readme_contract_drift as mes801

    root = copy_demo(tmp_path / "demo")
    read: list[str] = []
    real = mes801._read_doc

    def counting(doc, pack, prefix):
        read.append(doc.path)
        return real(doc, pack, prefix)

    monkeypatch.setattr(mes801, "_read_doc", counting)
    checks = {"MES801": mes801.check}
    repo, pack = _repo(root)
    first = _run(repo, pack, None, checks)
    assert read == ["README.md"]
    record = first.record()
    read.clear()
    unit = root / "deploy/mes-dashboard.service"
    unit.write_text(unit.read_text().replace("[Service]\n", "[Service]\nEnvironment=GUNICORN_BIND=0.0.0.0:9999\n", 1))
    second = _run(_repo(root)[0], pack, record, checks)
    assert second.replayed == [] and read == []  # judged again against the new bind, the claims restored
    cold = _run(_repo(root)[0], pack, None, checks)
    assert second.checks["MES801"]["findings"] == cold.checks["MES801"]["findings"]
    read.clear()
    _append(root / "README.md", "\n`GUNICORN_BIND=0.0.0.0:7777`\n")
    third = _run(_repo(root)[0], pack, record, checks)
    assert read == ["README.md"]
    assert third.checks["MES801"]["findings"] == _run(_repo(root)[0], pack, None, checks).checks["MES801"]["findings"]


def test_missing_root_paths_walk_only_the_kind_that_changed(tmp_path, monkeypatch):
    from meslint.checks import missing_root_path as mes204

    root = copy_demo(tmp_path / "demo")
    walked: list[str] = []
    for name in ("_unit_references", "_script_references", "_python_references"):
        real = getattr(mes204, name)

        def counting(ctx, real=real, name=name):
            walked.append(name)
            return real(ctx)

        monkeypatch.setattr(mes204, name, counting)
    checks = {"MES204": mes204.check}
    repo, pack = _repo(root)
    record = _run(repo, pack, None, checks).record()
    assert len(walked) == 3
    walked.clear()
    _append(root / "deploy/mes-dashboard.service", "# an edit\n")
    second = _run(_repo(root)[0], pack, record, checks)
    assert second.replayed == [] and walked == ["_unit_references"]  # the scripts and modules: from the record
    assert second.checks["MES204"]["findings"] == _run(_repo(root)[0], pack, None, checks).checks["MES204"]["findings"]
    walked.clear()
    _append(root / "scripts/start_server.sh", "\ncd missing_dir_for_the_test\n")
    third = _run(_repo(root)[0], pack, record, checks)
    assert "_script_references" in walked and "_python_references" not in walked
    cold = _run(_repo(root)[0], pack, None, checks)
    assert third.checks["MES204"]["findings"] == cold.checks["MES204"]["findings"]
    assert third.checks["MES204"]["findings"] != second.checks["MES204"]["findings"]  # the new cd is found


def test_legacy_subtree_sites_are_scanned_only_for_the_kind_that_changed(tmp_path, monkeypatch):
    from meslint.checks import legacy_subtree_reference as mes201

    root = copy_demo(tmp_path / "demo")
    scanned: list[str] = []
    real = mes201._hit_sites

    def counting(ctx, kind, names):
        scanned.append(kind)
        return real(ctx, kind, names)

    monkeypatch.setattr(mes201, "_hit_sites", counting)
    checks = {"MES201": mes201.check}
    repo, pack = _repo(root)
    record = _run(repo, pack, None, checks).record()
    assert scanned == list(mes201._KINDS)
    scanned.clear()
    unit = root / "deploy/mes-dashboard.service"
    unit.write_text(unit.read_text().replace("[Service]\n", "[Service]\nEnvironment=OLD=/opt/mes/DashBoard/x\n", 1))
    second = _run(_repo(root)[0], pack, record, checks)
    assert scanned == ["units"]
    cold = _run(_repo(root)[0], pack, None, checks)
    assert second.checks["MES201"]["findings"] == cold.checks["MES201"]["findings"]
    assert len(second.checks["MES201"]["findings"]) > len(_run(repo, pack, None, checks).checks["MES201"]["findings"])


def test_edits_after_a_recorded_run_give_the_cold_findings(tmp_path, capsys):
    root = copy_demo(tmp_path / "demo")
    _out(capsys, root)
    for path, line in (("deploy/mes-dashboard-report-worker.service", "# an edit\n"),
                       ("src/mes_dashboard/app.py", "\nEXTRA = 1\n"), ("README.md", "\nSee docs/missing.md.\n")):
        _append(root / path, line)
        assert _out(capsys, root) == _out(capsys, root, "--no-cache"), path


def test_a_moved_path_suggestion_is_restored_until_the_paths_change(tmp_path, monkeypatch):
    from meslint.autofix import moved_path

    root = copy_demo(tmp_path / "demo")
    (root / "docs").mkdir()
    (root / "docs/runbook.md").write_text("# Runbook\n")
    (root / "README.md").write_text("See docs/old/runbook.md for the steps.\n" + (root / "README.md").read_text())
    scans: list[str] = []
    real = moved_path.closest

    def counting(paths, missing):
        scans.append(missing)
        return real(paths, missing)

    monkeypatch.setattr(moved_path, "closest", counting)

    def check(ctx):
        fix = moved_path.suggest(ctx.repo, "docs/old/runbook.md", Location("README.md", 1, 5))
        assert moved_path.suggest(ctx.repo, "zz/qq.none", Location("README.md", 1, 1)) is None  # None is recorded too
        return [_finding(fix.message if fix else "")]

    repo, pack = _repo(root)
    first = _run(repo, pack, None, {"MOVED": check})
    record = first.record()
    assert scans == ["docs/old/runbook.md", "zz/qq.none"]
    assert first.checks["MOVED"]["findings"][0][1] == str(len("did you mean docs/runbook.md?"))
    _append(root / "README.md", "\nanother line\n")  # the check runs again (it quotes README) ...
    repo2, _ = _repo(root)
    second = _run(repo2, pack, record, {"MOVED": check})
    assert second.replayed == [] and scans == ["docs/old/runbook.md", "zz/qq.none"]  # ... but the scans come back
    (root / "docs/runbook.md").unlink()  # the paths changed: scanned again, and no suggestion now
    repo3, _ = _repo(root)
    third = _run(repo3, pack, record, {"MOVED": check})
    assert len(scans) == 4
    assert third.checks["MOVED"]["findings"][0][1] == "0"
