"""Compose's interpolation and merge against the Compose Specification's documented behaviour.

Each case restates a rule of the specification's "Interpolation" and "Merge" chapters (and of
Docker's "Merge Compose files" guide) as an input and the result the documents give for it.
"""

from __future__ import annotations

import pytest

from meslint.build import build_repository
from meslint.compose_merge import ComposeProject, merge_services
from meslint.container_runtime import container_runs
from meslint.pack import load_pack_text
from meslint.parsers.compose import parse
from meslint.parsers.compose_values import interpolate

ENV = {"SET": "value", "EMPTY": "", "FOO": "foo"}

# (text, environment, result; None = the load fails)
INTERPOLATION = [
    ("${SET}", ENV, "value"),                      # direct substitution, braced
    ("$SET", ENV, "value"),                        # and unbraced
    ("pre-${SET}-post", ENV, "pre-value-post"),
    ("${UNSET}", ENV, ""),                         # unresolved, no default: a warning and the empty string
    ("host-$UNSET", ENV, "host-"),
    ("${SET:-default}", ENV, "value"),             # :- default when unset or empty
    ("${EMPTY:-default}", ENV, "default"),
    ("${UNSET:-default}", ENV, "default"),
    ("${SET-default}", ENV, "value"),              # - default only when unset
    ("${EMPTY-default}", ENV, ""),
    ("${UNSET-default}", ENV, "default"),
    ("${SET:?error}", ENV, "value"),               # :? required: set and non-empty
    ("${EMPTY:?error}", ENV, None),
    ("${UNSET:?error}", ENV, None),
    ("${EMPTY?error}", ENV, ""),                   # ? required: set (empty is set)
    ("${UNSET?error}", ENV, None),
    ("${SET:+replacement}", ENV, "replacement"),   # :+ alternative when set and non-empty
    ("${EMPTY:+replacement}", ENV, ""),
    ("${UNSET:+replacement}", ENV, ""),
    ("${EMPTY+replacement}", ENV, "replacement"),  # + alternative when set
    ("${UNSET+replacement}", ENV, ""),
    ("${UNSET:-${FOO}}", ENV, "foo"),              # nested: ${VARIABLE:-${FOO}}
    ("${SET?$FOO}", ENV, "value"),                 # ${VARIABLE?$FOO}
    ("${UNSET:-${ALSO_UNSET:-default}}", ENV, "default"),  # ${VARIABLE:-${FOO:-default}}
    ("$$VAR_NOT_INTERPOLATED_BY_COMPOSE", ENV, "$VAR_NOT_INTERPOLATED_BY_COMPOSE"),  # $$ is a literal $
    ("$${SET}", ENV, "${SET}"),
    ("cost: $5", ENV, "cost: $5"),                 # not a valid variable definition: kept as written
    ("trailing $", ENV, "trailing $"),
    ("${SET/foo/bar}", ENV, None),                 # other shell features are not supported: invalid format
]


@pytest.mark.parametrize(("text", "env", "expected"), INTERPOLATION, ids=[c[0] for c in INTERPOLATION])
def test_interpolation_as_the_specification_documents(text: str, env: dict[str, str], expected: str | None) -> None:
    assert interpolate(text, env)[0] == expected


def _service(text: str, path: str = "base.yml"):
    service = parse(path, "services:\n" + text).service("foo")
    assert service is not None
    return service


def test_merge_mapping_adds_missing_entries_and_the_later_value_wins() -> None:
    merged = merge_services(_service("  foo:\n    environment:\n      key1: value1\n      key2: value2\n"),
                            _service("  foo:\n    environment:\n      - key2=VALUE\n      - key3=value3\n"))
    assert [(kv.name, kv.value) for kv in merged.environment] == [("key1", "value1"), ("key2", "VALUE"),
                                                                  ("key3", "value3")]


def test_merge_sequence_appends() -> None:
    merged = merge_services(_service("  foo:\n    env_file: [a.env]\n    tmpfs: [/run]\n"),
                            _service("  foo:\n    env_file: [b.env]\n    tmpfs: [/tmp]\n"))
    assert [e.value for e in merged.env_files] == ["a.env", "b.env"]
    assert [e.value for e in merged.tmpfs] == ["/run", "/tmp"]


def test_merge_shell_commands_are_replaced_not_appended() -> None:
    merged = merge_services(_service('  foo:\n    command: ["echo", "foo"]\n    entrypoint: a\n'),
                            _service('  foo:\n    command: ["echo", "bar"]\n'))
    assert merged.command is not None and merged.command.items == ("echo", "bar")
    assert merged.entrypoint is not None and merged.entrypoint.value == "a"  # not named again: kept


def test_merge_unique_resources_ports_and_volumes() -> None:
    merged = merge_services(
        _service('  foo:\n    ports: ["8080:80", "127.0.0.1:9000:9000"]\n    volumes: ["data:/srv/data", "/cache"]\n'),
        _service('  foo:\n    ports: ["8080:80", "8081:80", {target: 9000, published: 9000, host_ip: 127.0.0.1}]\n'
                 '    volumes: ["other:/srv/data:ro"]\n', "override.yml"))
    # {ip, target, published, protocol} is a port's key, in either syntax: a repeat replaces, a new one appends
    assert [(e.value, e.location.path) for e in merged.ports] == [("8080:80", "override.yml"),
                                                                  (None, "override.yml"), ("8081:80", "override.yml")]
    # a volume's target is its key: the later mount of /srv/data replaces the earlier one
    assert [e.value for e in merged.volumes] == ["other:/srv/data:ro", "/cache"]


def test_merge_build_is_a_mapping_merged_by_key() -> None:
    merged = merge_services(_service("  foo:\n    build: {context: ./app, dockerfile: Containerfile}\n"),
                            _service("  foo:\n    build: {target: prod}\n", "override.yml"))
    assert (merged.build_context, merged.dockerfile, merged.build_target) == ("./app", "Containerfile", "prod")
    merged = merge_services(merged, _service("  foo:\n    build: ./other\n", "last.yml"))
    assert (merged.build_context, merged.dockerfile) == ("./other", "Containerfile")


def test_merge_of_the_guides_webapp_example() -> None:
    base = parse("compose.yaml", 'services:\n  webapp:\n    image: examples/web\n    ports:\n      - "8000:8000"\n'
                 '    volumes:\n      - "/data"\n')
    admin = parse("compose.admin.yaml", "services:\n  webapp:\n    environment:\n      - DEBUG=1\n"
                  "  backup_db:\n    image: backup\n")
    services = ComposeProject((base, admin)).services()
    assert [s.name for s in services] == ["webapp", "backup_db"]  # a service only a later file names is added
    webapp = services[0]
    assert webapp.image == "examples/web" and [e.value for e in webapp.ports] == ["8000:8000"]
    assert [e.value for e in webapp.volumes] == ["/data"] and [(kv.name, kv.value) for kv in webapp.environment] \
        == [("DEBUG", "1")]


PACK = """\
name: t
deploy_root: /opt/t
settings:
  - {name: T_BIND, kind: bind}
consumers:
  - {name: conf, path: conf.py}
units:
  - {path: web.service, role: app, runs: [conf]}
container:
  compose_files: []
  compose_stacks: [[deploy/compose.yml, deploy/overlays/compose.prod.yml]]
"""


def test_a_listed_stack_merges_and_reads_paths_from_the_first_files_directory(write_tree) -> None:
    root = write_tree({
        "web.service": "[Service]\nExecStart=/opt/t/bin/gunicorn -c conf.py app:app\n",
        "conf.py": 'import os\nbind = os.getenv("T_BIND", "0.0.0.0:1")\n',
        "Dockerfile": "FROM python:3.12\nWORKDIR /srv\nCOPY . .\nCMD [\"gunicorn\", \"app:app\"]\n",
        "deploy/compose.yml": "services:\n  web:\n    build: ..\n    command: [gunicorn, -b, '0.0.0.0:2', app:app]\n"
                              "    environment:\n      T_BIND: 0.0.0.0:${PORT}\n",
        "deploy/overlays/compose.prod.yml": "services:\n  web:\n    env_file: prod.env\n"
                                            "    command: [gunicorn, app:app]\n    stop_grace_period: 2m\n",
        "deploy/prod.env": "T_BIND=0.0.0.0:7\nT_OTHER=x\n",  # relative to deploy/, the first file's directory
        "deploy/overlays/prod.env": "T_OTHER=wrong\n",
        "deploy/.env": "PORT=3\n",
    })
    pack = load_pack_text(PACK, "p.yaml")
    repo = build_repository(root, pack, max_file_size=1 << 20)
    [run] = container_runs(repo, pack)
    assert run.name == "deploy/compose.yml + deploy/overlays/compose.prod.yml service web"
    assert run.env["T_BIND"].value == "0.0.0.0:3"  # environment (interpolated from deploy/.env) over env_file
    assert run.env["T_OTHER"].value == "x"
    assert [p.argv for p in run.processes] == [("gunicorn", "app:app")]  # command replaced by the overlay
    assert run.stop_grace()[0] == 120


def test_a_stack_file_must_be_named_like_a_compose_file() -> None:
    from meslint.pack import PackError

    with pytest.raises(PackError, match=r"p.yaml:11: container.compose_stacks: 'deploy/prod.yml' is not named like"):
        load_pack_text(PACK.replace("deploy/overlays/compose.prod.yml", "deploy/prod.yml"), "p.yaml")
