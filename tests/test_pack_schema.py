"""The pack format's JSON Schema: generated from the loader's declarations, and the packs obey it."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from meslint.cli import main
from meslint.pack import PackError, load_pack_text
from meslint.pack_schema import pack_schema, with_fields_table
from tests.conftest import FIXTURES, REPO

PACKS = sorted((REPO / "rules").glob("*.yaml")) + sorted(FIXTURES.glob("**/meslint-pack.yaml"))
VALIDATOR = jsonschema.Draft202012Validator(pack_schema())


def test_schema_is_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(pack_schema())


@pytest.mark.parametrize("path", PACKS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_shipped_pack_validates(path) -> None:
    VALIDATOR.validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    load_pack_text(path.read_text(encoding="utf-8"), path.name)


GOOD = "name: t\ndeploy_root: /opt/t\nsettings: [{name: A, kind: path}]\n"


@pytest.mark.parametrize(
    "text",
    [
        GOOD + "colour: red\n",
        GOOD.replace("kind: path", "kind: colour"),
        GOOD.replace("name: t\n", ""),
        GOOD + "runtime: {kind: venv}\n",
        GOOD + "runtime: {kind: docker, prefix: /x}\n",
        GOOD + "runtime: {kind: system, prefix: /x}\n",
        GOOD + "units: [{path: a.service, role: king}]\n",
        GOOD + "install: {files: [a]}\n",
        GOOD + "detect: [[2]]\n",
        GOOD + "start_script: {path: s.sh, commands: start}\n",
        GOOD.replace("kind: path}", "kind: path, pid_file: maybe}"),
    ],
)
def test_schema_and_loader_reject_the_same_packs(text) -> None:
    data = yaml.safe_load(text)
    assert not VALIDATOR.is_valid(data)
    with pytest.raises(PackError):
        load_pack_text(text, "p.yaml")


def test_schema_accepts_every_runtime_kind_and_the_older_conda_block() -> None:
    for runtime in ("{kind: conda, env_name: e, bin: /c}", "{kind: venv, prefix: /v, user: u}", "{kind: system}"):
        VALIDATOR.validate(yaml.safe_load(GOOD + f"runtime: {runtime}\n"))
    VALIDATOR.validate(yaml.safe_load(GOOD + "conda: {env_name: e, bin: /c}\n"))


def test_pack_schema_command_prints_the_schema(capsys) -> None:
    assert main(["pack-schema"]) == 0
    assert json.loads(capsys.readouterr().out) == pack_schema()


def test_rules_readme_field_table_is_current() -> None:
    text = (REPO / "rules" / "README.md").read_text(encoding="utf-8")
    assert text == with_fields_table(text), "run: python -m meslint.pack_schema rules/README.md"
