"""How gate 8 tells history, the checkout's own name and provenance from current claims."""

from __future__ import annotations

import pytest

from meslint.dochistory import (
    DocReading,
    Markers,
    heading_is_history,
    is_developer_path,
    is_record,
    names_the_root,
    sentence_around,
    tree_root_line,
)
from meslint.doctext import DocLine, default_phrases, flag_claims, provisioning_claims
from meslint.errors import PackError
from meslint.facts import Location, MarkdownDoc, MdHeading, MdTableRow, MdText
from meslint.pack import DocsSpec, load_pack, load_pack_text

MARKERS = Markers.of(load_pack("mes-dashboard"))
NAMES = {"GUNICORN_BIND", "WATCHDOG_PID_FILE", "RUNTIME_CONTRACT_ENFORCE", "CONDA_ENV_NAME"}


@pytest.mark.parametrize(("heading", "expected"), [
    ("開發歷史", True),
    ("歷史", True),
    ("3. Changelog (2025)", True),
    ("變更紀錄：2026", True),
    ("Migration notes", True),
    ("Legacy layout", True),
    ("历史", True),
    ("Hold 歷史查詢", False),  # a feature named "history" is current
    ("Resource History", False),
    ("生產歷史分析", False),
    ("環境變數設定", False),
    ("Historyless", False),
])
def test_history_headings(heading, expected):
    assert heading_is_history(heading, MARKERS) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("舊版 DashBoard/ 子目錄已移除。", True),
    ("原本在 DashBoard_vite/scripts/ 的腳本，已遷移至 scripts/。", True),
    ("旧版 DashBoard/src 目录已弃用。", True),
    ("The DashBoard/ subtree was removed in the cutover.", True),
    ("Formerly under DashBoard/.", True),
    ("請在 DashBoard/scripts 執行啟動腳本。", False),
    ("conda activate mes-dashboard-old", False),  # a name, not the word
    ("set legacy_mode=1", False),
    ("copy old.txt away", False),
])
def test_history_sentences(text, expected):
    assert MARKERS.says_history(text) is expected


def test_the_marker_must_be_in_the_sentence_of_the_name():
    text = "舊版啟動方式已移除。請在 DashBoard/scripts 執行。"
    assert sentence_around(text, "DashBoard/scripts") == "請在 DashBoard/scripts 執行。"
    assert not MARKERS.says_history(sentence_around(text, "DashBoard/scripts"))
    assert MARKERS.says_history(sentence_around(text, "舊版啟動"))


def _doc(**facts) -> MarkdownDoc:
    return MarkdownDoc("docs/x.md", **facts)


def test_reading_judges_rows_without_their_code_values():
    rows = (MdTableRow(("`CONDA_ENV_NAME`", "`mes-dashboard-old`"), ("setting", "value"), Location("docs/x.md", 5, 1)),
            MdTableRow(("`GUNICORN_BIND`", "`0.0.0.0:5000`", "舊版設定，已移除"), ("a", "b", "c"),
                       Location("docs/x.md", 6, 1)))
    reading = DocReading.of(_doc(table_rows=rows), MARKERS)
    assert not reading.line_tells_history(5, "", ())
    assert reading.line_tells_history(6, "", ())


def test_reading_section_and_prose():
    text = (MdText("舊版 DashBoard/ 已移除", Location("docs/x.md", 3, 1)),
            MdText("請在 DashBoard/ 執行", Location("docs/x.md", 4, 1)))
    reading = DocReading.of(_doc(text=text), MARKERS)
    assert reading.line_tells_history(3, "DashBoard/", ())
    assert not reading.line_tells_history(4, "DashBoard/", ())
    assert reading.line_tells_history(4, "DashBoard/", ("MES", "開發歷史"))


@pytest.mark.parametrize(("title", "expected"), [
    ("目錄盤點報告（2025-12）", True),
    ("Migration audit", True),
    ("Real-infra stability report", True),
    ("Inventory of legacy paths", True),
    ("MES 報表系統", False),  # 報表 (reports, the product) is not 報告 (a report)
    ("Reporting pipeline", False),
])
def test_record_titles(title, expected):
    doc = _doc(headings=(MdHeading(1, title, Location("docs/x.md", 1, 1)),))
    assert is_record(doc, MARKERS) is expected


class _Repo:
    def __init__(self, *paths: str) -> None:
        self.paths = set(paths)

    def path_exists(self, path: str) -> bool:
        return path in self.paths


TREE = "DashBoard_vite/\n├── src/mes_dashboard/   # 後端\n│   └── app.py\n├── scripts/\n└── README.md"


def test_tree_root_line_names_the_checkout():
    assert tree_root_line(TREE, _Repo("src", "scripts", "README.md")) == 0


def test_tree_whose_entries_are_not_at_the_root_is_a_subtree():
    assert tree_root_line("DashBoard/\n├── web_src/\n└── run_all.sh", _Repo("src", "scripts")) is None


def test_not_a_tree():
    assert tree_root_line("cd DashBoard_vite/\n./scripts/start_server.sh", _Repo("scripts")) is None


@pytest.mark.parametrize(("sentence", "expected"), [
    ("專案主執行根目錄：DashBoard_vite/", True),
    ("Project root: DashBoard_vite/", True),
    ("项目根目录：DashBoard_vite/", True),
    ("請在 DashBoard_vite/ 下執行", False),
])
def test_root_statements(sentence, expected):
    assert names_the_root(sentence) is expected


@pytest.mark.parametrize(("word", "deploy_root", "expected"), [
    ("/Users/dev/work/DashBoard_vite/scripts/x.sh", "/opt/mes-dashboard", True),
    ("/home/dev/DashBoard/src", "/opt/mes-dashboard", True),
    ("C:\\work\\DashBoard", "/opt/mes-dashboard", True),
    ("WATCHDOG_RUNTIME_DIR=/home/dev/x/tmp", "/opt/mes-dashboard", True),
    ("/home/svc/mes-dashboard/tmp", "/home/svc/mes-dashboard", False),  # the contract's own path
    ("/opt/mes-dashboard/DashBoard", "/opt/mes-dashboard", False),
    ("DashBoard/src", "/opt/mes-dashboard", False),
])
def test_developer_paths(word, deploy_root, expected):
    assert is_developer_path(word, deploy_root) is expected


@pytest.mark.parametrize(("text", "spans", "expected"), [
    ("GUNICORN_BIND（預設 0.0.0.0:8080）：單一服務埠", ["GUNICORN_BIND", "0.0.0.0:8080"],
     [("GUNICORN_BIND", "0.0.0.0:8080")]),
    ("GUNICORN_BIND (default: 0.0.0.0:5000)", [], [("GUNICORN_BIND", "0.0.0.0:5000")]),
    ("WATCHDOG_PID_FILE 預設為 /run/x/gunicorn.pid。", [], [("WATCHDOG_PID_FILE", "/run/x/gunicorn.pid")]),
    ("CONDA_ENV_NAME 默认 mes-dashboard", [], [("CONDA_ENV_NAME", "mes-dashboard")]),
    ("RUNTIME_CONTRACT_ENFORCE：預設值為 true", [], [("RUNTIME_CONTRACT_ENFORCE", "true")]),
    ("GUNICORN_BIND defaults to the deploy root", [], []),  # prose, not a value
    ("GUNICORN_BIND 可覆寫，REDIS_URL 預設 redis://x", [], []),  # another setting's default
    ("WATCHDOG_PID_FILE 預設為空", [], []),
    ("APP_DEFAULT_PORT 與 GUNICORN_BIND", [], []),
])
def test_default_phrases(text, spans, expected):
    assert list(default_phrases(text, spans, NAMES)) == expected


def test_flag_claims_only_in_fences():
    flags = {"--pid": "WATCHDOG_PID_FILE"}
    line = DocLine("gunicorn --bind 0.0.0.0:8080 --pid /run/x.pid app:app", Location("README.md", 4, 1), (), "block")
    assert [(c.subject, c.value, c.location.column) for c in flag_claims(line, flags, "gunicorn")] == [
        ("WATCHDOG_PID_FILE", "/run/x.pid", 36)]
    prose = DocLine(line.text, line.location, (), "text")
    assert list(flag_claims(prose, flags, "gunicorn")) == []
    other = DocLine("docker run --pid host app", Location("README.md", 5, 1), (), "block")
    assert list(flag_claims(other, flags, "gunicorn")) == []  # another program's --pid


def test_markers_have_defaults_and_an_empty_marker_is_rejected():
    docs = DocsSpec()
    assert "已移除" in docs.history_markers and "弃用" in docs.history_markers
    assert "開發歷史" in docs.history_headings and "盤點" in docs.record_titles
    base = _minimal_pack()
    assert load_pack_text(base + "  history_markers: [舊版]\n", "p.yaml").docs.history_markers == ("舊版",)
    with pytest.raises(PackError, match="history_markers"):
        load_pack_text(base + "  history_markers: ['  ']\n", "p.yaml")


def _minimal_pack() -> str:
    return ("name: x\ndeploy_root: /opt/x\nenv_file: {deployed: /opt/x/.env, template: .env.example}\n"
            "conda: {env_name: x, bin: /opt/conda/bin/conda}\nsettings: []\ndocs:\n  readme: README.md\n")


@pytest.mark.parametrize(("text", "expected"), [
    ("sudo cp .env /etc/mes/app.env", [("@env-file", "/etc/mes/app.env")]),
    ("sudo chmod 640 /opt/mes-dashboard/.env", [("@env-file", "/opt/mes-dashboard/.env")]),
    ("sudo chown root:www-data .env", [("@env-file", ".env")]),
    ("cp .env.example .env", []),  # a local copy in the checkout: not a host step
    ("sudo install -m 640 .env /opt/x/.env", [("@env-file", "/opt/x/.env")]),
    ("sudo install -d -m 750 /etc/mes", []),
    ("sudo cp deploy/x-worker.service /etc/systemd/system/", [("@unit-file", "deploy/x-worker.service")]),
    ("sudo cp deploy/*.service /etc/systemd/system/", []),  # a glob names no one file
    ("cp README.md /tmp/", []),
])
def test_provisioning_claims(text, expected):
    line = DocLine(text, Location("README.md", 9, 1), (), "block")
    assert [(c.subject, c.value) for c in provisioning_claims(line)] == expected


def test_marker_pattern_puts_the_word_boundary_after_the_marker():
    """The literal-first pattern (fast) finds a marker exactly where the lookbehind-first one does."""
    import itertools
    import re

    from meslint.dochistory import _marker_pattern

    markers = ("old", "no longer", "before/after", "舊版")
    spec = re.compile("|".join(
        r"(?<![a-z0-9_\-./])" + re.escape(m) + r"(?![a-z0-9_\-/]|\.\w)" if m.isascii() else re.escape(m)
        for m in markers))
    pieces = ["old", "no longer", "before/after", "舊版", "x", "-", ".", "/", "_", " ", "0", ".t", "。"]
    texts = ["".join(parts) for n in (1, 2, 3) for parts in itertools.product(pieces, repeat=n)]
    found = 0
    for text in texts:
        expected = spec.search(text) is not None
        assert (_marker_pattern(markers).search(text) is not None) is expected, text
        found += expected
    assert 0 < found < len(texts)
