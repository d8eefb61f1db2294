"""Property-based fuzzing of every parser and of the contract pack loader.

Each parser gets generated text (an alphabet of the characters its grammar cares
about) and mutated real inputs (the files under ``fixtures/`` and the built-in
packs, with lines and bytes inserted, deleted, duplicated, quotes, backslashes
and ``${`` sprinkled in, truncated).  Properties:

* no exception escapes a parser (the pack loader may raise only ``PackError``);
* every :class:`~meslint.facts.Location` anywhere in the facts lies inside the
  file: ``1 <= line <= lines (+1 for an end at EOF)``, columns ``>= 1``, the end
  not before the start, and the path is the parsed file's path;
* parsing is deterministic: the same input twice gives equal facts.

The example budget is modest so CI stays fast; ``MESLINT_FUZZ_EXAMPLES=5000``
runs a long campaign (see README, "Guarantees").
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meslint.discovery import classify
from meslint.facts import FileKind, Location
from meslint.pack import PackError, load_pack_text
from meslint.parsers import data, envfile, markdown, python_src, shell, systemd

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("MESLINT_FUZZ_EXAMPLES", "40"))
TRACE = os.environ.get("MESLINT_FUZZ_TRACE")

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

# --------------------------------------------------------------------------- seeds


def _seeds() -> dict[str, list[str]]:
    seeds: dict[str, list[str]] = {}
    for path in sorted((REPO / "fixtures").rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(REPO).as_posix()
        try:
            raw = path.read_bytes()
            text = raw.decode("utf-8-sig").replace("\r\n", "\n")
        except (OSError, UnicodeDecodeError):
            continue
        kind = classify(rel, raw[:8192])
        if kind is not None:
            seeds.setdefault(kind.value, []).append(text)
    seeds.setdefault(FileKind.TOML.value, []).append((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    seeds["pack"] = [p.read_text(encoding="utf-8") for p in sorted((REPO / "rules").glob("*.yaml"))]
    return {kind: sorted(set(texts)) for kind, texts in seeds.items()}


SEEDS = _seeds()

NOISE = ["'", '"', "\\", "${", "$(", "`", "}", ")", "\n", "\\\n", "=", "#", ";", "%", "[", "]", "{", ":",
         "\t", " ", "\x00", "\ufeff", "\r", "é", "\u2028", "-", "*", "|", "<<", "&&", "@", "!"]


@st.composite
def mutated(draw, kind: str) -> str:
    text = draw(st.sampled_from(SEEDS[kind]))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["insert", "delete", "dup_line", "del_line", "swap_lines", "truncate", "noise"]))
        pos = draw(st.integers(0, max(len(text), 0)))
        if op == "insert":
            text = text[:pos] + draw(st.text(max_size=8)) + text[pos:]
        elif op == "noise":
            text = text[:pos] + "".join(draw(st.lists(st.sampled_from(NOISE), min_size=1, max_size=4))) + text[pos:]
        elif op == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 40)):]
        elif op == "truncate":
            text = text[:pos]
        else:
            lines = text.split("\n")
            i = draw(st.integers(0, len(lines) - 1))
            if op == "dup_line":
                lines.insert(i, lines[i])
            elif op == "del_line":
                del lines[i]
            else:
                j = draw(st.integers(0, len(lines) - 1))
                lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return text


def generated(alphabet: str, tokens: list[str]) -> st.SearchStrategy[str]:
    piece = st.one_of(st.sampled_from(list(alphabet)), st.sampled_from(tokens), st.text(max_size=3))
    return st.lists(piece, max_size=60).map("".join)


GRAMMARS: dict[str, st.SearchStrategy[str]] = {
    "systemd-unit": generated(
        "AEK=1 '\"\\;#%\n[]$-@+!:/t", ["[Service]", "[Unit]", "Environment=", "EnvironmentFile=-", "ExecStart=",
                                    "ExecStartPre=-/bin/", "%h", "%t", "%N", "\\x4", "\\u00", "${A}", "\\\n"]),
    "env-file": generated(
        "AB= '\"\\#$:{}()`-\n;!*", ["export ", "${A:-", "$(", "$'\\x", "\\\n", "A=", "B=", "unset ", "{ ", " }",
                                  "${A:=", "${#", "<<EOF\n", "&&", "|", "case "]),
    "shell": generated(
        "AB= '\"\\#$:{}()`-\n;&|<>", ["ROOT=$(cd \"$(dirname \"${BASH_SOURCE[0]}\")/..\" && pwd)", "cd ", "source ",
                                    ". ", "case \"$1\" in\n", " ;;\n", "esac\n", "f() {\n", "}\n", "python - <<'PY'\n",
                                    "\nPY\n", "export ", "${A:-", "if [ ", " ]; then\n", "fi\n", "exec gunicorn "]),
    "python": generated(
        "abc_= ()[]'\".,:\n\t#\\{}0123", ["os.getenv(", "os.environ.get(", "os.environ[", "Path(__file__)",
                                          ".resolve().parents[", "sys.path.insert(0, ", "import os\n", "def f(",
                                          "):\n    ", "f\"", "{x}", "'/opt/x'", "class C:\n    ", "lambda: ",
                                          "int(os.getenv('P', '8'))", "env.get("]),
    "markdown": generated(
        "# `*_[]()|-\n>!~:=", ["```bash\n", "```\n", "| a | b |\n", "|---|---|\n", "## ", "[x](y.md)", "    ",
                              "<!-- meslint", "-->", "~~~", "`GUNICORN_BIND`", "\n\n", "* "]),
    "toml": generated(
        "ab=[]{}\"'.\n#,0123 ", ["[tool.meslint]\n", "\"\"\"", "'''", "[[a]]\n", "x = ", "inf", "nan",
                                  "1979-05-27", "\\u", "\\U0001", "true"]),
    "yaml": generated(
        "ab:- \n[]{}'\"#&*!|>,?%@`", ["dependencies:\n", "  - ", "name: ", "&a ", "*a", "!!python/object ",
                                     "<<: *a\n", "---\n", "...\n", "? ", "\t", "%YAML 1.1\n"]),
    "pack": generated(
        "ab:- \n[]{}'\"#&*!|>,", ["name: x\n", "settings:\n", "  - name: ", "    kind: ", "path\n", "units:\n",
                                 "role: ", "consumers:\n", "&a ", "*a", "<<: *a\n", "bogus: 1\n", "deploy_root: "]),
}

PARSERS: dict[str, Callable[[str, str], object]] = {
    "systemd-unit": systemd.parse,
    "env-file": envfile.parse,
    "shell": shell.parse,
    "python": python_src.parse,
    "markdown": markdown.parse,
    "toml": data.parse_toml,
    "yaml": data.parse_yaml,
}
PATHS = {"systemd-unit": "deploy/x.service", "env-file": ".env.example", "shell": "scripts/start_server.sh",
         "python": "src/app/gunicorn.conf.py", "markdown": "README.md", "toml": "pyproject.toml",
         "yaml": "environment.yml"}

# --------------------------------------------------------------------------- properties


def locations(value: object, seen: set[int] | None = None) -> Iterator[Location]:
    """Every Location reachable from ``value`` through dataclass fields and containers."""
    seen = set() if seen is None else seen
    if isinstance(value, Location):
        yield value
        return
    if isinstance(value, (str, bytes, int, float, bool, type(None))) or id(value) in seen:
        return
    seen.add(id(value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from locations(getattr(value, f.name), seen)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from locations(k, seen)
            yield from locations(v, seen)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from locations(item, seen)


def assert_inside(facts: object, path: str, text: str) -> None:
    lines = text.split("\n")
    count = len(lines)
    for loc in locations(facts):
        where = f"{loc!r} in a {count}-line file"
        assert loc.path == path, where
        assert 1 <= loc.line <= count and loc.column >= 1, where
        assert loc.end_line <= count + 1 and loc.end_column >= 1, where
        assert (loc.end_line, loc.end_column) >= (loc.line, loc.column), where
        assert loc.column <= len(lines[loc.line - 1]) + 1, where


def trace(text: str) -> None:
    """MESLINT_FUZZ_TRACE=FILE keeps the input being parsed: the culprit if a C extension crashes."""
    if TRACE:
        with open(TRACE, "w", encoding="utf-8", errors="surrogatepass") as handle:
            handle.write(text)


def check_parser(kind: str, text: str) -> None:
    path = PATHS[kind]
    trace(text)
    first = PARSERS[kind](path, text)
    assert_inside(first, path, text)
    assert repr(PARSERS[kind](path, text)) == repr(first)  # repr: NaN from TOML is not == itself


def check_pack(text: str) -> None:
    outcomes = []
    for _ in range(2):
        try:
            outcomes.append(repr(load_pack_text(text, "pack.yaml")))
        except PackError as exc:
            message = str(exc)
            assert message.startswith("pack.yaml"), message
            assert "\n" not in message.strip(), message
            outcomes.append(message)
    assert outcomes[0] == outcomes[1]


KINDS = sorted(PARSERS)


@pytest.mark.parametrize("kind", KINDS)
def test_parser_on_generated_text(kind: str) -> None:
    @FUZZ
    @given(text=GRAMMARS[kind])
    def run(text: str) -> None:
        check_parser(kind, text)

    run()


@pytest.mark.parametrize("kind", KINDS)
def test_parser_on_mutated_fixtures(kind: str) -> None:
    @FUZZ
    @given(text=mutated(kind))
    def run(text: str) -> None:
        check_parser(kind, text)

    run()


@FUZZ
@given(text=GRAMMARS["pack"])
def test_pack_loader_on_generated_text(text: str) -> None:
    check_pack(text)


@FUZZ
@given(text=mutated("pack"))
def test_pack_loader_on_mutated_packs(text: str) -> None:
    check_pack(text)


@pytest.mark.parametrize("kind", KINDS)
def test_every_seed_parses_cleanly_inside_bounds(kind: str) -> None:
    for text in SEEDS[kind]:
        check_parser(kind, text)
