"""Web server sites of a setting (`proxy: nginx|apache`, `uwsgi: OPTION`): the pack's spelling and the
resolution's view of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from meslint.build import build_repository
from meslint.pack import PackError, load_pack_text
from meslint.resolve import RUNTIME_SCRIPT_BARE, RUNTIME_SYSTEMD, resolve

PACK = """\
name: t
deploy_root: /opt/t
settings:
  - name: APP_BIND
    kind: bind
    sites: SITES
units:
  - {path: t.service, role: app}
"""


def _pack(sites: str):
    return load_pack_text(PACK.replace("SITES", sites), "p.yaml")


@pytest.mark.parametrize(("sites", "message"), [
    ("[{proxy: nginx, uwsgi: socket}]", "p.yaml:6: setting 'APP_BIND': a site gives exactly one of"),
    ("[{proxy: caddy}]", "p.yaml:6: pack.settings[0].sites[0].proxy must be one of nginx, apache"),
    ("[{uwsgi: chdir}]", "p.yaml:6: setting 'APP_BIND': uwsgi 'chdir' is not one of socket,"),
    ("[{gunicorn: bind, location: /}]", "p.yaml:6: setting 'APP_BIND': location narrows a proxy site only"),
])
def test_bad_web_sites_name_file_and_line(sites: str, message: str) -> None:
    with pytest.raises(PackError) as info:
        _pack(sites)
    assert message in str(info.value)


def test_web_configs_are_read_only_for_a_pack_with_such_a_site() -> None:
    assert _pack("[{proxy: apache, location: /app}]").reads_web_configs()
    assert not _pack("[{gunicorn: bind}]").reads_web_configs()


UNIT = "[Service]\nWorkingDirectory=/opt/t\nExecStart=/opt/t/venv/bin/gunicorn --bind 127.0.0.1:7000 t.wsgi\n"


def _sites(root: Path, sites: str) -> list[tuple[str, str, str | None, int]]:
    pack = _pack(sites)
    repo = build_repository(root, pack, max_file_size=1 << 20)
    return [(v.runtime, v.consumer, v.value, v.location.line) for v in resolve(repo, pack).for_setting("APP_BIND")]


def test_a_group_of_several_servers_is_no_single_address(write_tree) -> None:
    root = write_tree({"t.service": UNIT, "nginx/t.conf": (
        "upstream pool { server 127.0.0.1:7000; server 127.0.0.1:7001; }\n"
        "server { location / { proxy_pass http://pool; } location /one { proxy_pass http://localhost:7000/; } }\n")})
    assert _sites(root, "[{option: gunicorn --bind}, {proxy: nginx}]") == [
        (RUNTIME_SYSTEMD, "nginx/t.conf proxy_pass", "127.0.0.1:7000", 2),  # localhost reaches 127.0.0.1
        (RUNTIME_SYSTEMD, "t.service ExecStart: gunicorn --bind", "127.0.0.1:7000", 3),
    ]


def test_proxy_sites_join_the_runtimes_the_setting_has(write_tree) -> None:
    script = "#!/bin/bash\nexec gunicorn --bind 127.0.0.1:7000 t.wsgi\n"
    pack = PACK.replace("SITES", "[{option: gunicorn --bind}, {proxy: apache}]").replace(
        "units:\n  - {path: t.service, role: app}\n", "start_script: {path: run.sh}\n")
    root = write_tree({"run.sh": script, "apache/t.conf": "ProxyPass / http://127.0.0.1:7001/\n"})
    loaded = load_pack_text(pack, "p.yaml")
    repo = build_repository(root, loaded, max_file_size=1 << 20)
    found = [(v.runtime, v.kind, v.value) for v in resolve(repo, loaded).for_setting("APP_BIND")]
    assert found == [(RUNTIME_SCRIPT_BARE, "proxy", "127.0.0.1:7001"),
                     (RUNTIME_SCRIPT_BARE, "script-exec", "127.0.0.1:7000")]
