"""The bundled ``netbox`` pack on a mini repository of NetBox's deployment shape (written here, not
copied from NetBox): clean as written, and each deliberate breach caught by the rule it belongs to."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomllib

from meslint.config import load_settings
from meslint.engine import load_contract, run
from meslint.errors import PackError
from meslint.pack import load_pack
from meslint.pack_files import builtin_pack_names

APP_UNIT = """\
[Unit]
Description=web service

[Service]
Type=simple
User=netbox
Group=netbox
PIDFile=/var/tmp/netbox.pid
WorkingDirectory=/opt/netbox
ExecStart=/opt/netbox/venv/bin/gunicorn --pid /var/tmp/netbox.pid --pythonpath /opt/netbox/netbox \
--config /opt/netbox/gunicorn.py netbox.wsgi
PrivateTmp=true
"""

WORKER_UNIT = """\
[Service]
Type=simple
User=netbox
Group=netbox
WorkingDirectory=/opt/netbox
ExecStart=/opt/netbox/venv/bin/python3 /opt/netbox/netbox/manage.py rqworker high low
"""

GUNICORN = """\
# where the web workers listen
bind = '127.0.0.1:8001'
workers = 3
"""

NGINX = """\
server {
    listen 443 ssl;
    server_name ipam.example.net;
    location /static/ { alias /opt/netbox/netbox/static/; }
    location / {
        proxy_pass http://127.0.0.1:8001;
        proxy_set_header X-Forwarded-Proto $scheme;
    }
}
"""

APACHE = """\
<VirtualHost *:443>
    ServerName ipam.example.net
    <Location /static>
        ProxyPass !
    </Location>
    ProxyPass / http://127.0.0.1:8001/
    ProxyPassReverse / http://127.0.0.1:8001/
</VirtualHost>
"""

GUIDE = """\
# Web server

Copy `contrib/gunicorn.py` to `/opt/netbox/gunicorn.py`, then:

```
sudo cp -v /opt/netbox/contrib/*.service /etc/systemd/system/
sudo systemctl enable --now netbox netbox-rq
```

## Try it

```
git checkout -b local-changes
python3 manage.py runserver 0.0.0.0:8000 --insecure
```

Open the server on port 8000: <http://127.0.0.1:8000/>.  See the
[settings](../../configuration/required/) page.

## Upgrading

```
cd /opt
sudo cp netbox-X.Y.Z/gunicorn.py netbox/gunicorn.py
sudo cp netbox-X.Y.Z/netbox/netbox/configuration.py netbox/netbox/netbox/
```
"""


def _tree(write_tree, changes: dict[str, str] | None = None) -> Path:
    files = {
        "contrib/netbox.service": APP_UNIT,
        "contrib/netbox-rq.service": WORKER_UNIT,
        "contrib/gunicorn.py": GUNICORN,
        "contrib/uwsgi.ini": "[uwsgi]\nsocket = 127.0.0.1:8001\n",
        "contrib/nginx.conf": NGINX,
        "contrib/apache.conf": APACHE,
        "upgrade.sh": '#!/bin/bash\ncd "$(dirname "$0")"\npython3 -m venv venv\n',
        "netbox/manage.py": "import sys\n",
        "netbox/netbox/wsgi.py": "application = None\n",
        "netbox/netbox/configuration_example.py": "ALLOWED_HOSTS = []\n",
        "mkdocs.yml": "site_name: docs\n",
        "docs/installation/web.md": GUIDE,
        "docs/configuration/required.md": "# Required settings\n",
        "README.md": "# A network source of truth\n",
    }
    files.update(changes or {})
    return write_tree(files)


def _findings(root: Path) -> list[str]:
    settings = load_settings(root)
    pack = load_contract(settings, root, "netbox")
    return sorted(f"{f.location.path}:{f.location.line} {f.code}" for f in run(root, settings, pack).findings)


def test_the_pack_is_bundled_and_shipped_in_the_wheel() -> None:
    assert "netbox" in builtin_pack_names()
    pack = load_pack("netbox")
    assert pack.runtime is not None and pack.runtime.kind == "venv"
    assert not pack.env_file.configured
    pyproject = tomllib.loads(Path(__file__).resolve().parents[1].joinpath("pyproject.toml").read_text())
    assert pyproject["tool"]["setuptools"]["package-data"]["meslint._rules"] == ["*.yaml"]


def test_netbox_shaped_repository_is_clean(write_tree) -> None:
    assert _findings(_tree(write_tree)) == []


def test_bind_changed_only_in_the_unit(write_tree) -> None:
    unit = APP_UNIT.replace("--pid /var/tmp/netbox.pid", "--pid /var/tmp/netbox.pid --bind 127.0.0.1:9001")
    assert _findings(_tree(write_tree, {"contrib/netbox.service": unit})) == ["contrib/netbox.service:10 MES604"]


def test_bind_changed_only_in_the_gunicorn_config(write_tree) -> None:
    config = GUNICORN.replace("8001", "9001")
    assert _findings(_tree(write_tree, {"contrib/gunicorn.py": config})) == ["contrib/gunicorn.py:2 MES604"]


@pytest.mark.parametrize(("path", "old", "new", "line"), [
    ("contrib/nginx.conf", "proxy_pass http://127.0.0.1:8001", "proxy_pass http://127.0.0.1:8002", 6),
    ("contrib/apache.conf", "ProxyPass / http://127.0.0.1:8001/", "ProxyPass / http://127.0.0.1:8002/", 6),
    ("contrib/uwsgi.ini", "socket = 127.0.0.1:8001", "socket = 127.0.0.1:8002", 2),
])
def test_bind_changed_only_in_a_proxy_or_the_uwsgi_config(write_tree, path: str, old: str, new: str,
                                                          line: int) -> None:
    text = {"contrib/nginx.conf": NGINX, "contrib/apache.conf": APACHE,
            "contrib/uwsgi.ini": "[uwsgi]\nsocket = 127.0.0.1:8001\n"}[path]
    assert old in text
    assert _findings(_tree(write_tree, {path: text.replace(old, new)})) == [f"{path}:{line} MES604"]


def test_a_config_bind_the_command_line_overrides_is_no_site(write_tree) -> None:
    unit = APP_UNIT.replace("--pid /var/tmp/netbox.pid", "--pid /var/tmp/netbox.pid -b 127.0.0.1:8001")
    config = GUNICORN.replace("8001", "9001")  # gunicorn never reads it: the command line wins
    root = _tree(write_tree, {"contrib/netbox.service": unit, "contrib/gunicorn.py": config})
    # No MES604 site; but a dead value that disagrees with the contract misleads a reader (MES613).
    assert _findings(root) == ["contrib/gunicorn.py:2 MES613"]


@pytest.mark.parametrize(("old", "new", "line"), [
    ("PIDFile=/var/tmp/netbox.pid", "PIDFile=/run/netbox.pid", 8),
    ("--pid /var/tmp/netbox.pid", "--pid /var/tmp/web.pid", 10),
])
def test_pid_file_changes_are_caught_where_they_were_made(write_tree, old: str, new: str, line: int) -> None:
    root = _tree(write_tree, {"contrib/netbox.service": APP_UNIT.replace(old, new)})
    assert _findings(root) == [f"contrib/netbox.service:{line} MES603"]


def test_a_pidfile_in_the_gunicorn_config_counts_when_the_command_line_gives_none(write_tree) -> None:
    unit = APP_UNIT.replace("--pid /var/tmp/netbox.pid ", "")
    root = _tree(write_tree, {"contrib/netbox.service": unit,
                            "contrib/gunicorn.py": GUNICORN + "pidfile = '/tmp/web.pid'\n"})
    assert _findings(root) == ["contrib/gunicorn.py:4 MES603"]


def test_a_worker_on_another_venv(write_tree) -> None:
    worker = WORKER_UNIT.replace("/opt/netbox/venv/", "/opt/netbox-old/venv/")
    assert _findings(_tree(write_tree, {"contrib/netbox-rq.service": worker})) == [
        "contrib/netbox-rq.service:6 MES601"]


def test_a_unit_the_guide_never_names(write_tree) -> None:
    root = _tree(write_tree, {"contrib/netbox-housekeeping.service": WORKER_UNIT})
    # The pack gives contrib/netbox-housekeeping.service no role: only the two it names are contract units.
    assert _findings(root) == []
    guide = GUIDE.replace("sudo systemctl enable --now netbox netbox-rq", "sudo systemctl enable --now netbox")
    assert _findings(_tree(write_tree, {"docs/installation/web.md": guide})) == ["docs/installation/web.md:1 MES802"]


def test_a_site_link_to_a_page_the_docs_do_not_have(write_tree) -> None:
    guide = GUIDE.replace("../../configuration/required/", "../../configuration/optional/")
    assert _findings(_tree(write_tree, {"docs/installation/web.md": guide})) == [
        "docs/installation/web.md:18 MES805"]


def test_without_a_pack_the_error_names_the_built_in_pack_that_matches(write_tree) -> None:
    root = _tree(write_tree)
    with pytest.raises(PackError, match=r"the built-in pack netbox matches this repository: --contract netbox"):
        load_contract(load_settings(root), root)
