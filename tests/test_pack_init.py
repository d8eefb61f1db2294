"""`meslint init`: a starting pack from what a repository holds, valid as written, never replacing a file
and never written outside the repository."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from meslint.cli import main
from meslint.config import load_settings
from meslint.engine import load_contract, run
from meslint.pack import load_pack

UNIT = """\
[Service]
User=shop
Group=shop
PIDFile=/run/shop/web.pid
WorkingDirectory=/srv/shop
ExecStart=/srv/shop/.venv/bin/gunicorn --pid /run/shop/web.pid -c /etc/shop/gunicorn.py shop.wsgi
"""

WORKER = """\
[Service]
User=shop
Group=shop
WorkingDirectory=/srv/shop
ExecStart=/srv/shop/.venv/bin/rq worker default
"""

FILES = {
    "deploy/shop.service": UNIT,
    "deploy/shop-worker.service": WORKER,
    "deploy/gunicorn.py": "bind = '127.0.0.1:8300'\nworkers = 3\n",
    "deploy/nginx/shop.conf": "server { location / { proxy_pass http://127.0.0.1:8300; } }\n",
    "scripts/install.sh": "#!/bin/bash\npython3 -m venv .venv\n",
    "README.md": "# Shop\n\nSee `docs/deploy/setup.md`.\n",
    "docs/deploy/setup.md": "# Setup\n\nCopy `deploy/gunicorn.py` to `/etc/shop/gunicorn.py`.\n",
    "shop/wsgi.py": "application = None\n",
}


def test_init_writes_a_pack_that_loads_and_checks(write_tree, capsys) -> None:
    root = write_tree(FILES)
    assert main(["init", str(root)]) == 0
    assert "meslint-pack.yaml" in capsys.readouterr().out
    pack = load_pack(str(root / "meslint-pack.yaml"))
    assert pack.deploy_root == "/srv/shop"
    assert pack.runtime is not None and pack.runtime.kind == "venv"
    assert (pack.runtime.prefix, pack.runtime.user, pack.runtime.group) == ("/srv/shop/.venv", "shop", "shop")
    assert [(u.path, u.role) for u in pack.units] == [("deploy/shop-worker.service", "worker"),
                                                      ("deploy/shop.service", "app")]
    bind, pid = pack.settings
    assert (bind.kind, bind.canonical, bind.variable) == ("bind", "127.0.0.1:8300", False)
    assert [s.proxy for s in bind.sites if s.proxy] == ["nginx"]
    assert (pid.pid_file, pid.canonical) == (True, "/run/shop/web.pid")
    assert pack.gunicorn_config == "deploy/gunicorn.py"
    assert pack.install.files == {"deploy/gunicorn.py": "/etc/shop/gunicorn.py"}
    assert pack.install.created == (".venv",)
    assert pack.deploy_scripts == ("scripts/install.sh",)
    assert pack.docs.operator_docs == ("README.md", "docs/deploy/*.md")
    # The repository as written agrees with the pack written from it.
    settings = load_settings(root)
    found = run(root, settings, load_contract(settings, root, str(root / "meslint-pack.yaml"))).findings
    assert [f.code for f in found if f.code.startswith("MES6")] == []
    # ... and a bind moved in the proxy alone is caught.
    (root / "deploy/nginx/shop.conf").write_text(FILES["deploy/nginx/shop.conf"].replace("8300", "8301"))
    found = run(root, settings, load_contract(settings, root, str(root / "meslint-pack.yaml"))).findings
    assert [(f.code, f.location.path) for f in found if f.code == "MES604"] == [("MES604", "deploy/nginx/shop.conf")]


def test_init_never_replaces_a_file(write_tree, capsys) -> None:
    root = write_tree({**FILES, "meslint-pack.yaml": "name: mine\n"})
    assert main(["init", str(root)]) == 2
    assert "exists; meslint init never replaces a file" in capsys.readouterr().err
    assert (root / "meslint-pack.yaml").read_text() == "name: mine\n"


@pytest.mark.parametrize("output", ["../outside.yaml", "/tmp/meslint-init-abs.yaml", "link/pack.yaml"])
def test_init_never_writes_outside_the_repository(write_tree, tmp_path: Path, capsys, output: str) -> None:
    root = write_tree(FILES)
    os.symlink(tmp_path, root / "link")
    assert main(["init", str(root), "--output", output]) == 2
    assert "meslint: error:" in capsys.readouterr().err
    assert not (tmp_path / "outside.yaml").exists() and not (tmp_path / "pack.yaml").exists()
    assert not Path("/tmp/meslint-init-abs.yaml").exists()


def test_init_on_an_empty_repository_still_writes_a_valid_pack(write_tree) -> None:
    root = write_tree({"README.md": "# Nothing yet\n"})
    assert main(["init", str(root), "--name", "empty"]) == 0
    pack = load_pack(str(root / "meslint-pack.yaml"))
    assert (pack.name, pack.settings, pack.units, pack.deploy_root) == ("empty", (), (), "/opt/empty")
