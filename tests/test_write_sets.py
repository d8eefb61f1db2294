"""Write sets (issue 15): write-site facts, the import and call graphs, the code a unit runs, show-contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from meslint.build import build_repository
from meslint.call_graph import call_graph
from meslint.import_graph import dotted_names, import_graph
from meslint.pack import load_pack
from meslint.parsers.python_src import parse
from meslint.resolve import contract_units
from meslint.unit_code import jobs, unit_code
from meslint.unit_writes import unit_writes
from tests.conftest import FIXTURES

ROOT = Path(__file__).resolve().parents[1]


def _sites(source: str, path: str = "src/pkg/mod.py"):
    module = parse(path, source)
    assert not module.problems
    return module


def test_write_kinds_and_modes() -> None:
    module = _sites(
        "import os, sqlite3\n"
        "from pathlib import Path\n"
        "BASE = os.getenv('BASE', '/srv/base')\n"
        "def f(p):\n"
        "    open(os.path.join(BASE, 'a.log'), 'a')\n"
        "    open(BASE + '/r.txt')\n"
        "    open(p, 'w')\n"
        "    sqlite3.connect(':memory:')\n"
        "    Path(BASE, 'x').mkdir()\n"
    )
    sites = [(s.kind, s.path, s.write) for s in module.writes]
    assert sites == [
        ("open", "${BASE:-/srv/base}/a.log", True),
        ("read", "${BASE:-/srv/base}/r.txt", False),
        ("open", None, True),  # unknown path: kept, never guessed
        ("mkdir", "${BASE:-/srv/base}/x", True),
    ]
    assert module.writes[2].expr == "p"


def test_unix_sockets() -> None:
    module = _sites(
        "import socket\n"
        "SOCK = '/tmp/app.sock'\n"
        "def serve(s, c, db):\n"
        "    s.bind(SOCK)\n"
        "    c.connect(SOCK)\n"
        "    c.connect(('localhost', 80))\n"
        "    db.connect()\n"
    )
    assert [(s.kind, s.path, s.write) for s in module.writes] == [("socket", "/tmp/app.sock", True),
                                                                   ("socket", "/tmp/app.sock", False)]


def test_imported_base_and_helper_return() -> None:
    module = _sites(
        "from pkg.config import SPOOL\n"
        "from .paths import ROOT as R\n"
        "def _root():\n"
        "    return SPOOL / 'ns'\n"
        "def f(df):\n"
        "    d = _root()\n"
        "    df.to_parquet(d / 'a.parquet')\n"
        "    (R / 'x').touch()\n"
    )
    assert [(s.path, s.base) for s in module.writes] == [("ns/a.parquet", "pkg.config.SPOOL"), ("x", ".paths.ROOT")]
    assert {".paths", ".paths.ROOT", "pkg.config", "pkg.config.SPOOL"} <= set(module.import_refs)


def test_enqueue_forms() -> None:
    module = _sites(
        "import os\n"
        "from rq import Queue\n"
        "from pkg.jobs import run\n"
        "Q = os.getenv('Q', 'reports')\n"
        "def _queue():\n"
        "    return Queue(Q)\n"
        "def direct(conn):\n"
        "    q = _queue()\n"
        "    q.enqueue(run, 1)\n"
        "    Queue('b').enqueue_call(func='pkg.jobs.other')\n"
        "def helper(queue_name, worker_fn):\n"
        "    queue = Queue(queue_name)\n"
        "    queue.enqueue(worker_fn)\n"
    )
    calls = [(c.queue, dict(c.args).get("0")) for c in module.enqueues]
    assert calls == [("tpl:${Q:-reports}", "ref:pkg.jobs.run"), ("tpl:b", "tpl:pkg.jobs.other"),
                     ("param:queue_name", "param:worker_fn")]


def test_module_level_callbacks_are_registrations_not_calls() -> None:
    module = _sites(
        "from pkg.registry import register\n"
        "def job():\n    pass\n"
        "def runner(pool):\n    pool.submit(job)\n"
        "register(job)\n"
    )
    assert ("runner", "job") in module.calls
    assert ("", "job") not in module.calls
    assert ("", "pkg.registry.register") in module.calls


def test_dotted_names_and_relative_refs(tmp_path: Path) -> None:
    assert dotted_names("src/pkg/__init__.py") == ["pkg", "src.pkg"]
    assert dotted_names("scripts/run-me.py") == []
    repo = build_repository(FIXTURES / "MES617" / "bad_worker_spool", load_pack("mes-dashboard"), max_file_size=1 << 20)
    graph = import_graph(repo)
    assert graph.resolve_ref(".app", "src/mes_dashboard/__init__.py") == "mes_dashboard.app"
    assert graph.resolve_ref("..core.spool", "src/mes_dashboard/services/report_jobs.py") == "mes_dashboard.core.spool"
    # Importing a package module runs the package's __init__ first, and that imports the app.
    closure = graph.closure("src/mes_dashboard/services/report_jobs.py")
    assert "src/mes_dashboard/__init__.py" in closure and "src/mes_dashboard/app.py" in closure


def test_rq_worker_runs_only_the_jobs_of_its_queue() -> None:
    pack = load_pack("mes-dashboard")
    repo = build_repository(FIXTURES / "MES617" / "bad_worker_spool", pack, max_file_size=1 << 20)
    linked = {(j.queue, j.target) for j in jobs(repo)}
    assert ("tpl:${REPORT_WORKER_QUEUE:-report-query}", "mes_dashboard.services.report_jobs.build_report") in linked
    # through the helper that passes its parameters to Queue(...).enqueue(...)
    assert ("ref:mes_dashboard.app.REPORT_QUEUE", "mes_dashboard.services.report_jobs.build_summary") in linked \
        or any(t.endswith("build_summary") for _q, t in linked)
    assert ("tpl:archive-query", "mes_dashboard.services.archive_jobs.archive") in linked
    unit = contract_units(repo, pack)[0]
    code = unit_code(repo, pack, unit)
    assert sorted(e.function or "" for e in code.entries) == ["build_report", "build_summary"]
    written = {w.path for w in unit_writes(repo, pack, unit) if w.site.write}
    # the archive job's queue has no worker here: its copy target is no write of this unit
    assert "/srv/archive/report.parquet" not in written
    assert "/opt/mes-dashboard/tmp/query_spool/summary.csv" in written
    reached = call_graph(repo).reach([("src/mes_dashboard/services/report_jobs.py", "build_report")])
    assert ("src/mes_dashboard/services/report_jobs.py", "build_summary") not in reached


def test_call_graph_follows_calls_methods_and_imports(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "src" / "pkg").mkdir(parents=True)
    (root / "src" / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    (root / "src" / "pkg" / "a.py").write_text(
        "from pkg.b import store\n"
        "def job():\n    helper()\n"
        "def helper():\n    store()\n"
        "def unused():\n    open('/srv/u', 'w')\n"
        "class Writer:\n"
        "    def run(self):\n        self.flush()\n"
        "    def flush(self):\n        open('/srv/w', 'w')\n", encoding="utf-8")
    (root / "src" / "pkg" / "b.py").write_text("def store():\n    open('/srv/b', 'w')\n", encoding="utf-8")
    repo = build_repository(root, load_pack("mes-dashboard"), max_file_size=1 << 20)
    graph = call_graph(repo)
    reached = graph.reach([("src/pkg/a.py", "job")])
    assert ("src/pkg/b.py", "store") in reached
    assert ("src/pkg/a.py", "unused") not in reached
    assert ("src/pkg/a.py", "Writer.flush") in graph.reach([("src/pkg/a.py", "Writer.run")])


def test_show_contract_lists_write_sets_with_unknowns(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "deploy").mkdir(parents=True)
    (root / "src" / "mes_dashboard").mkdir(parents=True)
    (root / "deploy" / "mes-dashboard.service").write_text(
        "[Service]\nWorkingDirectory=/opt/mes-dashboard\n"
        "ExecStart=/usr/bin/env gunicorn mes_dashboard:create_app()\nProtectSystem=strict\n", encoding="utf-8")
    (root / "src" / "mes_dashboard" / "__init__.py").write_text(
        "import os\nfrom pathlib import Path\n"
        "def create_app(target=None):\n"
        "    Path(os.getenv('APP_STATE', 'state/app.json')).write_text('{}')\n"
        "    open(target, 'w')\n", encoding="utf-8")
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "meslint", "show-contract", str(root), "--output-format", "json"],
                         capture_output=True, text=True, env=env, check=True).stdout
    record = json.loads(out)["writes"][0]
    assert record["unit"] == "deploy/mes-dashboard.service"
    [write] = record["writes"]
    assert write["path"] == "/opt/mes-dashboard/state/app.json" and write["access"] == "read-only"
    assert any("APP_STATE unset" in step["text"] for step in write["provenance"])
    [unknown] = record["unknown"]
    assert unknown["expression"] == "target" and unknown["path"] is None
    text = subprocess.run([sys.executable, "-m", "meslint", "show-contract", str(root)],
                          capture_output=True, text=True, env=env, check=True).stdout
    assert "(unknown) open(..., 'w') at src/mes_dashboard/__init__.py:5: target" in text


def test_runtime_files_are_left_to_mes606(tmp_path: Path) -> None:
    """A write of a WATCHDOG_* path MES606 already reports for the unit is not reported again."""
    root = tmp_path / "repo"
    (root / "deploy").mkdir(parents=True)
    (root / "scripts").mkdir()
    (root / "deploy" / "mes-dashboard-watchdog.service").write_text(
        "[Service]\nWorkingDirectory=/opt/mes-dashboard\n"
        "ExecStart=/usr/bin/python3 scripts/worker_watchdog.py\nProtectSystem=strict\n", encoding="utf-8")
    (root / "scripts" / "worker_watchdog.py").write_text(
        "import os\nSTATE = os.getenv('WATCHDOG_STATE_FILE', '/opt/mes-dashboard/tmp/state.json')\n"
        "def main():\n    open(STATE, 'w')\n    open('/opt/mes-dashboard/tmp/other.json', 'w')\n"
        "main()\n", encoding="utf-8")
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "meslint", "check", str(root), "--no-cache", "--output-format",
                          "concise", "--select", "MES606,MES617"], capture_output=True, text=True, env=env).stdout
    lines = out.splitlines()
    assert any("MES606" in line and "WATCHDOG_STATE_FILE" in line for line in lines)
    mes617 = [line for line in lines if "MES617" in line]
    assert len(mes617) == 1 and "/opt/mes-dashboard/tmp/other.json" in mes617[0]


def test_syntax_errors_only_count_in_modules_with_contract_facts(tmp_path: Path) -> None:
    # A module parsed only because a unit's code may import it is often written for a newer Python
    # (3.12 f-strings under 3.11): it is unknown to the write set, not a MES101 finding.  A module
    # that reads the environment still reports its syntax error.
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "helpers.py").write_text("import json\ndef f(:\n    pass\n", encoding="utf-8")
    (tmp_path / "pkg" / "settings.py").write_text("import os\nX = os.getenv('X', 'a'\n", encoding="utf-8")
    pack = load_pack("mes-dashboard")
    repo = build_repository(tmp_path, pack, max_file_size=1 << 20)
    assert {p.location.path for p in repo.problems} == {"pkg/settings.py"}
    assert {m.path for m in repo.python} == {"pkg/helpers.py", "pkg/settings.py"}
