"""Vite configs read statically with tree-sitter: build.outDir and base, repository-relative."""

from __future__ import annotations

import pytest

from meslint.listing import FileKind
from meslint.parsers.vite_config import parse


def _data(source: str, path: str = "web/vite.config.ts") -> dict:
    doc = parse(path, source)
    assert doc.kind is FileKind.JAVASCRIPT
    return doc.data


@pytest.mark.parametrize("expression, expected", [
    ("'out'", "web/out"),
    ("`../app/static/dist`", "app/static/dist"),
    ("resolve(__dirname, '../app', 'static/dist')", "app/static/dist"),
    ("path.join(__dirname, 'build')", "web/build"),
    ("OUT", "app/dist"),
    ("(OUT as string)", "app/dist"),
    ("'/srv/www'", "/srv/www"),
    ("process.env.OUT_DIR ?? 'dist'", None),
    ("`${ROOT}/dist`", None),
])
def test_out_dir_expressions(expression: str, expected: str | None) -> None:
    source = f"const ROOT = 'x';\nconst OUT = resolve(__dirname, '..', 'app/dist');\n" \
             f"export default defineConfig({{ build: {{ outDir: {expression} }} }});\n"
    assert _data(source)["outDir"] == expected


def test_root_and_base_and_their_lines() -> None:
    source = "export default defineConfig(({ mode }) => ({\n  root: 'pages',\n  base: '/static/x/',\n" \
             "  build: {\n    outDir: '../out',\n  },\n}));\n"
    doc = parse("web/vite.config.js", source)
    assert doc.data == {"outDir": "web/out", "base": "/static/x/", "retries": [], "labels": []}
    assert dict(doc.key_lines) == {"outDir": 5, "base": 3}


def test_defaults_when_the_config_is_silent() -> None:
    data = _data("export default { plugins: [], build: {} };\n", "vite.config.mjs")
    assert data == {"outDir": "dist", "base": "/", "retries": [], "labels": []}


def test_a_syntax_error_is_a_problem_and_the_rest_is_read() -> None:
    doc = parse("web/vite.config.js", "export default { build: { outDir: 'o' } };\nconst = ;\n")
    assert doc.problems and doc.problems[0].location.line == 2
    assert doc.data["outDir"] == "web/o"


def test_self_reference_ends() -> None:
    assert _data("const A = B; const B = A;\nexport default { build: { outDir: A } };\n")["outDir"] is None
