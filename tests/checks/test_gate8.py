"""Gate 8 helpers: value extraction from Markdown facts and value normalisation."""

from __future__ import annotations

import pytest

from meslint.checks.mirror_doc_drift import line_tokens, section_key
from meslint.dochistory import DocReading, Markers, has_marker
from meslint.docpaths import code_path_refs, link_ref
from meslint.doctext import (
    DocLine,
    assignment_claims,
    code_lines,
    conda_env_claims,
    port_claims,
    script_claims,
    script_subcommands,
    split_bind,
    table_claims,
    unit_claims,
    values_agree,
)
from meslint.facts import (
    Location,
    MarkdownDoc,
    MdCode,
    MdTableRow,
    ShellAssignment,
    ShellCaseArm,
    ShellCommand,
    ShellFunction,
    ShellScript,
)
from meslint.globs import glob_match

ROOT = "/opt/mes-dashboard"
NAMES = {"GUNICORN_BIND", "WATCHDOG_PID_FILE", "RUNTIME_CONTRACT_ENFORCE", "CONDA_ENV_NAME"}


def _line(text: str, source: str = "block") -> DocLine:
    return DocLine(text, Location("README.md", 3, 1), (), source)


# --------------------------------------------------------------------------- globs and markers


@pytest.mark.parametrize(("path", "pattern", "expected"), [
    ("docs/x.md", "docs/**/*.md", True),
    ("docs/a/b/x.md", "docs/**/*.md", True),
    ("docs/x.txt", "docs/**/*.md", False),
    ("CHANGELOG.md", "**/CHANGELOG.md", True),
    ("docs/CHANGELOG.md", "**/CHANGELOG.md", True),
    ("docs/archive/2024/x.md", "docs/archive/**", True),
    ("docs/archived.md", "docs/archive/**", False),
    ("src/app/routes/health_routes.py", "**/routes/health*.py", True),
    ("README.md", "*.md", True),
    ("docs/README.md", "*.md", False),
])
def test_glob_match(path, pattern, expected):
    assert glob_match(path, pattern) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Before/after: migration from DashBoard/", True),
    ("Legacy layout", True),
    ("# legacy (before the cutover)", True),
    ("Deprecated commands", True),
    ("舊版啟動方式", True),
    ("Hold history", False),
    ("After installation", False),
    ("Collegacy", False),
])
def test_historical_markers(text, expected):
    markers = ("before/after", "legacy", "deprecated", "migration from", "舊版")
    assert has_marker(text, markers) is expected


def test_fence_comment_marks_a_region_historical():
    body = "# legacy layout\nconda activate old\n# current layout\nconda activate mes-dashboard"
    doc = MarkdownDoc("README.md", code=(MdCode(body, "block", "bash", Location("README.md", 10, 1)),))
    lines = list(code_lines(doc, reading=DocReading.of(doc, Markers(headings=("legacy",)))))
    assert [(ln.location.line, ln.historical) for ln in lines] == [(10, True), (11, True), (12, False), (13, False)]


def test_diff_fence_is_historical():
    doc = MarkdownDoc("README.md", code=(MdCode("-A=1\n+A=2", "block", "diff", Location("README.md", 4, 1)),))
    assert all(line.historical for line in code_lines(doc))


# --------------------------------------------------------------------------- assignments and tables


def _claims(text: str, source: str = "block"):
    return [(c.subject, c.value) for c in assignment_claims(_line(text, source), NAMES)]


@pytest.mark.parametrize(("text", "expected"), [
    ("GUNICORN_BIND=0.0.0.0:8080", [("GUNICORN_BIND", "0.0.0.0:8080")]),
    ("export GUNICORN_BIND='0.0.0.0:8080'", [("GUNICORN_BIND", "0.0.0.0:8080")]),
    ('WATCHDOG_PID_FILE="/run/x/gunicorn.pid"  # note', [("WATCHDOG_PID_FILE", "/run/x/gunicorn.pid")]),
    ("GUNICORN_BIND=", []),  # empty: "use the default", not a claim
    ("OTHER_SETTING=1", []),  # not a contract setting
    ("RUNTIME_CONTRACT_ENFORCE=false ./scripts/start_server.sh check", []),  # one-command override
    ("A=1 GUNICORN_BIND=0.0.0.0:9 cmd", []),
    ("Environment=GUNICORN_BIND=0.0.0.0:8080", [("GUNICORN_BIND", "0.0.0.0:8080")]),
    ("MY_GUNICORN_BIND=1", []),
    ("$GUNICORN_BIND=1", []),
])
def test_assignment_claims(text, expected):
    assert _claims(text) == expected


def test_assignment_column_points_at_the_key():
    claim = next(assignment_claims(_line("  export GUNICORN_BIND=1"), NAMES))
    assert claim.location.column == 10


def _row(cells, header=("setting", "default", "meaning")):
    return MdTableRow(tuple(cells), tuple(header), Location("README.md", 7, 1))


@pytest.mark.parametrize(("cells", "header", "expected"), [
    (("`GUNICORN_BIND`", "`0.0.0.0:8080`", "port"), ("setting", "default", "meaning"),
     [("GUNICORN_BIND", "0.0.0.0:8080")]),
    (("GUNICORN_BIND", "0.0.0.0:8080", "port"), ("setting", "default", "meaning"),
     [("GUNICORN_BIND", "0.0.0.0:8080")]),
    (("port", "`GUNICORN_BIND`", "`0.0.0.0:8080`"), ("what", "setting", "value"),
     [("GUNICORN_BIND", "0.0.0.0:8080")]),
    (("`GUNICORN_BIND`", "single port", "`0.0.0.0:8080`"), ("setting", "meaning", "預設"),
     [("GUNICORN_BIND", "0.0.0.0:8080")]),
    (("`GUNICORN_BIND`", "see below"), ("setting", "default"), []),  # prose
    (("`GUNICORN_BIND`", "—"), ("setting", "default"), []),
    (("`GUNICORN_BIND`, `GUNICORN_WORKERS`", "x"), ("vars", "meaning"), []),  # several names in a cell
])
def test_table_claims(cells, header, expected):
    doc = MarkdownDoc("README.md", table_rows=(_row(cells, header),))
    assert [(c.subject, c.value) for c in table_claims(doc, NAMES)] == expected


# --------------------------------------------------------------------------- normalisation


@pytest.mark.parametrize(("kind", "documented", "resolved", "expected"), [
    ("path", "/run/mes-dashboard/gunicorn.pid", "/run/mes-dashboard/gunicorn.pid", True),
    ("path", "./tmp/gunicorn.pid", "<checkout>/tmp/gunicorn.pid", True),
    ("path", "tmp/gunicorn.pid", "<checkout>/tmp/gunicorn.pid", True),
    ("path", "/opt/mes-dashboard/tmp/gunicorn.pid", "<checkout>/tmp/gunicorn.pid", True),
    ("path", "./tmp/gunicorn.pid", "/opt/mes-dashboard/tmp/gunicorn.pid", True),
    ("path", "/run/mes-dashboard//gunicorn.pid", "/run/mes-dashboard/gunicorn.pid", True),
    ("path", "/tmp/gunicorn.pid", "<checkout>/tmp/gunicorn.pid", False),
    ("path", "${WATCHDOG_RUNTIME_DIR}/gunicorn.pid", "/run/x/gunicorn.pid", None),
    ("path", "<runtime dir>/gunicorn.pid", "/run/x/gunicorn.pid", None),
    ("bind", "0.0.0.0:8080", "0.0.0.0:8080", True),
    ("bind", "8080", "0.0.0.0:8080", True),  # a bare port agrees with any host
    ("bind", ":8080", "0.0.0.0:8080", True),
    ("bind", "tcp://0.0.0.0:8080", "0.0.0.0:8080", True),
    ("bind", "127.0.0.1:8080", "0.0.0.0:8080", False),
    ("bind", "0.0.0.0:5000", "0.0.0.0:8080", False),
    ("bind", "${GUNICORN_BIND}", "0.0.0.0:8080", None),
    ("bool", "yes", "true", True),
    ("bool", "1", "true", True),
    ("bool", "OFF", "false", True),
    ("bool", "false", "true", False),
    ("string", " mes-dashboard ", "mes-dashboard", True),
    ("string", "mes-dash", "mes-dashboard", False),
])
def test_values_agree(kind, documented, resolved, expected):
    assert values_agree(kind, documented, resolved, ROOT) is expected


def test_split_bind():
    assert split_bind("0.0.0.0:8080") == ("0.0.0.0", "8080")
    assert split_bind("[::]:8080") == ("[::]", "8080")
    assert split_bind("8080") == ("", "8080")
    assert split_bind("unix:/run/app.sock") is None


# --------------------------------------------------------------------------- other claims


@pytest.mark.parametrize(("text", "expected"), [
    ("conda activate mes-dashboard", ["mes-dashboard"]),
    ("conda create -n mes-dashboard python=3.11 -y", ["mes-dashboard"]),
    ("conda run --no-capture-output -n mes-dashboard python x.py", ["mes-dashboard"]),
    ('conda run -n "${CONDA_ENV_NAME:-mes-dashboard}" x', []),
    ("conda activate base", []),
    ("conda env create -f environment.yml", []),
])
def test_conda_env_claims(text, expected):
    assert [c.value for c in conda_env_claims(_line(text))] == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("sudo systemctl enable --now mes-dashboard mes-dashboard-watchdog redis-server",
     ["mes-dashboard", "mes-dashboard-watchdog"]),
    ("sudo systemctl restart mes-dashboard-worker.service && echo ok", ["mes-dashboard-worker"]),
    ("journalctl -u mes-dashboard-watchdog -f", ["mes-dashboard-watchdog"]),
    ("sudo cp deploy/mes-dashboard-x.service /etc/systemd/system/", []),  # a repository path: MES805
    ("sudo rm /etc/systemd/system/mes-dashboard-old.service", ["mes-dashboard-old"]),
    ("The unit is mes-dashboard.service.", ["mes-dashboard"]),
    ("nginx.service", []),
])
def test_unit_claims(text, expected):
    assert [c.value for c in unit_claims(_line(text), "mes-dashboard")] == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("./scripts/start_server.sh start", ["start"]),
    ("bash scripts/start_server.sh logs follow", ["logs"]),
    ("RUNTIME_CONTRACT_ENFORCE=true ./scripts/start_server.sh check", ["check"]),
    ("./scripts/start_server.sh --help", []),
    ("./scripts/start_server.sh", []),
    ("my_start_server.sh start", []),
])
def test_script_claims(text, expected):
    assert [c.value for c in script_claims(_line(text), "scripts/start_server.sh")] == expected


def test_script_subcommands_prefer_the_first_argument_case():
    loc = Location("scripts/start_server.sh", 5, 1)
    script = ShellScript(
        "scripts/start_server.sh", "#!/bin/bash",
        assignments=(ShellAssignment("command", "${1:-}", loc, function="main", local=True),),
        # main gets the script's arguments; is_true and do_logs switch on their own.
        commands=(ShellCommand(("main", "${@}"), loc),), functions=(ShellFunction("main", loc),),
        case_arms=(ShellCaseArm("${1:-}", ("1|[Tt][Rr][Uu][Ee]",), loc, "is_true"),
                   ShellCaseArm("$log_type", ("access",), loc, "do_logs"),
                   ShellCaseArm("$command", ("start",), loc, "main"),
                   ShellCaseArm("$command", ("help|--help|-h",), loc, "main"),
                   ShellCaseArm("$command", ('""',), loc, "main"),
                   ShellCaseArm("$command", ("*",), loc, "main")),
        heredocs=())
    assert script_subcommands(script) == {"start", "help"}


@pytest.mark.parametrize(("text", "context", "expected"), [
    ("Open http://localhost:8080 (the port is set by GUNICORN_BIND)", "", ["8080"]),
    ("Open http://localhost:5173 for the Vite dev server", "", []),  # no port/bind context
    ("curl http://127.0.0.1:8080/health", "GUNICORN_BIND=0.0.0.0:8080", ["8080"]),
    ("lsof -i :8080", "", ["8080"]),
    ("gunicorn --bind 0.0.0.0:9000 app:app", "", ["0.0.0.0:9000"]),
    ("redis-cli -u redis://localhost:6379/0 ping  # port", "", []),
])
def test_port_claims(text, context, expected):
    assert [c.value for c in port_claims(_line(text), "GUNICORN_BIND", context)] == expected


# --------------------------------------------------------------------------- repository paths


@pytest.mark.parametrize(("doc", "target", "expected"), [
    ("README.md", "docs/x.md#part", "docs/x.md"),
    ("README.md", "./docs/runbook%20v2.md", "docs/runbook v2.md"),
    ("docs/guide.md", "../scripts/x.py", "scripts/x.py"),
    ("docs/guide.md", "ops.md?plain=1#L3", "docs/ops.md"),
    ("docs/guide.md", "/deploy/x.service", "deploy/x.service"),
    ("README.md", "#anchor", None),
    ("README.md", "https://example.com/x.md", None),
    ("README.md", "mailto:ops@example.com", None),
    ("README.md", "../outside.md", None),
    ("README.md", "docs/<name>.md", None),
])
def test_link_ref(doc, target, expected):
    assert link_ref(MarkdownDoc(doc), target) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("./scripts/start_server.sh start", ["scripts/start_server.sh"]),
    ("python scripts/worker_watchdog.py --once", ["scripts/worker_watchdog.py"]),
    (r"雙擊運行: scripts\啟動Dashboard.bat", ["scripts/啟動Dashboard.bat"]),
    ("sudo cp deploy/a.service /etc/systemd/system/", ["deploy/a.service"]),
    ("gunicorn --config=deploy/gunicorn.conf.py", ["deploy/gunicorn.conf.py"]),
    ("see docs/runbook.md.", ["docs/runbook.md"]),
    ("cat /opt/mes-dashboard/.env ~/x/y.sh https://h/x/y.md", []),
    ("tail -f logs/app.log tmp/gunicorn.pid", []),
    ("ls docs/*.md scripts/<task>.py $ROOT/scripts/x.sh ../x/y.py", []),
    ("npm --prefix frontend run build static/dist/index.html frontend/dist/x.js", []),
    ("src/mes_dashboard/ static/dist/", []),  # directories, no file extension
    ("pip install -r requirements.txt", []),  # no directory part
])
def test_code_path_refs(text, expected):
    assert [path for path, _ in code_path_refs(_line(text))] == expected


# --------------------------------------------------------------------------- mirror tokens


def test_mirror_tokens_and_section_keys():
    tokens = [t.text for t in line_tokens("sudo  systemctl restart mes-dashboard.service", Location("R", 1))]
    assert tokens == ["systemctl restart mes-dashboard.service", "mes-dashboard.service"]
    assert [t.text for t in line_tokens("./scripts/start_server.sh   check", Location("R", 1))] == [
        "scripts/start_server.sh check"]
    assert [t.text for t in line_tokens("# GUNICORN_BIND=1", Location("R", 1))] == []
    assert section_key("2. Start  Script") == section_key("start script")
    assert section_key("IV. Notes") == "notes"
