"""Gate 6 semantics MES605-MES610 depend on: precedence, time spans, sandboxes, relative paths."""

from __future__ import annotations

import pytest

from meslint import systemd_semantics as semantics
from meslint.build import build_repository
from meslint.checks import CheckContext
from meslint.checks import contract_check_missing as mes605
from meslint.checks import env_file_divergence as mes607
from meslint.checks import environment_shadowed as mes608
from meslint.checks import runtime_path_not_writable as mes606
from meslint.checks import stop_timeout_too_short as mes610
from meslint.checks import worker_parity as mes609
from meslint.pack import load_pack
from meslint.parsers.systemd import parse as parse_unit
from meslint.sandbox import NONE, RO, RW, sandbox_of

PACK = load_pack("mes-dashboard")
APP = "deploy/mes-dashboard.service"
WATCHDOG = "deploy/mes-dashboard-watchdog.service"


def _unit(body: str, path: str = APP):
    return parse_unit(path, "[Unit]\nDescription=test\n\n[Service]\n" + body)


def _findings(module, write_tree, files: dict[str, str]):
    root = write_tree(files)
    repo = build_repository(root, PACK, max_file_size=1_000_000)
    return list(module.check(CheckContext(repo, PACK)))


# --------------------------------------------------------------------------- time spans (systemd.time(7))


@pytest.mark.parametrize(("text", "seconds"), [
    ("90", 90),
    ("90s", 90),
    ("1min 30s", 90),
    ("1min30s", 90),
    ("2m", 120),
    ("2 min", 120),
    ("1h", 3600),
    ("1.5h", 5400),
    ("500ms", 0.5),
    ("1M", 30.44 * 86400),  # months: capital M
    ("1w 1d", 8 * 86400),
    ("55s500ms", 55.5),
    ("2hours", 7200),
    (" 5 min ", 300),
])
def test_timespan(text, seconds):
    assert semantics.parse_timespan(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "abc", "5 parsecs", "-5s", "1min foo"])
def test_timespan_rejects(text):
    assert semantics.parse_timespan(text) is None


def test_timespan_infinity():
    assert semantics.parse_timespan("infinity") == semantics.INFINITY


def test_stop_timeout_default_zero_and_timeoutsec():
    assert semantics.stop_timeout(_unit("ExecStart=/bin/true\n"))[0] == 90
    assert semantics.stop_timeout(_unit("TimeoutStopSec=0\n"))[0] == semantics.INFINITY  # 0 disables the timeout
    # TimeoutSec= sets the stop timeout too; the later assignment wins.
    assert semantics.stop_timeout(_unit("TimeoutStopSec=5min\nTimeoutSec=45\n"))[0] == 45
    # An unparseable value is ignored by systemd: the earlier one stays.
    assert semantics.stop_timeout(_unit("TimeoutStopSec=3min\nTimeoutStopSec=soon\n"))[0] == 180


def test_graceful_timeout_precedence(write_tree):
    config = 'import os\ngraceful_timeout = int(os.getenv("GUNICORN_GRACEFUL_TIMEOUT", "60"))\n'
    unit = ("[Service]\nWorkingDirectory=/opt/mes-dashboard\nEnvironment=GUNICORN_GRACEFUL_TIMEOUT=80\n"
            "EnvironmentFile=-/opt/mes-dashboard/.env\nTimeoutStopSec=70\n"
            "ExecStart=/usr/bin/gunicorn --config gunicorn.conf.py app:app\n")
    # code default 60 < inline 80 < env file 100: the env file wins (applied after Environment=).
    found = _findings(mes610, write_tree, {"gunicorn.conf.py": config, APP: unit,
                                           ".env.example": "GUNICORN_GRACEFUL_TIMEOUT=100\n"})
    assert len(found) == 1
    assert "100s with the deployed env file" in found[0].message
    assert "80s without the env file" in found[0].message


def test_graceful_timeout_command_line_wins(write_tree):
    config = "graceful_timeout = 600\n"
    unit = ("[Service]\nTimeoutStopSec=70\n"
            "ExecStart=/usr/bin/gunicorn --config gunicorn.conf.py --graceful-timeout 30 app:app\n")
    assert _findings(mes610, write_tree, {"gunicorn.conf.py": config, APP: unit}) == []


def test_graceful_timeout_builtin_default(write_tree):
    unit = "[Service]\nTimeoutStopSec=20s\nExecStart=/usr/bin/gunicorn app:app\n"
    found = _findings(mes610, write_tree, {APP: unit})
    assert len(found) == 1 and "30s" in found[0].message


# --------------------------------------------------------------------------- EnvironmentFile= over Environment=


def test_environment_file_wins_regardless_of_order(write_tree):
    unit = ("[Service]\nEnvironmentFile=-/opt/mes-dashboard/.env\n"
            "Environment=WATCHDOG_PID_FILE=/run/mes-dashboard/gunicorn.pid\nExecStart=/bin/true\n")
    found = _findings(mes608, write_tree, {APP: unit, ".env.example": "WATCHDOG_PID_FILE=./tmp/gunicorn.pid\n"})
    assert [f.location.line for f in found] == [3]
    assert "./tmp/gunicorn.pid" in found[0].message


def test_environment_file_elsewhere_or_same_value_is_not_shadowing(write_tree):
    unit = ("[Service]\nEnvironment=A=1 B=2\nEnvironmentFile=/etc/other.env\nExecStart=/bin/true\n")
    assert _findings(mes608, write_tree, {APP: unit, ".env.example": "A=9\n"}) == []
    unit = ("[Service]\nEnvironment=A=1\nEnvironmentFile=/opt/mes-dashboard/.env\nExecStart=/bin/true\n")
    assert _findings(mes608, write_tree, {APP: unit, ".env.example": "A=1\n"}) == []


def test_shadowing_compares_systemd_reading_of_the_template(write_tree):
    # systemd keeps an inline comment: "1  # one" differs from the inline "1".
    unit = "[Service]\nEnvironment=A=1\nEnvironmentFile=/opt/mes-dashboard/.env\nExecStart=/bin/true\n"
    found = _findings(mes608, write_tree, {APP: unit, ".env.example": "A=1  # one\n"})
    assert len(found) == 1


# --------------------------------------------------------------------------- sandbox (systemd.exec(5))


def test_strict_is_read_only_except_allowed_paths():
    sandbox = sandbox_of(_unit("ProtectSystem=strict\nReadWritePaths=/opt/app/logs \"/srv/data\"\n"
                               "RuntimeDirectory=mes\nStateDirectory=mes\nLogsDirectory=mes\nCacheDirectory=c\n"))
    assert sandbox.access("/opt/app/tmp/x.pid").mode == RO
    for path in ("/opt/app/logs/a.log", "/srv/data/x", "/run/mes/x.pid", "/var/lib/mes/s.json",
                 "/var/log/mes/a.log", "/var/cache/c/x", "/dev/shm/x", "/proc/self/x", "/sys/x"):
        assert sandbox.access(path).writable, path
    assert sandbox.access("/tmp/x").mode == RO  # no PrivateTmp=: the host /tmp is read-only too
    assert sandbox.access("/run/other/x").mode == RO


def test_protect_system_levels():
    yes = sandbox_of(_unit("ProtectSystem=yes\n"))
    assert yes.access("/usr/lib/x").mode == RO and yes.access("/boot/x").mode == RO
    assert yes.access("/etc/x").writable and yes.access("/opt/x").writable
    full = sandbox_of(_unit("ProtectSystem=full\n"))
    assert full.access("/etc/x").mode == RO and full.access("/opt/x").writable
    off = sandbox_of(_unit("ProtectSystem=no\n"))
    assert off.access("/usr/x").writable
    dynamic = sandbox_of(_unit("DynamicUser=yes\n"))
    assert dynamic.access("/opt/x").mode == RO and dynamic.access("/tmp/x").private


def test_nesting_and_prefixes():
    sandbox = sandbox_of(_unit("ReadOnlyPaths=/opt/app\nReadWritePaths=-/opt/app/tmp +/opt/app/run\n"
                               "InaccessiblePaths=/opt/app/secret\nReadWritePaths=/opt/app/secret/rw\n"
                               "ReadWritePaths=/opt/app/same\nReadOnlyPaths=/opt/app/same\n"))
    assert sandbox.access("/opt/app/x").mode == RO
    assert sandbox.access("/opt/app/tmp/x").writable
    assert sandbox.access("/opt/app/run/x").writable
    assert sandbox.access("/opt/app/secret/rw/x").mode == NONE  # nothing nests inside an inaccessible path
    assert sandbox.access("/opt/app/same/x").mode == RO  # same path: read-only wins


def test_empty_assignment_resets_list():
    sandbox = sandbox_of(_unit("ProtectSystem=strict\nReadWritePaths=/opt/app\nReadWritePaths=\n"))
    assert sandbox.access("/opt/app/x").mode == RO


def test_private_tmp_is_writable_but_private():
    sandbox = sandbox_of(_unit("ProtectSystem=strict\nPrivateTmp=yes\n"))
    access = sandbox.access("/tmp/x")
    assert access.mode == RW and access.private
    assert sandbox.access("/var/tmp/x").private


def test_private_tmp_separates_units(write_tree):
    contract = 'import os\nFLAG = os.getenv("WATCHDOG_RESTART_FLAG", "/tmp/restart.flag")\n'
    files = {
        "src/mes_dashboard/core/runtime_contract.py": contract,
        "scripts/worker_watchdog.py": contract,
        APP: "[Service]\nExecStart=/usr/bin/gunicorn app:app\n",
        WATCHDOG: "[Service]\nPrivateTmp=true\nExecStart=/usr/bin/python scripts/worker_watchdog.py\n",
    }
    found = _findings(mes606, write_tree, files)
    assert [(f.location.path, f.location.line) for f in found] == [(WATCHDOG, 2)]
    # Joined namespaces share one private /tmp.
    files[APP] = "[Unit]\nJoinsNamespaceOf=mes-dashboard-watchdog.service\n[Service]\nPrivateTmp=yes\n" \
                 "ExecStart=/usr/bin/gunicorn app:app\n"
    assert _findings(mes606, write_tree, files) == []


def test_relative_paths_resolve_under_working_directory(write_tree):
    unit = ("[Service]\nWorkingDirectory=/srv/app\nProtectSystem=strict\nReadWritePaths=/srv/app/logs\n"
            "ExecStart=/usr/bin/gunicorn --access-logfile logs/access.log --error-logfile err.log app:app\n")
    found = _findings(mes606, write_tree, {APP: unit})
    assert len(found) == 1
    assert "/srv/app/err.log" in found[0].message and "--error-logfile" in found[0].message


def test_unit_environment_decides_the_written_path(write_tree):
    watchdog = 'import os\nSTATE = os.getenv("WATCHDOG_STATE_FILE", "tmp/state.json")\n'
    unit = ("[Service]\nProtectSystem=strict\nRuntimeDirectory=mes-dashboard\n"
            "Environment=WATCHDOG_STATE_FILE=/run/mes-dashboard/state.json\n"
            "ExecStart=/usr/bin/python scripts/worker_watchdog.py\n")
    files = {"scripts/worker_watchdog.py": watchdog, WATCHDOG: unit}
    assert _findings(mes606, write_tree, files) == []
    # The env file overrides Environment= and points back under the read-only deploy root.
    files[WATCHDOG] = unit.replace("ExecStart", "EnvironmentFile=-/opt/mes-dashboard/.env\nExecStart")
    files[".env.example"] = "WATCHDOG_STATE_FILE=./tmp/state.json\n"
    found = _findings(mes606, write_tree, files)
    assert len(found) == 1 and "/opt/mes-dashboard/tmp/state.json" in found[0].message


# --------------------------------------------------------------------------- env file consumers (MES607)


def test_divergence_needs_two_consumers(write_tree):
    env = "WORKERS=2   # PRD: 4\n"
    unit = "[Service]\nEnvironmentFile=-/opt/mes-dashboard/.env\nExecStart=/bin/true\n"
    assert _findings(mes607, write_tree, {".env.example": env, APP: unit}) == []
    script = 'ROOT="$(cd "$(dirname "$0")/.." && pwd)"\nset -a\nsource "$ROOT/.env"\nset +a\n'
    found = _findings(mes607, write_tree, {".env.example": env, APP: unit, "scripts/start_server.sh": script})
    assert len(found) == 1
    assert "'2   # PRD: 4'" in found[0].message and "bash source gets '2'" in found[0].message


def test_dotenv_is_a_consumer_when_it_is_a_dependency(write_tree):
    env = "WORKERS=2   # PRD: 4\n"
    unit = "[Service]\nEnvironmentFile=-/opt/mes-dashboard/.env\nExecStart=/bin/true\n"
    pyproject = '[project]\nname = "x"\ndependencies = ["flask", "python-dotenv>=1.0"]\n'
    found = _findings(mes607, write_tree, {".env.example": env, APP: unit, "pyproject.toml": pyproject})
    assert len(found) == 1 and "python-dotenv gets '2'" in found[0].message


# --------------------------------------------------------------------------- the check command (MES605)


def test_check_arm_reaches_validation_through_functions(write_tree):
    script = (
        "validate() {\n"
        "    RUNTIME_CONTRACT_ENFORCE=\"${RUNTIME_CONTRACT_ENFORCE:-true}\" python - <<'PY'\n"
        "from mes_dashboard.core.runtime_contract import build_runtime_contract_diagnostics\n"
        "build_runtime_contract_diagnostics(strict=True)\n"
        "PY\n"
        "}\n"
        "all_checks() {\n    validate || return 1\n}\n"
        "case \"$1\" in\n    check) all_checks ;;\nesac\n"
    )
    assert _findings(mes605, write_tree, {"scripts/start_server.sh": script}) == []


def test_script_default_turning_enforcement_off(write_tree):
    script = 'RUNTIME_CONTRACT_ENFORCE="${RUNTIME_CONTRACT_ENFORCE:-false}"\ncase "$1" in\n  start) : ;;\nesac\n'
    found = _findings(mes605, write_tree, {"scripts/start_server.sh": script})
    assert sorted(f.location.line for f in found) == [1, 1]  # no check arm (line 1) + default off (line 1)
    assert any("defaults RUNTIME_CONTRACT_ENFORCE to 'false'" in f.message for f in found)


# --------------------------------------------------------------------------- worker parity (MES609)


def test_queue_env_var_follows_the_assignment_chain():
    assert mes609._env_var("${Q}", {"Q": "${MSD_WORKER_QUEUE:-msd}"}) == "MSD_WORKER_QUEUE"
    assert mes609._env_var("${Q}", {"Q": "${Q:-msd}"}) == "Q"
    assert mes609._env_var("${A}", {"A": "${B}", "B": "${C:-x}"}) == "C"
    assert mes609._env_var("literal", {}) is None


def test_queue_words_skip_options():
    raw = ("rq", "worker", "-w", "rq.SimpleWorker", "--burst", "${Q}", "high", "--url", "redis://x")
    values = ("rq", "worker", "-w", "rq.SimpleWorker", "--burst", "q1", "high", "--url", "redis://x")
    assert mes609.queue_words(raw, values) == [("${Q}", "q1"), ("high", "high")]
