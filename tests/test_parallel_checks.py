"""The checks split between two processes (meslint.parallel_checks) say what one process says."""

from __future__ import annotations

import os
import shutil
import sys

import pytest

from meslint import forked, parallel_checks
from meslint.cli import main
from tests.conftest import FIXTURES, REPO

pytestmark = pytest.mark.skipif(not forked.available(), reason="needs fork and two cores")


def _synthetic(dest):
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import bench
    finally:
        sys.path.remove(str(REPO / "bench"))
    return bench.generate(dest, 1)


@pytest.fixture(params=["demo", "synthetic", "MES617"])
def tree(request, tmp_path):
    if request.param == "demo":
        return shutil.copytree(FIXTURES / "demo", tmp_path / "t", ignore=shutil.ignore_patterns(".meslint_cache"))
    if request.param == "MES617":
        return shutil.copytree(FIXTURES / "MES617" / "bad_worker_spool", tmp_path / "t")
    return _synthetic(tmp_path / "t")


def _json(capsys, root, *extra) -> str:
    main(["check", str(root), "--output-format", "json", "--exit-zero", *extra])
    return capsys.readouterr().out


def test_split_and_serial_runs_print_the_same(tree, capsys, monkeypatch):
    splits: list[int] = []
    real_split = forked.split

    def counted(remote, local):
        splits.append(1)
        return real_split(remote, local)

    monkeypatch.setattr(forked, "split", counted)
    monkeypatch.setattr(parallel_checks, "MIN_TO_SPLIT", 1)
    monkeypatch.setattr(parallel_checks, "MIN_BYTES", 0)
    split = _json(capsys, tree, "--no-cache")
    assert splits  # it did split
    monkeypatch.setattr(forked, "available", lambda: False)
    assert _json(capsys, tree, "--no-cache") == split


def test_after_an_edit_the_split_replays_and_records_as_one_process_does(tree, capsys, monkeypatch, caching_on):
    monkeypatch.setattr(parallel_checks, "MIN_TO_SPLIT", 1)
    monkeypatch.setattr(parallel_checks, "MIN_BYTES", 0)
    _json(capsys, tree)  # recorded
    unit = sorted(tree.rglob("*.service"))[0]
    unit.write_text(unit.read_text().replace("[Service]\n", "[Service]\nEnvironment=SPLIT_EDIT=1\n", 1))
    after_edit = _json(capsys, tree)
    assert after_edit == _json(capsys, tree, "--no-cache")
    env = tree / ".env.example"
    if env.exists():  # a second edit, replayed from the record the split run wrote
        env.write_text("SPLIT_EDIT_TWO=1\n" + env.read_text())
        assert _json(capsys, tree) == _json(capsys, tree, "--no-cache")


def test_a_failed_helper_leaves_its_checks_to_this_process(capsys, monkeypatch, tmp_path):
    tree = shutil.copytree(FIXTURES / "demo", tmp_path / "t", ignore=shutil.ignore_patterns(".meslint_cache"))
    expected = _json(capsys, tree, "--no-cache")
    parent = os.getpid()
    marker = tmp_path / "helper-ran"

    def dying(pairs, run_one, tracker, *inherited):
        if os.getpid() != parent:
            marker.write_text("x")
        raise RuntimeError("the helper breaks")

    monkeypatch.setattr(parallel_checks, "_remote", dying)
    monkeypatch.setattr(parallel_checks, "MIN_TO_SPLIT", 1)
    monkeypatch.setattr(parallel_checks, "MIN_BYTES", 0)
    assert _json(capsys, tree, "--no-cache") == expected
    assert marker.exists()  # the helper was asked, and failed


def test_the_readers_of_the_resolution_stay_together_and_write_sets_go():
    import inspect

    from meslint.checks import all_rules

    readers = set()
    for rule in all_rules():
        if rule.check is None:
            continue
        # A check module and the hook modules it takes (its container half) read it as .resolution
        module = inspect.getmodule(rule.check)
        sources = inspect.getsource(module) + "".join(
            inspect.getsource(m) for m in vars(module).values()
            if inspect.ismodule(m) and m.__name__.startswith("meslint.checks."))
        if ".resolution" in sources or "resolve(" in sources or "counterfactual" in sources:  # what-if too
            readers.add(rule.code)
    assert readers - {"MES617", "MES618"} == set(parallel_checks.RESOLUTION_READERS)
    assert parallel_checks.stays_here("MES601") and parallel_checks.stays_here("MES801")
    assert not parallel_checks.stays_here("MES617") and not parallel_checks.stays_here("MES805")


class _Recorded:
    """A tracker as the split sees it: which checks surely replay, and the times the record holds."""

    def __init__(self, costs: dict[str, float], replayed: frozenset[str] = frozenset()) -> None:
        self._costs, self._replayed = costs, replayed

    def replays(self, code: str, *, recompute: bool = True) -> bool:
        return code in self._replayed

    def costs(self) -> dict[str, float]:
        return dict(self._costs)


def _codes(pairs) -> list[str]:
    return [code for code, _ in pairs]


def test_the_shares_follow_the_recorded_times_and_keep_the_fixed_checks_in_place():
    checks = [(code, None) for code in ("MES101", "MES201", "MES204", "MES601", "MES605", "MES617", "MES801")]
    # After a unit edit: this process has the long share (the resolution's readers).
    here, there = parallel_checks.shares(checks, _Recorded(
        {"MES101": 5, "MES201": 12, "MES204": 13, "MES601": 40, "MES605": 6, "MES617": 30, "MES801": 35}))
    assert {"MES601", "MES801"} <= set(_codes(here)) and "MES617" in _codes(there)
    assert {"MES201", "MES204"} <= set(_codes(there))  # moved to even the shares: 75 here, 66 there
    assert _codes(here) == sorted(_codes(here)) and _codes(there) == sorted(_codes(there))  # the checks' order
    # After a .py edit the write sets are long: the others come here.
    here, there = parallel_checks.shares(checks, _Recorded(
        {"MES101": 5, "MES201": 12, "MES204": 13, "MES601": 20, "MES605": 6, "MES617": 90, "MES801": 10}))
    assert _codes(there) == ["MES617"]
    # A check sure to replay is in neither share; without times for every check, the fixed split.
    here, there = parallel_checks.shares(checks, _Recorded({"MES601": 40}, frozenset({"MES605"})))
    assert "MES605" not in _codes(here) + _codes(there)
    assert set(_codes(here)) == {"MES201", "MES204", "MES601", "MES801"}
    assert set(_codes(there)) == {"MES101", "MES617"}
