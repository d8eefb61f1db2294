"""The container runtime's parsers: Dockerfile, supervisord and compose, with each format's semantics."""

from __future__ import annotations

import time

import pytest

from meslint import fact_pickle
from meslint.parsers import compose, compose_values, dockerfile, supervisord

# --------------------------------------------------------------------------- Dockerfile


def test_dockerfile_env_words_are_processed_like_the_builder() -> None:
    facts = dockerfile.parse("Dockerfile", (
        'ARG BASE=python:3.12-slim\n'
        'FROM ${BASE} AS build\n'
        'ENV A="x y" B=$A/z C=\'q$A\'\n'
        'ENV D=${MISSING:-fallback} E=${A:+set}\n'
        'ENV F legacy form value\n'
        'WORKDIR /srv\n'
        'WORKDIR app\n'
        'USER 1000:1000\n'
    ))
    stage = facts.final
    assert stage is not None and stage.base == "python:3.12-slim" and stage.name == "build"
    env = {kv.name: kv.value for kv in stage.env}
    # One ENV instruction substitutes from the values before it: B sees the A set before, not "x y".
    assert env == {"A": "x y", "B": "/z", "C": "q$A", "D": "fallback", "E": "set", "F": "legacy form value"}
    assert stage.workdir == "/srv/app" and stage.user == "1000:1000"


def test_dockerfile_multi_stage_final_stage_and_inheritance() -> None:
    facts = dockerfile.parse("Dockerfile", (
        "FROM node:22 AS front\nWORKDIR /build\nENV NODE_ENV=production\nRUN npm ci\n"
        "FROM python:3.11 AS base\nENV PYTHONPATH=/app/src\nWORKDIR /app\n"
        "FROM base\nCOPY --from=front /build/dist ./static/\nCOPY src/ ./src/\nVOLUME /app/tmp /app/logs\n"
        "EXPOSE 8080/tcp\nCMD gunicorn app:app\n"
    ))
    final = facts.final
    assert final is not None and len(facts.stages) == 3
    assert final.base_stage == "base" and final.workdir == "/app"
    assert [kv.name for kv in final.env] == ["PYTHONPATH"]  # not the front stage's NODE_ENV
    assert [(c.sources, c.destination, c.from_stage) for c in final.copies] == [
        (("/build/dist",), "/app/static/", "front"), (("src/",), "/app/src/", None)]
    assert [v.name for v in final.volumes] == ["/app/tmp", "/app/logs"]
    assert final.cmd is not None and final.cmd.shell_form and final.cmd.argv == ("/bin/sh", "-c", "gunicorn app:app")


def test_dockerfile_exec_form_and_entrypoint_resets_inherited_cmd() -> None:
    facts = dockerfile.parse("Dockerfile", (
        'FROM a AS one\nCMD ["serve"]\nFROM one\nENTRYPOINT ["supervisord", "-c", "/etc/s.conf"]\n'))
    final = facts.final
    assert final is not None and final.cmd is None
    assert final.entrypoint is not None and final.entrypoint.argv == ("supervisord", "-c", "/etc/s.conf")
    assert final.entrypoint.location.line == 4


def test_dockerfile_bad_input_is_a_problem_not_a_crash() -> None:
    assert dockerfile.parse("Dockerfile", "ENV A=1\nFROM x\n").problems  # before FROM
    assert dockerfile.parse("Dockerfile", "# only a comment\n").stages == ()
    assert dockerfile.parse("Dockerfile", "FROM a\x00\n").problems


def test_dockerfile_missing_package_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def refuse(name, *args, **kwargs):
        if name == "dockerfile":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", refuse)
    facts = dockerfile.parse("Dockerfile", "FROM a\n")
    assert facts.stages == () and "not installed" in facts.problems[0].message


def test_dockerfile_parse_time_is_small() -> None:
    text = "FROM python:3.11-slim\nWORKDIR /app\n" + "".join(f"ENV K{i}=v{i}\nCOPY f{i} ./\n" for i in range(200))
    dockerfile.parse("Dockerfile", text)
    start = time.perf_counter()
    facts = dockerfile.parse("Dockerfile", text)
    assert len(facts.final.env) == 200  # type: ignore[union-attr]
    assert time.perf_counter() - start < 1.0


# --------------------------------------------------------------------------- supervisord


CONF = """\
[supervisord]
nodaemon=true

; a comment line
[program:web]
command=gunicorn --bind %(ENV_HOST)s:8080
    "app:create()"   ; inline comment after whitespace
directory=%(here)s/app
environment=PYTHONPATH="/app/src",MODE=prod,LIST="a,b"
stopwaitsecs=30
STOPSIGNAL=TERM

[group:all]
programs=web

[include]
files = conf.d/*.conf
"""


def test_supervisord_sections_values_and_lines() -> None:
    conf = supervisord.parse("supervisord.conf", CONF)
    assert [(s.kind, s.name) for s in conf.sections] == [
        ("supervisord", ""), ("program", "web"), ("group", "all"), ("include", "")]
    web = conf.programs()[0]
    command = web.get("command")
    assert command is not None and command.value == 'gunicorn --bind %(ENV_HOST)s:8080\n"app:create()"'
    assert command.location.line == 6
    assert web.get("stopsignal") is not None  # keys fold to lower case, as supervisord reads them
    assert web.get("stopwaitsecs").location.line == 10  # type: ignore[union-attr]
    assert supervisord.expand(command.value, {"ENV_HOST": "0.0.0.0"}) == 'gunicorn --bind 0.0.0.0:8080\n"app:create()"'
    assert supervisord.expand("%(ENV_UNSET)s", {}) is None
    assert supervisord.expand("%(process_num)02d", {"process_num": "3"}) == "03"


def test_supervisord_environment_quoting() -> None:
    assert supervisord.environment_pairs('PYTHONPATH="/app/src",MODE=prod,LIST="a,b"') == [
        ("PYTHONPATH", "/app/src"), ("MODE", "prod"), ("LIST", "a,b")]
    assert supervisord.environment_pairs("A=x*y") is None  # supervisord refuses: '*' is not a word character
    assert supervisord.environment_pairs('A="unclosed') is None


def test_supervisord_bad_file_is_a_problem() -> None:
    assert supervisord.parse("s.conf", "command=x\n").problems[0].location.line == 1
    assert supervisord.parse("s.conf", "[program:x]\n[broken\n").problems


# --------------------------------------------------------------------------- compose


COMPOSE = """\
x-common: &common
  env_file:
    - common.env
    - path: local.env
      required: false
services:
  app:
    <<: *common
    build:
      context: ./app
      dockerfile: Containerfile
      target: runtime
    environment:
      BIND: "0.0.0.0:${PORT:-8080}"
      PASSED:
    ports:
      - "127.0.0.1:80:8080"
      - target: 9000
        published: "9001"
    volumes:
      - data:/var/lib/app
      - type: bind
        source: ./conf
        target: /etc/app
        read_only: true
    stop_grace_period: 1m30s
    command: ["gunicorn", "app:app"]
    profiles: [prod]
  worker:
    image: app
    environment:
      - QUEUE=default
      - PASSED
"""


def test_compose_services_with_merge_keys_and_long_syntax() -> None:
    facts = compose.parse("docker-compose.yml", COMPOSE)
    app = facts.service("app")
    assert app is not None and app.build_context == "./app" and app.dockerfile == "Containerfile"
    assert app.build_target == "runtime" and app.profiles == ("prod",)
    assert [(e.value, e.field("path"), e.field("required")) for e in app.env_files] == [
        ("common.env", None, None), (None, "local.env", "false")]
    assert [(kv.name, kv.value) for kv in app.environment] == [("BIND", "0.0.0.0:${PORT:-8080}"), ("PASSED", None)]
    assert app.ports[0].value == "127.0.0.1:80:8080" and app.ports[0].location.line == 17
    assert app.ports[1].field("target") == "9000"
    assert app.volumes[1].field("read_only") == "true"
    assert app.stop_grace_period is not None and app.stop_grace_period.value == "1m30s"
    assert app.command is not None and app.command.items == ("gunicorn", "app:app")
    worker = facts.service("worker")
    assert worker is not None and [(kv.name, kv.value) for kv in worker.environment] == [
        ("QUEUE", "default"), ("PASSED", None)]


def test_compose_interpolation() -> None:
    env = {"SET": "v", "EMPTY": ""}
    assert compose_values.interpolate("${SET:-d}|${EMPTY:-d}|${EMPTY-d}|${UNSET-d}", env)[0] == "v|d||d"
    assert compose_values.interpolate("${UNSET:-${SET}x}", env)[0] == "vx"
    assert compose_values.interpolate("$$SET $SET", env)[0] == "$SET v"
    assert compose_values.interpolate("${SET:+r}${EMPTY:+r}${EMPTY+r}", env)[0] == "r" + "" + "r"
    assert compose_values.interpolate("${EMPTY:?must be set}", env)[0] is None
    assert compose_values.interpolate("${EMPTY?only unset fails}", env)[0] == ""
    assert compose_values.interpolate("${bad name}", env)[0] is None


def test_compose_port_and_volume_short_syntax() -> None:
    assert compose_values.port_mapping("8080") == (None, None, "8080", "tcp")
    assert compose_values.port_mapping("80:8080/udp") == (None, "80", "8080", "udp")
    assert compose_values.port_mapping("[::1]:80:8080") == ("::1", "80", "8080", "tcp")
    assert compose_values.volume_mapping("/data") == (None, "/data", False)
    assert compose_values.volume_mapping("./c:/etc/c:ro") == ("./c", "/etc/c", True)


def test_compose_bad_yaml_is_a_problem() -> None:
    assert compose.parse("compose.yml", "services: [\n").problems
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(6))
    assert "refused" in compose.parse("compose.yml", bomb).problems[0].message


# --------------------------------------------------------------------------- the fact cache


@pytest.mark.parametrize("facts", [
    dockerfile.parse("Dockerfile", 'FROM a AS b\nENV X=1\nCOPY --chown=u a /b/\nCMD ["x"]\n'),
    supervisord.parse("supervisord.conf", CONF),
    compose.parse("docker-compose.yml", COMPOSE),
], ids=["dockerfile", "supervisord", "compose"])
def test_container_facts_round_trip_through_the_cache_codec(facts) -> None:
    assert fact_pickle.loads(fact_pickle.dumps(facts)) == facts


ENVIRONMENT_CASES = ['PYTHONPATH="/app/src"', 'A=b,C="x,y"', "A='q r',B=1", "A=x*y", 'A="unclosed', "A=1,B",
                     "A = 1 , B = 2", "K=a:b/c.d+e-f(g)", 'A="a\\"b"', "A=$HOME", "A=", "A=1,,B=2"]


@pytest.mark.parametrize("value", ENVIRONMENT_CASES)
def test_environment_pairs_agree_with_supervisord(value: str) -> None:
    """Differential: supervisord's own reader, when it is installed (it is not a dependency)."""
    datatypes = pytest.importorskip("supervisor.datatypes")
    try:
        real = list(datatypes.dict_of_key_value_pairs(value).items())
    except ValueError:
        real = None
    assert supervisord.environment_pairs(value) == real


def test_sections_agree_with_supervisord() -> None:
    options = pytest.importorskip("supervisor.options")
    parser = options.UnhosedConfigParser()
    parser.read_string(CONF)
    real = {section: dict(parser.items(section)) for section in parser.sections()}
    conf = supervisord.parse("supervisord.conf", CONF)
    mine = {(f"{s.kind}:{s.name}" if s.kind in {"program", "group"} else s.kind): {x.key: x.value for x in s.settings}
            for s in conf.sections}
    assert mine == real
