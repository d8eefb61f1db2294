"""Write sets, second round: self attributes, logging configuration, inheritance and instances, bash writes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from meslint.build import build_repository
from meslint.call_graph import call_graph
from meslint.pack import load_pack
from meslint.parsers.python_src import parse
from meslint.parsers.shell import parse as parse_shell
from meslint.resolve import contract_units, resolve
from meslint.script_writes import script_writes
from meslint.unit_writes import unit_writes

ROOT = Path(__file__).resolve().parents[1]
_UNIT = ("[Service]\nUser=mes\nWorkingDirectory=/opt/mes-dashboard\n"
         "ExecStart=/usr/bin/env gunicorn mes_dashboard:create_app()\nProtectSystem=strict\n")


def _repo(tmp_path: Path, files: dict[str, str], unit: str = _UNIT):
    root = tmp_path / "repo"
    for name, text in {"deploy/mes-dashboard.service": unit, **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    pack = load_pack("mes-dashboard")
    return build_repository(root, pack, max_file_size=1 << 20), pack


def _written(repo, pack) -> dict[str | None, list[str]]:
    """Path (None: unknown) -> the source texts of the sites writing it, for the one unit."""
    found: dict[str | None, list[str]] = {}
    for write in unit_writes(repo, pack, contract_units(repo, pack)[0]):
        if write.site.write:
            found.setdefault(write.path, []).append(write.site.expr)
    return found


def test_attribute_facts() -> None:
    module = parse("src/pkg/mod.py", (
        "import os\n"
        "from pkg.cfg import SPOOL\n"
        "DB = os.getenv('DB_PATH', 'state/a.db')\n"
        "class Store:\n"
        "    root = SPOOL\n"
        "    def __init__(self, db_path=DB, name=None, *, mode='x'):\n"
        "        self.db_path = db_path\n"
        "        self.name = name or '/srv/n'\n"
        "        self.conn = None\n"
        "    def reopen(self, path):\n"
        "        self.db_path = path\n"
        "    def scratch(self):\n"
        "        self.tmp = '/srv/tmp'\n"
        "store = Store()\n"
        "def make(p):\n"
        "    return Store(p, mode='y')\n"))
    [cls] = module.classes
    attributes = [(a.name, a.path, a.base, a.params) for a in cls.attributes]
    assert attributes == [
        ("root", "", "pkg.cfg.SPOOL", ()),
        ("db_path", "${DB_PATH:-state/a.db}", None, ("db_path",)),  # the default, marked as one
        ("name", "/srv/n", None, ("name",)),
        ("db_path", None, None, ()),  # a parameter of another method: unknown, never the default
        ("tmp", "/srv/tmp", None, ()),
    ]  # `self.conn = None` holds no path
    assert cls.init_params == ("db_path", "name", "mode")
    assert cls.methods == ("__init__", "reopen", "scratch")
    assert module.instances == (("store", "Store"),)
    assert module.constructions == (("Store", ("0", "mode")),)  # Store() passes nothing: not recorded


def test_write_through_self_uses_the_attribute_base() -> None:
    module = parse("src/pkg/mod.py", (
        "import sqlite3\nfrom pathlib import Path\n"
        "class Store:\n"
        "    def open(self):\n"
        "        Path(self.db_path).parent.mkdir()\n"
        "        def inner():\n"
        "            sqlite3.connect(self.db_path)\n"
        "        other = object()\n"
        "        open(other.path, 'w')\n"
        "    @staticmethod\n"
        "    def helper(self):\n"
        "        open(self.path, 'w')\n"))
    assert [(w.path, w.base) for w in module.writes] == [
        ("..", "self:Store.db_path"), ("", "self:Store.db_path"), (None, None), (None, None)]


def test_default_holds_until_a_caller_passes_it(tmp_path: Path) -> None:
    store = ("import os, sqlite3\n"
             "class Store:\n"
             "    def __init__(self, db_path=os.getenv('STORE_DB', 'state/s.db')):\n"
             "        self.db_path = db_path\n"
             "    def save(self):\n"
             "        sqlite3.connect(self.db_path)\n")
    files = {"src/mes_dashboard/__init__.py": "from .store import Store\ndef create_app():\n    Store().save()\n",
             "src/mes_dashboard/store.py": store}
    repo, pack = _repo(tmp_path / "a", files)
    assert list(_written(repo, pack)) == ["/opt/mes-dashboard/state/s.db"]
    for call in ("Store('/x').save()", "Store(db_path=p).save()", "Store(**kw).save()"):
        changed = dict(files, **{"src/mes_dashboard/__init__.py":
                                 f"from .store import Store\ndef create_app(p, kw):\n    {call}\n"})
        repo, pack = _repo(tmp_path / str(abs(hash(call))), changed)
        assert list(_written(repo, pack)) == [None], call  # unknown, not the default
    # A subclass may call super().__init__ with its own value: the default no longer decides.
    repo, pack = _repo(tmp_path / "sub", dict(files, **{"src/mes_dashboard/sub.py":
                                                        "from .store import Store\nclass Other(Store):\n    pass\n"}))
    assert list(_written(repo, pack)) == [None]


def test_subclass_and_base_attributes_across_modules(tmp_path: Path) -> None:
    files = {
        "src/mes_dashboard/__init__.py": "from .special import Special\ndef create_app():\n    Special().flush()\n",
        "src/mes_dashboard/base.py": ("from pathlib import Path\n"
                                      "class Base:\n"
                                      "    spool = '/opt/mes-dashboard/spool/base'\n"
                                      "    def flush(self):\n"
                                      "        (Path(self.spool) / 'out.bin').write_bytes(b'')\n"),
        "src/mes_dashboard/special.py": ("from mes_dashboard.base import Base\n"
                                         "class Special(Base):\n"
                                         "    spool = '/opt/mes-dashboard/spool/special'\n"),
        # Never imported by the app: its value is no candidate there.
        "src/mes_dashboard/unused.py": ("from mes_dashboard.base import Base\n"
                                        "class Unused(Base):\n    spool = '/srv/unused'\n"),
    }
    repo, pack = _repo(tmp_path, files)
    assert sorted(p for p in _written(repo, pack) if p) == ["/opt/mes-dashboard/spool/base/out.bin",
                                                            "/opt/mes-dashboard/spool/special/out.bin"]


def test_call_graph_inheritance_and_instances(tmp_path: Path) -> None:
    files = {
        "src/pkg/__init__.py": "",
        "src/pkg/base.py": ("class Base:\n"
                            "    def save(self):\n        open('/srv/base', 'w')\n"
                            "    def close(self):\n        open('/srv/close', 'w')\n"),
        "src/pkg/store.py": ("from pkg.base import Base\n"
                             "class Store(Base):\n"
                             "    def close(self):\n        pass\n"
                             "store = Store()\n"),
        "src/pkg/jobs.py": "from pkg.store import store\ndef job():\n    store.save()\n",
    }
    repo, _pack = _repo(tmp_path, files)
    graph = call_graph(repo)
    assert graph.target_of("src/pkg/jobs.py", "pkg.store.store.save") == ("src/pkg/store.py", "Store.save")
    reached = graph.reach([("src/pkg/jobs.py", "job")])
    assert ("src/pkg/base.py", "Base.save") in reached
    assert ("src/pkg/base.py", "Base.close") not in reached  # Store overrides it


def test_logging_configuration_sites() -> None:
    module = parse("src/pkg/log.py", (
        "import logging, logging.config\n"
        "def setup():\n"
        "    cfg = {'handlers': {'f': {'class': 'logging.FileHandler', 'filename': '/srv/a.log'}}}\n"
        "    logging.config.dictConfig(cfg)\n"
        "    cfg = {'handlers': {'f': {'class': 'logging.FileHandler', 'filename': '/srv/later.log'}}}\n"
        "    logging.basicConfig(level=logging.INFO)\n"
        "    logging.basicConfig(filename='/srv/b.log')\n"))
    assert [(w.call, w.path, w.location.line) for w in module.writes] == [
        ("dictConfig handler 'f' (FileHandler)", "/srv/a.log", 3),
        ("logging.basicConfig(filename=...)", "/srv/b.log", 7)]


def test_shell_file_redirects() -> None:
    script = parse_shell("s.sh", 'echo $$ > "$PID"\nrun 2>&1 >>/tmp/log\ncat < /tmp/in 2>/dev/null\n')
    assert [c.redirects for c in script.commands] == [
        ((">", "${PID}"),), ((">>", "/tmp/log"),), (("<", "/tmp/in"), (">", "/dev/null"))]


def test_script_writes_resolve_in_its_environment(tmp_path: Path) -> None:
    script = ('#!/usr/bin/env bash\nROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"\ncd "$ROOT" || exit 1\n'
              'PID_FILE="${APP_PID_FILE:-/tmp/app.pid}"\n'
              'start() {\n  local mine="/tmp/x"\n  echo $$ > "$PID_FILE"\n  touch "$mine" run/ready\n'
              '  mkdir -p logs/archive\n  echo hi >/dev/null\n}\nstart\n')
    repo, pack = _repo(tmp_path, {"scripts/start_server.sh": script})
    found = sorted((w.site.call, w.path or "?", w.site.write) for w in script_writes(repo, pack, resolve(repo, pack)))
    assert found == [("> redirect", "/tmp/app.pid", True),
                     ("mkdir", "<checkout>/logs/archive", True),  # relative: where the script cd'd
                     ("touch", "<checkout>/run/ready", True),
                     ("touch", "?", True)]  # a local variable: unknown, never guessed


def test_show_contract_lists_the_start_script(tmp_path: Path) -> None:
    script = ('#!/usr/bin/env bash\nROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"\ncd "$ROOT" || exit 1\n'
              'echo $$ > /tmp/app.pid\necho $$ > "$(mktemp)"\n')
    repo, _pack = _repo(tmp_path, {"scripts/start_server.sh": script})
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "meslint", "show-contract", str(tmp_path / "repo"),
                          "--output-format", "json"], capture_output=True, text=True, env=env, check=True).stdout
    record = next(r for r in json.loads(out)["writes"] if r["unit"] == "scripts/start_server.sh")
    assert [(w["path"], w["access"]) for w in record["writes"]] == [("/tmp/app.pid", "unsandboxed")]
    assert [w["call"] for w in record["unknown"]] == ["> redirect"]


def test_dataclass_fields_factories_and_outside_assignments(tmp_path: Path) -> None:
    store = ("import sqlite3\nfrom dataclasses import dataclass\n"
             "@dataclass\nclass Store:\n"
             "    name: str = 'x'\n"
             "    db_path: str = '/opt/mes-dashboard/state/s.db'\n"
             "    def save(self):\n        sqlite3.connect(self.db_path)\n")
    app = "from .store import Store\ndef create_app():\n    Store().save()\n"
    files = {"src/mes_dashboard/__init__.py": app, "src/mes_dashboard/store.py": store}
    repo, pack = _repo(tmp_path / "plain", files)
    assert list(_written(repo, pack)) == ["/opt/mes-dashboard/state/s.db"]
    # The generated __init__ takes the fields in order: the second positional argument is db_path.
    repo, pack = _repo(tmp_path / "positional", dict(files, **{"src/mes_dashboard/__init__.py":
                                                               app.replace("Store()", "Store('n', p)")}))
    assert list(_written(repo, pack)) == [None]
    # Only the other field passed: the default still decides.
    repo, pack = _repo(tmp_path / "other", dict(files, **{"src/mes_dashboard/__init__.py":
                                                          app.replace("Store()", "Store(name='n')")}))
    assert list(_written(repo, pack)) == ["/opt/mes-dashboard/state/s.db"]
    factory = store + "    @classmethod\n    def at(cls, path):\n        return cls('n', path)\n"
    repo, pack = _repo(tmp_path / "factory", dict(files, **{"src/mes_dashboard/store.py": factory}))
    assert list(_written(repo, pack)) == [None]
    outside = app.replace("Store().save()", "s = Store()\n    s.db_path = compute()\n    s.save()")
    repo, pack = _repo(tmp_path / "outside", dict(files, **{"src/mes_dashboard/__init__.py": outside}))
    assert sorted(_written(repo, pack), key=str) == ["/opt/mes-dashboard/state/s.db", None]


def test_logging_configuration_read_elsewhere_is_unknown() -> None:
    module = parse("src/pkg/log.py", (
        "import logging.config, yaml\n"
        "def setup(path):\n"
        "    logging.config.dictConfig(yaml.safe_load(open(path)))\n"
        "    logging.config.fileConfig('logging.ini')\n"
        "    logging.config.dictConfig({'version': 1})\n"))
    logs = [(w.call, w.path) for w in module.writes if w.kind == "log-handler"]
    assert logs == [("logging.config.dictConfig (handlers not statically known)", None),
                    ("logging.config.fileConfig (handlers in a file)", None)]  # a config without handlers: none


def test_attribute_cycles_and_many_values_stay_bounded(tmp_path: Path) -> None:
    body = "".join("        self.x = self.y\n        self.y = self.x\n" for _ in range(200))
    body += "".join(f"        self.z = '/opt/mes-dashboard/z{i}'\n" for i in range(40))
    files = {"src/mes_dashboard/__init__.py": "from .d import D\ndef create_app():\n    D().w()\n",
             "src/mes_dashboard/d.py": ("class D:\n    def a(self):\n" + body +
                                        "    def w(self):\n        open(self.x, 'w')\n        open(self.z, 'w')\n")}
    repo, pack = _repo(tmp_path, files)
    written = _written(repo, pack)
    assert written[None] == ["self.x", "self.z"]  # the cycle and the values past the bound: unknown
    assert len([p for p in written if p]) == 16
