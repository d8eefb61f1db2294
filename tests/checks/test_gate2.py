"""Gate 2 helpers and rules: legacy component matching, runtime files, root anchoring, unit paths."""

from __future__ import annotations

import pytest

from meslint.build import build_repository
from meslint.checks import CheckContext
from meslint.checks import legacy_subtree_reference as mes201
from meslint.checks import missing_root_path as mes204
from meslint.checks import script_not_root_anchored as mes202
from meslint.checks import unit_outside_deploy_root as mes203
from meslint.config import Settings
from meslint.engine import load_contract
from meslint.pack import load_pack
from meslint.runtime_files import is_historical, is_runtime_path, is_test_path, legacy_hits

NAMES = ("DashBoard", "DashBoard_vite")
PACK = load_pack("mes-dashboard")
ANCHOR = 'ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"\n'


# --------------------------------------------------------------------------- component matching


@pytest.mark.parametrize(("value", "expected"), [
    ("DashBoard/src", ["DashBoard"]),
    ("/opt/mes-dashboard/DashBoard/src", ["DashBoard"]),
    ("${ROOT}/DashBoard_vite/.env", ["DashBoard_vite"]),
    ("@ROOT/DashBoard", ["DashBoard"]),
    ("DashBoard", ["DashBoard"]),  # a bare name as the whole value: cd DashBoard, root / "DashBoard"
    ("src:DashBoard/src:${PYTHONPATH:-}", ["DashBoard"]),
    ("${LEGACY:-DashBoard/src}", ["DashBoard"]),
    ("python DashBoard/app.py --debug", ["DashBoard"]),
    ("/home/egg/Project/DashBoard_vite", ["DashBoard_vite"]),
    ("~/DashBoard_vite/.env", ["DashBoard_vite"]),
    ("../DashBoard", ["DashBoard"]),
    # near misses and prose
    ("DashBoard_vite_backup", []),
    ("/srv/DashBoard_vite_backup/src", []),
    ("/opt/mes-dashboard/src", []),
    ("mes-dashboard", []),
    ("Dashboard/src", []),  # case-sensitive, as on Linux
    ("dashboard", []),
    ("MES DashBoard", []),
    ("Welcome to DashBoard", []),
    ("DashBoardX/src", []),
    ("http://host/DashBoard/health", []),
    ("", []),
])
def test_legacy_component_matching(value, expected):
    assert [hit.name for hit in legacy_hits(value, NAMES)] == expected


def test_legacy_hit_keeps_the_path_word():
    (hit,) = legacy_hits("cd /srv/DashBoard/src && exec app", NAMES)
    assert hit.token == "/srv/DashBoard/src"


def test_trailing_slash_pack_names_are_components():
    assert [h.name for h in legacy_hits("DashBoard_vite/x", ("DashBoard",))] == []


# --------------------------------------------------------------------------- runtime files


@pytest.mark.parametrize(("path", "runtime"), [
    ("scripts/start_server.sh", True),
    ("deploy/mes-dashboard.service", True),
    ("src/mes_dashboard/app.py", True),
    (".env.example", True),
    ("gunicorn.conf.py", True),
    ("tests/test_app.py", False),
    ("src/mes_dashboard/tests/helpers.py", False),
    ("test_paths.py", False),
    ("src/paths_test.py", False),
    ("conftest.py", False),
    ("README.md", False),
    ("docs/runbook.sh", False),
    ("CHANGELOG.md", False),
])
def test_runtime_paths(path, runtime):
    assert is_runtime_path(path, PACK) is runtime


def test_historical_and_test_helpers():
    assert is_historical("docs/archive/2024/cutover.md", PACK)
    assert is_historical("frontend/CHANGELOG.md", PACK)
    assert not is_historical("docs/runbook.md", PACK)
    assert is_test_path("tests/e2e/run.sh")
    assert not is_test_path("scripts/latest_stats.py")


# --------------------------------------------------------------------------- rules on small trees


def _run(write_tree, files: dict[str, str], module):
    root = write_tree(files)
    pack = load_contract(Settings(), root, None)
    repo = build_repository(root, pack, max_file_size=1_000_000)
    return [(f.location.path, f.location.line, f.message) for f in module.check(CheckContext(repo, pack))]


def _script(body: str) -> dict[str, str]:
    return {"scripts/start_server.sh": "#!/usr/bin/env bash\n" + body,
            "scripts/worker_watchdog.py": "print('x')\n", "gunicorn.conf.py": "bind = '0.0.0.0:8080'\n"}


def test_anchor_in_caller_covers_callee(write_tree):
    body = ANCHOR + "watch() {\n  python scripts/worker_watchdog.py\n}\nstart() {\n  cd \"$ROOT\"\n  watch\n}\nstart\n"
    assert _run(write_tree, _script(body), mes202) == []


def test_one_unanchored_call_site_is_enough(write_tree):
    body = (ANCHOR + "watch() {\n  python scripts/worker_watchdog.py\n}\n"
            "start() {\n  cd \"$ROOT\"\n  watch\n}\nrestart() {\n  watch\n}\n"
            "case \"$1\" in\n  start) start ;;\n  restart) restart ;;\nesac\n")
    findings = _run(write_tree, _script(body), mes202)
    assert [(p, line) for p, line, _ in findings] == [("scripts/start_server.sh", 4)]


def test_top_level_cd_anchors_every_function(write_tree):
    body = (ANCHOR + "cd \"$ROOT\" || exit 1\n"
            "start() {\n  source .env\n  gunicorn -c gunicorn.conf.py app:app\n}\nstart\n")
    assert _run(write_tree, _script(body), mes202) == []


def test_anchor_without_cd_is_not_enough(write_tree):
    body = ANCHOR + "start() {\n  source .env\n}\nstart\n"
    findings = _run(write_tree, _script(body), mes202)
    assert len(findings) == 1 and "'.env'" in findings[0][2]


def test_case_arms_start_from_the_state_before_the_case(write_tree):
    body = (ANCHOR + "case \"$1\" in\n  start) cd \"$ROOT\"; gunicorn -c gunicorn.conf.py app:app ;;\n"
            "  watch) python scripts/worker_watchdog.py ;;\nesac\n")
    findings = _run(write_tree, _script(body), mes202)
    assert [line for _, line, _ in findings] == [5]


def test_function_that_cds_back_to_root(write_tree):
    body = (ANCHOR + "build() {\n  cd \"$ROOT/frontend\"\n  npm run build\n  cd \"$ROOT\"\n}\n"
            "start() {\n  cd \"$ROOT\"\n  build\n  gunicorn -c gunicorn.conf.py app:app\n}\nstart\n")
    assert _run(write_tree, _script(body), mes202) == []


def test_function_that_leaves_a_subdirectory(write_tree):
    body = (ANCHOR + "build() {\n  cd \"$ROOT/frontend\"\n  npm run build\n}\n"
            "start() {\n  cd \"$ROOT\"\n  build\n  gunicorn -c gunicorn.conf.py app:app\n}\nstart\n")
    findings = _run(write_tree, _script(body), mes202)
    assert len(findings) == 1 and "frontend/" in findings[0][2]


def test_relative_cd_from_root_is_a_subdirectory(write_tree):
    body = ANCHOR + "cd \"$ROOT\"\ncd src\npython -m mes_dashboard\n"
    findings = _run(write_tree, _script(body), mes202)
    assert [line for _, line, _ in findings] == [5]


def test_script_dir_anchor_one_level_up(write_tree):
    body = ('SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"\n'
            'cd "$SCRIPT_DIR/.."\npython scripts/worker_watchdog.py\n')
    assert _run(write_tree, _script(body), mes202) == []


def test_other_scripts_are_not_checked_for_anchoring(write_tree):
    files = {"scripts/soak.sh": "#!/usr/bin/env bash\npython scripts/worker_watchdog.py\n",
             "scripts/worker_watchdog.py": "print('x')\n"}
    assert _run(write_tree, files, mes202) == []


def test_unit_relative_paths_follow_working_directory(write_tree):
    unit = ("[Service]\nWorkingDirectory=/opt/mes-dashboard/src\n"
            "ExecStart=/opt/miniconda3/bin/conda run -n mes-dashboard python ../scripts/worker_watchdog.py\n")
    files = {"deploy/mes-dashboard-watchdog.service": unit, "scripts/worker_watchdog.py": "print('x')\n",
             "src/mes_dashboard/__init__.py": ""}
    assert _run(write_tree, files, mes203) == []
    assert _run(write_tree, files, mes204) == []


def test_unit_script_escaping_the_root(write_tree):
    unit = ("[Service]\nWorkingDirectory=/opt/mes-dashboard\n"
            "ExecStart=/opt/miniconda3/bin/conda run -n mes-dashboard python ../other/watchdog.py\n")
    findings = _run(write_tree, {"deploy/mes-dashboard-watchdog.service": unit}, mes203)
    assert len(findings) == 1 and "/opt/other/watchdog.py" in findings[0][2]


def test_missing_path_skips_runtime_and_unknown_values(write_tree):
    unit = ("[Service]\nWorkingDirectory=/opt/mes-dashboard\nEnvironmentFile=-/opt/mes-dashboard/.env\n"
            "ReadWritePaths=/opt/mes-dashboard/logs /opt/mes-dashboard/tmp\n"
            "ExecStart=/usr/bin/env bash -lc 'exec python \"${APP_DIR}/watchdog.py\"'\n")
    assert _run(write_tree, {"deploy/mes-dashboard-watchdog.service": unit}, mes204) == []


def test_missing_path_in_subdirectory_script(write_tree):
    body = ANCHOR + 'cd "$ROOT/frontend"\nsource ./env.sh\n'
    files = _script(body) | {"frontend/package.json": "{}\n"}
    findings = _run(write_tree, files, mes204)
    assert [(line, "frontend/env.sh" in msg) for _, line, msg in findings] == [(4, True)]


def test_legacy_reference_skips_tests_and_message_commands(write_tree):
    files = {
        "tests/test_x.py": "import sys\nsys.path.insert(0, 'DashBoard/src')\n",
        "scripts/start_server.sh": "#!/usr/bin/env bash\necho \"moved from DashBoard/\"\nlog_info DashBoard/x\n"
                                   "log_info() { echo \"$*\"; }\n",
    }
    assert _run(write_tree, files, mes201) == []


def test_legacy_reference_in_heredoc_python(write_tree):
    files = {"scripts/start_server.sh": "#!/usr/bin/env bash\npython - <<'PY'\nimport sys\n"
                                        "sys.path.insert(0, 'DashBoard/src')\nPY\n"}
    findings = _run(write_tree, files, mes201)
    assert [(p, line) for p, line, _ in findings] == [("scripts/start_server.sh", 4)]
