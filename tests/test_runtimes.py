"""Which runtimes exist: the no-env-file runtimes only where a unit loads an env file."""

from __future__ import annotations

from meslint.agreement import disagreements
from meslint.build import build_repository
from meslint.pack import load_pack_text
from meslint.reporters.contract import render_contract
from meslint.resolve import RUNTIME_SCRIPT_BARE, RUNTIME_SYSTEMD, RUNTIME_SYSTEMD_BARE, resolve

PACK = """\
name: t
deploy_root: /opt/t
{env_file}
settings:
  - {{name: T_BIND, kind: bind}}
consumers:
  - {{name: conf, path: conf.py}}
start_script: {{path: start.sh}}
units:
  - {{path: web.service, role: app, runs: [conf]}}
  - {{path: other.service, role: other}}
"""
ENV_FILE = "env_file: {deployed: /opt/t/.env, template: t.env}"
CONF = 'import os\nbind = os.getenv("T_BIND", "0.0.0.0:7000")\n'
WEB = "[Service]\nEnvironmentFile=-/opt/t/.env\nExecStart=/opt/t/venv/bin/gunicorn -c conf.py app:app\n"
OTHER = "[Service]\nExecStart=/opt/t/venv/bin/gunicorn --bind 0.0.0.0:8000 other:app\n"


def _resolve(write_tree, env_file: str, files: dict[str, str]):
    pack = load_pack_text(PACK.format(env_file=env_file), "p.yaml")
    root = write_tree(files)
    return resolve(build_repository(root, pack, max_file_size=1 << 20), pack)


def test_unit_without_env_file_is_listed_once(write_tree) -> None:
    res = _resolve(write_tree, ENV_FILE, {"web.service": WEB, "other.service": OTHER, "conf.py": CONF,
                                          "t.env": "T_BIND=0.0.0.0:8000\n"})
    runtimes = {(v.unit, v.runtime) for v in res.values if v.unit}
    assert runtimes == {("web.service", RUNTIME_SYSTEMD), ("web.service", RUNTIME_SYSTEMD_BARE),
                        ("other.service", RUNTIME_SYSTEMD)}
    text = render_contract(res)
    bare_block = text.split(f"[{RUNTIME_SYSTEMD_BARE}]")[1]
    assert "other.service" not in bare_block and "web.service" in bare_block


def test_unit_without_env_file_still_counts_without_the_env_file(write_tree) -> None:
    # With the env file both bind 0.0.0.0:8000; without it web falls back to its code default.
    res = _resolve(write_tree, ENV_FILE, {"web.service": WEB, "other.service": OTHER, "conf.py": CONF,
                                          "t.env": "T_BIND=0.0.0.0:8000\n"})
    [d] = disagreements(res.values)
    assert d.runtime == RUNTIME_SYSTEMD_BARE and {s.value for s in d.sites} == {"0.0.0.0:7000", "0.0.0.0:8000"}


def test_pack_without_env_file_has_no_env_file_runtimes(write_tree) -> None:
    res = _resolve(write_tree, "", {"web.service": WEB, "other.service": OTHER, "conf.py": CONF,
                                    "start.sh": "#!/bin/bash\nsource .env\nT_BIND=0.0.0.0:8000\n"})
    assert {v.runtime for v in res.values if v.unit} == {RUNTIME_SYSTEMD}
    assert "no env file" not in render_contract(res)
    assert {v.runtime for v in res.values if not v.unit} == {RUNTIME_SCRIPT_BARE}  # one script runtime
    [d] = disagreements(res.values)
    assert d.runtime == RUNTIME_SYSTEMD and d.also_in == (RUNTIME_SCRIPT_BARE,)  # no env-file runtime


SITES_PACK = """\
name: t
deploy_root: /opt/t
settings:
  - {name: T_BIND, kind: bind, sites: [{option: gunicorn --bind}, {gunicorn: bind}]}
  - {name: T_WORKERS, kind: int, sites: [{option: gunicorn --workers}, {gunicorn: workers}]}
consumers:
  - {name: conf, path: conf.py}
units:
  - {glob: "*.service", role: app}
install:
  files: {conf.py: /etc/t/conf.py}
"""


def _sites(write_tree, files: dict[str, str], pack_text: str = SITES_PACK):
    pack = load_pack_text(pack_text, "p.yaml")
    root = write_tree(files)
    return resolve(build_repository(root, pack, max_file_size=1 << 20), pack)


def test_gunicorn_config_constants_are_sites_and_the_command_line_wins(write_tree) -> None:
    conf = 'bind = "0.0.0.0:9000"\nworkers = 4\n'
    unit = "[Service]\nWorkingDirectory=/opt/t\nExecStart=/opt/t/venv/bin/gunicorn -c /etc/t/conf.py -w 2 app:app\n"
    res = _sites(write_tree, {"conf.py": conf, "web.service": unit})
    values = {(v.setting, v.consumer): v.value for v in res.values}
    assert values[("T_BIND", "conf.py bind (gunicorn config of web.service)")] == "0.0.0.0:9000"
    # -w 2 on the command line overrides workers = 4: only the command line is a site.
    assert values[("T_WORKERS", "web.service ExecStart: gunicorn --workers")] == "2"
    assert not [v for v in res.values if v.setting == "T_WORKERS" and v.kind == "gunicorn-config"]


def test_default_config_file_is_gunicorn_conf_py_in_the_working_directory(write_tree) -> None:
    unit = "[Service]\nWorkingDirectory=/opt/t\nExecStart=/opt/t/venv/bin/gunicorn --bind 0.0.0.0:8000 app:app\n"
    res = _sites(write_tree, {"gunicorn.conf.py": 'bind = "0.0.0.0:9000"\n', "web.service": unit})
    assert [v.value for v in res.values] == ["0.0.0.0:8000"]  # --bind wins: the constant is no site
    res = _sites(write_tree, {"gunicorn.conf.py": 'bind = "0.0.0.0:9000"\n', "web.service": unit.replace(
        " --bind 0.0.0.0:8000", ""), "other.service": unit})
    [d] = disagreements(res.values)
    assert {s.value for s in d.sites} == {"0.0.0.0:8000", "0.0.0.0:9000"}


def test_a_constant_reading_the_setting_is_the_consumer_site_not_a_second_one(write_tree) -> None:
    pack = SITES_PACK.replace('{glob: "*.service", role: app}', '{glob: "*.service", role: app, runs: [conf]}')
    unit = "[Service]\nWorkingDirectory=/opt/t\nExecStart=/opt/t/venv/bin/gunicorn -c /etc/t/conf.py app:app\n"
    conf = 'import os\nbind = os.getenv("T_BIND", "0.0.0.0:9000")\n'
    res = _sites(write_tree, {"conf.py": conf, "web.service": unit}, pack)
    assert [v.kind for v in res.values if v.setting == "T_BIND" and v.unit] == ["python"]
