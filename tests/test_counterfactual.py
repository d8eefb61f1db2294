"""Counterfactual runtimes (meslint.counterfactual): code defaults, one override, show-contract's view."""

from __future__ import annotations

import json
from pathlib import Path

from meslint import counterfactual
from meslint.build import build_repository
from meslint.cli import main
from meslint.config import load_settings
from meslint.engine import load_contract
from meslint.resolve import RUNTIME_SCRIPT_BARE, RUNTIME_SYSTEMD, RUNTIMES, resolve, runtime_order
from meslint.template import Binding
from tests.conftest import FIXTURES


def _load(root: Path):
    settings = load_settings(root)
    pack = load_contract(settings, root, None)
    return build_repository(root, pack, max_file_size=settings.max_file_size, exclude=settings.exclude), pack


def test_environment_drops_contract_variables_and_sets_overrides_where_the_env_file_reaches() -> None:
    view = counterfactual.Counterfactual("x", frozenset({"A", "B"}), (("B", "/b"),), frozenset({"A"}))
    env = {"A": Binding("1", "unit"), "C": Binding("3", "unit")}
    assert {k: b.value for k, b in view.environment(dict(env), "unit").items()} == {"A": "1", "C": "3", "B": "/b"}
    # A unit that does not load the env file gets no override; its own Environment= value A stays.
    assert set(view.environment(dict(env), "unit, no env file")) == {"A", "C"}
    # The start script's children get neither A (the script's export) nor B directly: B comes through it.
    assert set(view.environment(dict(env), "started by script")) == {"C"}
    assert set(view.environment({}, "script")) == {"B"}


def test_runtime_order_puts_counterfactual_runtimes_after_their_base() -> None:
    names = ["start script, code defaults", "systemd, code defaults", RUNTIME_SCRIPT_BARE, RUNTIME_SYSTEMD]
    assert runtime_order(names) == [RUNTIME_SYSTEMD, RUNTIME_SCRIPT_BARE, "systemd, code defaults",
                                    "start script, code defaults"]


def test_configured_resolution_is_unchanged_by_the_hooks() -> None:
    repo, pack = _load(FIXTURES / "demo")
    assert {v.runtime for v in resolve(repo, pack).values} <= set(RUNTIMES)


def test_bases_are_read_off_the_resolution_not_a_name_list() -> None:
    repo, pack = _load(FIXTURES / "MES612" / "good_script_hands_down")
    bare = counterfactual.resolve_what_if(repo, pack, counterfactual.no_env_file())
    found = {d.base: d.derived for d in counterfactual.derivations(bare)}
    # The script's own ROOT is always assigned before use: the environment cannot move it.
    assert found == {"MES_DASHBOARD_ROOT": ("WATCHDOG_PID_FILE", "WATCHDOG_RUNTIME_DIR"),
                     "WATCHDOG_RUNTIME_DIR": ("WATCHDOG_PID_FILE",)}


def test_a_value_every_consuming_unit_sets_is_kept_one_unit_alone_is_not() -> None:
    repo, pack = _load(FIXTURES / "demo")
    assert {"WATCHDOG_PID_FILE", "WATCHDOG_RUNTIME_DIR"} <= counterfactual.unit_values(repo, pack, resolve(repo, pack))
    repo, pack = _load(FIXTURES / "MES611" / "bad_unit_environment")
    assert counterfactual.unit_values(repo, pack, resolve(repo, pack)) == frozenset()


def test_show_contract_code_defaults(capsys) -> None:
    root = FIXTURES / "MES611" / "bad_unit_environment"
    assert main(["show-contract", str(root), "--runtime", "defaults", "--no-cache"]) == 0
    out = capsys.readouterr().out
    assert "[systemd, code defaults] DISAGREE (2 values)" in out
    assert "/var/tmp/restart.flag" in out
    assert "[systemd]" not in out  # only the counterfactual runtime is shown


def test_show_contract_override_shows_every_consumer(capsys) -> None:
    root = FIXTURES / "MES612" / "bad"
    assert main(["show-contract", str(root), "--override", "WATCHDOG_RUNTIME_DIR=/srv/run", "--no-cache",
                 "--output-format", "json"]) == 0
    values = json.loads(capsys.readouterr().out)["values"]
    flags = {v["consumer"]: v["value"] for v in values
             if v["setting"] == "WATCHDOG_RESTART_FLAG" and v["runtime"].startswith("systemd")}
    assert flags == {"app (run by deploy/mes-dashboard.service)": "/srv/run/restart.flag",
                     "watchdog (run by deploy/mes-dashboard-watchdog.service)": "/run/mes-dashboard/restart.flag"}


def test_show_contract_defaults_with_an_override(capsys) -> None:
    root = FIXTURES / "MES612" / "good_every_consumer_follows"
    assert main(["show-contract", str(root), "--runtime", "defaults", "--override",
                 "WATCHDOG_RUNTIME_DIR=/srv/run", "--no-cache"]) == 0
    out = capsys.readouterr().out
    assert "[systemd, code defaults, WATCHDOG_RUNTIME_DIR=/srv/run] agree" in out
    assert "DISAGREE" not in out


def test_show_contract_rejects_a_malformed_override(capsys) -> None:
    assert main(["show-contract", str(FIXTURES / "demo"), "--override", "NOT A NAME"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--override" in err


def test_many_bases_are_capped(write_tree) -> None:
    names = [f"PART_{i:03}" for i in range(100)]
    default = "/".join("${" + name + ":-x}" for name in names)
    root = write_tree({
        "scripts/worker_watchdog.py": "import os\n",
        "scripts/start_server.sh": ("#!/usr/bin/env bash\n"
                                    f'export WATCHDOG_RUNTIME_DIR="${{WATCHDOG_RUNTIME_DIR:-/{default}}}"\n'),
    })
    repo, pack = _load(root)
    bare = counterfactual.resolve_what_if(repo, pack, counterfactual.no_env_file())
    found = counterfactual.derivations(bare)
    assert [d.base for d in found] == names[:counterfactual.MAX_BASES]
