from __future__ import annotations

import pytest

from meslint import pack_files
from meslint.pack import (
    CondaRuntime,
    PackError,
    SystemRuntime,
    VenvRuntime,
    apply_overrides,
    load_pack,
    load_pack_text,
)
from meslint.pack_files import builtin_pack_names

MINIMAL = """\
name: t
deploy_root: /opt/t
env_file: {deployed: /opt/t/.env, template: .env.example}
conda: {env_name: t, bin: /opt/conda/bin/conda}
settings:
  - {name: A, kind: path}
"""


def test_builtin_pack_loads() -> None:
    assert "mes-dashboard" in builtin_pack_names()
    pack = load_pack("mes-dashboard")
    assert pack.deploy_root == "/opt/mes-dashboard"
    assert pack.setting("WATCHDOG_PID_FILE").pid_file
    assert pack.unit_spec("deploy/mes-dashboard-wip-worker.service").role == "worker"


def test_minimal_pack() -> None:
    pack = load_pack_text(MINIMAL, "p.yaml")
    assert pack.settings[0].name == "A" and pack.units == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (MINIMAL + "bogus: 1\n", "p.yaml:7: unknown key 'bogus' in pack"),
        (MINIMAL.replace("kind: path", "kind: path, colour: red"), "p.yaml:6: unknown key 'colour'"),
        (MINIMAL.replace("deploy_root: /opt/t", "deploy_root: [1]"), "p.yaml:2: pack.deploy_root must be a string"),
        (MINIMAL.replace("name: t\n", ""), "missing required key 'name'"),
        (MINIMAL + "units: [{path: a.service, role: king}]\n", "p.yaml:7: pack.units[0].role must be one of app,"),
        (MINIMAL.replace("kind: path", "kind: colour"), "p.yaml:6: pack.settings[0].kind must be one of path,"),
        (MINIMAL + "units:\n  - {role: app}\n", "p.yaml:8: unit ?: give exactly one of 'path' or 'glob'"),
        (MINIMAL + "units:\n  - {role: app, path: a.service,\n     runs: [web]}\n",
         "p.yaml:9: unit 'a.service': runs unknown consumer 'web'"),
        (MINIMAL.replace("deploy_root: /opt/t", "deploy_root: opt/t"), "p.yaml:2: deploy_root must be an absolute"),
        (MINIMAL + "install:\n  files: {gunicorn.py: opt/t/gunicorn.py}\n",
         "p.yaml:8: install.files: 'gunicorn.py' must be installed at an absolute path"),
        (MINIMAL + "install: {files: [a]}\n", "p.yaml:7: pack.install.files must be a mapping"),
        (MINIMAL.replace("kind: path}", "kind: path,\n     sites: [{directive: PIDFile, gunicorn: pidfile}]}"),
         "p.yaml:7: setting 'A': a site gives exactly one of directive, option, gunicorn"),
        (MINIMAL.replace("kind: path}", "kind: path,\n     sites: [{option: --pid}]}"),
         "p.yaml:7: setting 'A': option '--pid' is not `PROGRAM --LONG-OPTION`"),
        (MINIMAL + "units: {a: 1}\n", "p.yaml:7: pack.units must be a list"),
        ("name: [unclosed\n", "p.yaml:2: invalid YAML"),
        ("", "the contract pack is empty"),
    ],
)
def test_bad_packs_name_file_and_line(text, message) -> None:
    with pytest.raises(PackError) as info:
        load_pack_text(text, "p.yaml")
    assert message in str(info.value)


def test_unknown_builtin_pack() -> None:
    with pytest.raises(PackError, match="unknown contract pack 'nope'"):
        load_pack("nope")


def test_overrides() -> None:
    pack = apply_overrides(load_pack("mes-dashboard"), {"deploy_root": "/srv/x"}, "cfg")
    assert pack.deploy_root == "/srv/x"
    with pytest.raises(PackError, match="unknown pack override"):
        apply_overrides(pack, {"colour": 1}, "cfg")


def test_pack_file_that_is_not_utf8_is_a_pack_error(tmp_path) -> None:
    (tmp_path / "p.yaml").write_bytes(b"name: x\n\ndeploy_root: \xff\n")
    with pytest.raises(PackError, match=r"^p\.yaml:3: the contract pack is not valid UTF-8"):
        load_pack("p.yaml", base_dir=tmp_path)


def test_pack_with_control_character_is_a_pack_error() -> None:
    with pytest.raises(PackError, match=r"^p\.yaml:1: invalid YAML: unacceptable character"):
        load_pack_text("name: x\x01\n", "p.yaml")


RUNTIMELESS = MINIMAL.replace("conda: {env_name: t, bin: /opt/conda/bin/conda}\n", "")


def test_older_conda_block_is_translated_to_a_conda_runtime() -> None:
    pack = load_pack_text(MINIMAL, "p.yaml")
    assert isinstance(pack.runtime, CondaRuntime) and pack.conda is pack.runtime
    assert (pack.runtime.env_name, pack.runtime.bin_variable) == ("t", "CONDA_BIN")
    assert pack.legacy_conda is None


def test_builtin_pack_uses_the_runtime_block() -> None:
    pack = load_pack("mes-dashboard")
    assert isinstance(pack.runtime, CondaRuntime) and pack.runtime.env_name == "mes-dashboard"


def test_runtime_kinds() -> None:
    venv = load_pack_text(RUNTIMELESS + "runtime: {kind: venv, prefix: /opt/t/venv, user: t}\n", "p.yaml")
    assert isinstance(venv.runtime, VenvRuntime) and venv.runtime.prefix == "/opt/t/venv" and venv.conda is None
    assert venv.runtime.user == "t" and venv.conda_bin_variable is None
    system = load_pack_text(RUNTIMELESS + "runtime: {kind: system}\n", "p.yaml")
    assert isinstance(system.runtime, SystemRuntime)
    assert load_pack_text(RUNTIMELESS, "p.yaml").runtime is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (RUNTIMELESS + "runtime: {kind: docker}\n", "p.yaml:6: pack.runtime.kind must be one of conda, venv, system"),
        (RUNTIMELESS + "runtime: {prefix: /x}\n", "p.yaml:6: pack.runtime is missing required key 'kind'"),
        (RUNTIMELESS + "runtime: {kind: venv}\n", "p.yaml:6: pack.runtime is missing required key 'prefix'"),
        (RUNTIMELESS + "runtime: {kind: system, prefix: /x}\n", "p.yaml:6: unknown key 'prefix' in pack.runtime"),
        (MINIMAL + "runtime: {kind: system}\n", "p.yaml:4: give either runtime or the older conda block"),
    ],
)
def test_bad_runtimes_name_file_and_line(text, message) -> None:
    with pytest.raises(PackError) as info:
        load_pack_text(text, "p.yaml")
    assert message in str(info.value)


def _cli(root, *extra) -> int:
    from meslint.cli import main

    return main(["check", str(root), "--no-cache", "--output-format", "concise", *extra])


def test_no_implicit_default_pack_on_another_layout(write_tree, capsys) -> None:
    root = write_tree({"contrib/app.service": "[Service]\nExecStart=/opt/app/venv/bin/gunicorn app:app\n"})
    assert _cli(root) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert "no contract pack is configured" in err and "--contract FILE" in err and "[tool.meslint]" in err


@pytest.mark.parametrize(
    ("files", "extra"),
    [
        ({"scripts/start_server.sh": "#!/bin/bash\n"}, ()),  # a detect path
        ({"deploy/mes-dashboard-x-worker.service": "[Service]\n"}, ()),  # a detect glob
        ({"src/mes_dashboard/__init__.py": ""}, ()),  # a detect directory
        ({"a.txt": "x\n", "meslint.toml": 'contract = "mes-dashboard"\n'}, ()),  # configured
        ({"a.txt": "x\n"}, ("--contract", "mes-dashboard")),  # given on the command line
    ],
)
def test_default_pack_where_its_layout_is_present_or_configured(write_tree, capsys, files, extra) -> None:
    assert _cli(write_tree(files), *extra) in {0, 1}
    assert "no contract pack" not in capsys.readouterr().err


def test_detect_ignores_symbolic_links(write_tree, tmp_path) -> None:
    from meslint.pack_detect import detected

    outside = write_tree({"scripts/start_server.sh": "#!/bin/bash\n"}, tmp_path / "outside")
    root = write_tree({"a.txt": "x\n"})
    (root / "scripts").symlink_to(outside / "scripts")
    (root / "src").mkdir()
    (root / "src" / "mes_dashboard").symlink_to(outside / "scripts")
    assert not detected(load_pack("mes-dashboard"), root)


def test_pack_without_detect_applies_anywhere(tmp_path) -> None:
    from meslint.pack_detect import detected

    assert detected(load_pack_text(MINIMAL, "p.yaml"), tmp_path)


@pytest.mark.parametrize("case", ["MES103/good", "MES603/good_command_line_wins"])
def test_install_map_makes_installed_paths_exist(case) -> None:
    # MES103/good: -c /opt/small/gunicorn.py (under the deploy root, not in the repository: MES204);
    # MES603/good_command_line_wins: -c /etc/pid-app/gunicorn.py (outside the deploy root: MES203).
    from meslint.config import Settings
    from meslint.engine import load_contract, run
    from tests.conftest import FIXTURES

    root = FIXTURES / case
    pack = load_contract(Settings(), root, "meslint-pack.yaml")
    found = [f"{f.code} {f.message}" for f in run(root, Settings(), pack).findings]
    # The config file's pidfile that --pid overrides is dead configuration: MES613's, not a path problem.
    dead = [f for f in found if f.startswith("MES613 ")]
    assert dead == ([] if case == "MES103/good" else [
        "MES613 contrib/gunicorn.py sets pidfile = /tmp/unused.pid, but every launch that loads it passes --pid "
        "(/run/pid-app/gunicorn.pid): the file's value is dead configuration"])
    assert [f for f in found if f not in dead] == []


def test_installs() -> None:
    pack = load_pack_text(MINIMAL + "install: {files: {contrib/g.py: /opt/t/g.py}, created: [venv]}\n", "p.yaml")
    assert pack.installs("g.py") and pack.installs("venv/bin/gunicorn") and not pack.installs("other.py")


def test_builtin_pack_paths_are_not_checked_against_the_repository() -> None:
    from meslint.checks.pack_path_missing import repository_pack_path

    pack = load_pack("mes-dashboard")
    assert pack.path_references and repository_pack_path(pack.file, "/") is None


def test_unit_globs_use_the_repository_dialect() -> None:
    pack = load_pack("mes-dashboard")
    assert pack.unit_spec("deploy/mes-dashboard-wip-worker.service").role == "worker"
    assert pack.unit_spec("deploy/mes-dashboard-old/x-worker.service") is None  # `*` stays in its segment


def test_pinned_needs_a_canonical_value() -> None:
    text = MINIMAL.replace("  - {name: A, kind: path}", "  - {name: A, kind: path, pinned: true}")
    with pytest.raises(PackError, match=r"p.yaml:6: setting 'A': pinned needs a canonical value"):
        load_pack_text(text, "p.yaml")
    pack = load_pack_text(text.replace("pinned: true", "pinned: true, canonical: /x, variable: false"), "p.yaml")
    assert pack.settings[0].pinned and not pack.settings[0].variable


@pytest.mark.parametrize("name", builtin_pack_names())
def test_a_shipped_pack_composed_by_libyaml_is_the_pack_the_pure_composer_gives(name) -> None:
    path, source = pack_files.locate(name)
    text = pack_files.decode(pack_files.read_bytes(path, source), source)
    assert load_pack_text(text, source, shipped=True) == load_pack_text(text, source)
    assert load_pack(name) is not load_pack(name) and load_pack(name) == load_pack(name)  # a copy per run
