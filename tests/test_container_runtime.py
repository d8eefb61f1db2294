"""The container runtime: docker's precedence, supervisord programs, the pack's container files."""

from __future__ import annotations

from meslint.build import build_repository
from meslint.container_runtime import compose_duration, container_runs
from meslint.pack import load_pack_text
from meslint.reporters.contract import render_contract
from meslint.resolve import RUNTIME_CONTAINER, resolve

PACK = """\
name: t
deploy_root: /opt/t
env_file: {deployed: /opt/t/.env, template: t.env}
settings:
  - {name: T_BIND, kind: bind}
  - {name: T_DIR, kind: path}
consumers:
  - {name: conf, path: conf.py}
  - {name: pool, path: src/t/pool.py}
units:
  - {path: web.service, role: app, runs: [conf]}
container:
  compose_files: [compose.yaml]
"""
CONF = 'import os\nbind = os.getenv("T_BIND", "0.0.0.0:7000")\nT_DIR = os.getenv("T_DIR", "run")\n'
DOCKERFILE = """\
FROM python:3.11 AS base
ENV T_BIND=0.0.0.0:1111 T_DIR=/image/dir
FROM base
WORKDIR /srv
COPY conf.py supervisord.conf ./
COPY src/ ./src/
ENV PYTHONPATH=/srv/src
CMD ["supervisord", "-c", "supervisord.conf"]
"""
SUPERVISORD = """\
[supervisord]
nodaemon=true

[program:web]
command=gunicorn -c %(here)s/conf.py app:app
directory=/srv
environment=T_DIR="/program/%(program_name)s"

[program:pool]
command=python -m t.pool
"""
FILES = {
    "web.service": "[Service]\nExecStart=/opt/t/venv/bin/gunicorn -c conf.py app:app\n",
    "conf.py": CONF,
    "src/t/__init__.py": "",
    "src/t/pool.py": 'import os\nT_BIND = os.environ.get("T_BIND", "0.0.0.0:5")\n',
    "Dockerfile": DOCKERFILE,
    "supervisord.conf": SUPERVISORD,
    "t.env": "T_BIND=0.0.0.0:2222   # inline comments are dropped as compose reads env files\n",
}


def _build(write_tree, compose: str, extra: dict[str, str] | None = None):
    pack = load_pack_text(PACK, "p.yaml")
    root = write_tree({**FILES, "compose.yaml": compose, **(extra or {})})
    repo = build_repository(root, pack, max_file_size=1 << 20)
    return repo, pack


def _container_values(repo, pack, setting: str) -> dict[str, str | None]:
    return {v.consumer.split(" (")[0] + "@" + v.location.path: v.value
            for v in resolve(repo, pack).for_setting(setting, RUNTIME_CONTAINER)}


def test_precedence_image_env_then_env_file_then_environment(write_tree) -> None:
    repo, pack = _build(write_tree, "services:\n  app:\n    build: .\n")
    assert _container_values(repo, pack, "T_BIND") == {"conf@conf.py": "0.0.0.0:1111", "pool@src/t/pool.py":
                                                       "0.0.0.0:1111"}  # the image's ENV (inherited stage)
    repo, pack = _build(write_tree, "services:\n  app:\n    build: .\n    env_file: [deploy.env]\n",
                        {"deploy.env": "T_BIND=0.0.0.0:3333\n"})
    assert set(_container_values(repo, pack, "T_BIND").values()) == {"0.0.0.0:3333"}  # env_file over ENV
    repo, pack = _build(write_tree, "services:\n  app:\n    build: .\n    env_file: [deploy.env]\n"
                        "    environment:\n      T_BIND: 0.0.0.0:${PORT:-4444}\n", {"deploy.env": "T_BIND=x:1\n"})
    assert set(_container_values(repo, pack, "T_BIND").values()) == {"0.0.0.0:4444"}  # environment over env_file


def test_env_file_outside_the_repository_reads_as_the_template(write_tree) -> None:
    repo, pack = _build(write_tree, "services:\n  app:\n    build: .\n    env_file: .env.prod\n")
    values = resolve(repo, pack).for_setting("T_BIND", RUNTIME_CONTAINER)
    assert {v.value for v in values} == {"0.0.0.0:2222"}
    assert all(".env.prod is not in the repository: read as the template t.env" in v.explain() for v in values)


def test_project_dotenv_interpolates_and_pass_through_is_unknown(write_tree) -> None:
    repo, pack = _build(write_tree, "services:\n  app:\n    build: .\n    environment:\n"
                        "      T_BIND: ${HOST}:${PORT:-1}\n      T_DIR:\n", {".env": "HOST=0.0.0.0\nPORT=5555\n"})
    assert set(_container_values(repo, pack, "T_BIND").values()) == {"0.0.0.0:5555"}
    # T_DIR passed through from the caller's shell: not the image's /image/dir; the program's own wins.
    assert _container_values(repo, pack, "T_DIR") == {"conf@conf.py": "/program/web"}


def test_supervisord_programs_are_processes_with_their_own_directory(write_tree) -> None:
    repo, pack = _build(write_tree, "services:\n  app:\n    build: .\n")
    [run] = container_runs(repo, pack)
    assert run.root == "/srv" and run.repo_path("/srv/src/t/pool.py") == "src/t/pool.py"
    assert [(p.name, p.argv[0], p.cwd) for p in run.processes] == [("web", "gunicorn", "/srv"),
                                                                    ("pool", "python", "/srv")]
    assert run.processes[0].argv[2] == "/srv/conf.py"  # %(here)s is the config file's image directory


def test_only_listed_compose_files_are_checked(write_tree) -> None:
    repo, pack = _build(write_tree, "services:\n  app:\n    build: .\n",
                        {"docker-compose.test.yml": "services:\n  app:\n    build: .\n    ports: ['1:2']\n"})
    assert [run.name for run in container_runs(repo, pack)] == ["compose.yaml service app"]


def test_show_contract_has_the_container_column(write_tree) -> None:
    repo, pack = _build(write_tree, "services:\n  app:\n    build: .\n")
    text = render_contract(resolve(repo, pack))
    assert f"[{RUNTIME_CONTAINER}]" in text and "[program:web] in compose.yaml service app" in text


def test_include_outside_the_image_is_not_followed(write_tree) -> None:
    conf = SUPERVISORD + "\n[include]\nfiles = /etc/supervisor/conf.d/*.conf ../../*.conf\n"
    repo, pack = _build(write_tree, "services:\n  app:\n    build: .\n", {"supervisord.conf": conf})
    [run] = container_runs(repo, pack)
    assert [p.name for p in run.processes] == ["web", "pool"]
    assert any("[include]" in note for note, _ in run.notes)


def test_compose_durations() -> None:
    assert compose_duration("1m30s") == 90 and compose_duration("45") == 45 and compose_duration("1.5h") == 5400
    assert compose_duration("soon") is None


def test_override_file_merges_and_profiles_are_named(write_tree) -> None:
    pack = load_pack_text(PACK.replace("compose_files: [compose.yaml]", "compose_files: ['compose*.yaml']"), "p.yaml")
    root = write_tree({**FILES, "compose.yaml": "services:\n  app:\n    build: .\n    environment:\n"
                       "      T_BIND: 0.0.0.0:1\n    ports: ['8080:8080']\n",
                       "compose.override.yaml": "services:\n  app:\n    profiles: [dev]\n    environment:\n"
                       "      T_BIND: 0.0.0.0:2\n    ports: ['9090:9090']\n"})
    repo = build_repository(root, pack, max_file_size=1 << 20)
    [run] = container_runs(repo, pack)
    assert run.name == "compose.yaml + compose.override.yaml service app (profile dev)"
    assert run.env["T_BIND"].value == "0.0.0.0:2" and [p.target for p in run.ports] == ["8080", "9090"]
