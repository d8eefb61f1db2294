"""Gate 6 views that read one kind of file come back from the record after an edit of another kind.

MES615's operator-doc defaults read the docs alone, MES604's stale copies of the bind read the
start script alone: both checks re-run after a unit edit (they read the units through the
resolution), but those views are restored (meslint.incremental.SELF_CONTAINED), and computed again
once what they read changes.  Each is shown to give the cold findings.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from meslint import incremental
from meslint.build import TEXTS, build_repository
from meslint.checks import CheckContext, bind_mismatch, env_template_outlier
from meslint.config import Settings
from meslint.engine import load_contract
from tests.demo_tree import copy_demo

pytestmark = pytest.mark.usefixtures("caching_on")

UNIT = "deploy/mes-dashboard.service"


def _run(root: Path, prior: dict | None, code: str, check) -> incremental.Tracker:
    settings = Settings()
    pack = load_contract(settings, root)
    repo = build_repository(root, pack, max_file_size=settings.max_file_size)
    tracker = incremental.Tracker(repo, pack, prior, incremental.Fingerprints(repo, repo._index[TEXTS]))
    tracker.run_check(code, check, lambda proxy: CheckContext(proxy, pack))
    return tracker


def _append(path: Path, line: str) -> None:
    path.write_text(path.read_text() + line)


def _counting(monkeypatch, module, name: str) -> list[int]:
    calls: list[int] = []
    real = getattr(module, name)

    def counted(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(module, name, counted)
    return calls


@pytest.mark.parametrize(("module", "view", "own_file", "own_edit"), [
    (env_template_outlier, "_read_doc_defaults", "README.md", "\n`GUNICORN_WORKERS` 預設 `7`.\n"),
    (bind_mismatch, "_stale_uses", "scripts/start_server.sh", "\nexport GUNICORN_BIND\n"),
])
def test_a_view_of_one_file_kind_is_restored_after_a_unit_edit(tmp_path, monkeypatch, module, view, own_file,
                                                               own_edit):
    root = copy_demo(tmp_path / "demo")
    code = module.RULE.code
    computed = _counting(monkeypatch, module, view)
    first = _run(root, None, code, module.check)
    assert computed == [1]
    record = first.record()
    assert any(name.startswith(incremental.SELF_CONTAINED) and "data" in entry
               for name, entry in record["memos"].items() if module.__name__.rsplit(".", 1)[1] in name)
    unit = root / UNIT  # a unit edit that moves the resolution (a comment alone would replay the check)
    unit.write_text(unit.read_text().replace("[Service]\n", "[Service]\nEnvironment=GUNICORN_WORKERS=3\n", 1))
    second = _run(root, record, code, module.check)
    assert second.replayed == [] and computed == [1]  # the check ran; the view came from the record
    assert second.checks[code]["findings"] == _run(root, None, code, module.check).checks[code]["findings"]
    computed.clear()
    _append(root / own_file, own_edit)  # what the view read changed: computed again, as a cold run
    third = _run(root, record, code, module.check)
    assert computed == [1]
    assert third.checks[code]["findings"] == _run(root, None, code, module.check).checks[code]["findings"]
