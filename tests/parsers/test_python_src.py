"""Tests for meslint.parsers.python_src (ast -> PythonModule facts)."""

from __future__ import annotations

import time
from textwrap import dedent

import pytest

from meslint.facts import EnvRead, PythonModule
from meslint.parsers.python_src import parse


def _parse(text: str, path: str = "app/settings.py", line_offset: int = 0) -> PythonModule:
    return parse(path, dedent(text).lstrip("\n"), line_offset=line_offset)


def _read(module: PythonModule, name: str) -> EnvRead:
    found = [r for r in module.env_reads if r.name == name]
    assert len(found) == 1, f"expected one read of {name}: {module.env_reads}"
    return found[0]


def _const(module: PythonModule, name: str):
    found = [c for c in module.constants if c.name == name]
    assert found, f"no constant {name}: {[c.name for c in module.constants]}"
    return found[-1].value


# --------------------------------------------------------------------------- env read forms


def test_getenv_forms_and_defaults() -> None:
    module = _parse(
        """
        import os
        from os import getenv
        import os as operating

        A = os.getenv("APP_A")
        B = os.getenv("APP_B", "fallback")
        C = getenv("APP_C", 42)
        D = operating.getenv("APP_D", default="x.log")
        E = os.getenv("APP_E", None)
        """
    )
    assert _read(module, "APP_A").default is None
    assert _read(module, "APP_B").default == "fallback"
    assert _read(module, "APP_C").default == "42"
    assert _read(module, "APP_D").default == "x.log"
    assert _read(module, "APP_E").default is None
    assert {r.via for r in module.env_reads} == {"os.getenv"}
    assert all(r.function is None for r in module.env_reads)


def test_environ_get_subscript_and_from_import() -> None:
    module = _parse(
        """
        import os
        from os import environ

        def load():
            host = os.environ.get("DB_HOST", "localhost")
            port = os.environ["DB_PORT"]
            user = environ.get("DB_USER")
            os.environ["DB_WRITTEN"] = "1"
            return host, port, user
        """
    )
    assert (_read(module, "DB_HOST").default, _read(module, "DB_HOST").via) == ("localhost", "os.environ.get")
    assert (_read(module, "DB_PORT").default, _read(module, "DB_PORT").via) == (None, "os.environ[]")
    assert _read(module, "DB_USER").via == "os.environ.get"
    assert not [r for r in module.env_reads if r.name == "DB_WRITTEN"]  # a store is not a read
    assert _read(module, "DB_HOST").function == "load"


def test_mapping_bound_to_environ() -> None:
    module = _parse(
        """
        import os
        from typing import Mapping

        def from_or(environ=None):
            env = environ or os.environ
            return env.get("OR_FORM", "1"), env["OR_SUB"]

        def from_ifexp(source=None):
            values = os.environ if source is None else source
            return values.get("IFEXP_FORM")

        def typed(environment: Mapping[str, str]):
            return environment.get("TYPED_FORM", "t")

        def untyped(env):
            return env.get("NOT_A_READ")

        def alias():
            e = os.environ
            e = {}
            return e.get("REBOUND")
        """
    )
    assert _read(module, "OR_FORM").via == "mapping.get"
    assert _read(module, "OR_SUB").via == "mapping[]"
    assert _read(module, "IFEXP_FORM").function == "from_ifexp"
    assert _read(module, "TYPED_FORM").default == "t"
    names = {r.name for r in module.env_reads}
    assert "NOT_A_READ" not in names and "REBOUND" not in names


def test_module_level_environ_alias_seen_from_functions() -> None:
    module = _parse(
        """
        import os
        ENV = os.environ

        class Settings:
            def mode(self):
                return ENV.get("MODE", "prod")
        """
    )
    read = _read(module, "MODE")
    assert read.via == "mapping.get" and read.function == "Settings.mode"


def test_env_name_from_constant() -> None:
    module = _parse(
        """
        import os
        FLAG_VAR = "FEATURE_FLAG"
        value = os.getenv(FLAG_VAR, "off")
        """
    )
    assert _read(module, "FEATURE_FLAG").default == "off"


def test_or_fallback_becomes_the_default() -> None:
    module = _parse(
        """
        import os
        level = (os.getenv("LOG_LEVEL") or "info").lower()
        spool = os.environ.get("SPOOL", "") or "/var/spool/app"
        kept = os.getenv("KEEP", "x") or "y"
        """
    )
    assert _read(module, "LOG_LEVEL").default == "info"
    assert _read(module, "SPOOL").default == "/var/spool/app"
    assert _read(module, "KEEP").default == "x"


def test_nested_env_default_and_unresolvable_default() -> None:
    module = _parse(
        """
        import os
        home = os.getenv("PRIMARY", os.getenv("SECONDARY", "/srv"))
        odd = os.getenv("ODD", compute())
        """
    )
    assert _read(module, "PRIMARY").default == "${SECONDARY:-/srv}"
    assert _read(module, "SECONDARY").default == "/srv"
    assert _read(module, "ODD").default is None  # never invented


def test_helper_with_environ_and_wrapper_function() -> None:
    module = _parse(
        """
        import os
        from flags import read_flag

        def _int_setting(name: str, default: int) -> int:
            return int(os.getenv(name, str(default)))

        RETRIES = _int_setting("HTTP_RETRIES", 3)

        def configure(env=None):
            env = env or os.environ
            return read_flag("STRICT_MODE", default=True, environ=env), _int_setting("POOL", default=8)
        """
    )
    strict = _read(module, "STRICT_MODE")
    assert (strict.via, strict.default, strict.function) == ("helper", "True", "configure")
    retries = _read(module, "HTTP_RETRIES")
    assert (retries.via, retries.default, retries.function) == ("helper", "3", None)
    assert _read(module, "POOL").default == "8"
    assert len(module.env_reads) == 3  # the wrapper's own getenv(name) has no static name


def test_int_base_is_not_a_resolver() -> None:
    module = _parse(
        """
        import os
        mask = int(os.environ.get("UMASK"), 8)
        """
    )
    assert _read(module, "UMASK").via == "os.environ.get"
    assert _read(module, "UMASK").default is None


# --------------------------------------------------------------------------- resolver chains


RESOLVER_MODULE = """
import os
from pathlib import Path

FALLBACK_HOME = Path(__file__).resolve().parents[2]


def _pick(value, default: Path, base: Path) -> Path:
    if not value:
        return default
    return base / value


def settings(environ=None, *, home=None):
    env = environ or os.environ
    base = Path(home or env.get("SVC_HOME", FALLBACK_HOME)).resolve()
    state = _pick(env.get("SVC_STATE_DIR"), base / "var" / "state", base)
    lock = _pick(env.get("SVC_LOCK"), state / "svc.lock", base)
    sock = _pick(env.get("SVC_SOCKET"), os.path.join(str(state), "sock", "svc.sock"), base)
    return {"lock": str(lock), "sock": str(sock)}
"""


def test_resolver_chain_templates() -> None:
    module = parse("lib/svc/conf.py", RESOLVER_MODULE)
    assert _read(module, "SVC_HOME").default == "@ROOT"
    state = _read(module, "SVC_STATE_DIR")
    assert (state.via, state.default) == ("resolver", "${SVC_HOME:-@ROOT}/var/state")
    lock = _read(module, "SVC_LOCK")
    assert lock.via == "resolver"
    assert lock.default == "${SVC_STATE_DIR:-${SVC_HOME:-@ROOT}/var/state}/svc.lock"
    assert _read(module, "SVC_SOCKET").default == "${SVC_STATE_DIR:-${SVC_HOME:-@ROOT}/var/state}/sock/svc.sock"
    assert len(module.env_reads) == 4  # one read per site: the resolver replaces the plain .get
    assert lock.function == "settings"
    assert lock.location.line == 18 and lock.location.column == 18


def test_resolver_needs_a_path_fallback() -> None:
    module = _parse(
        """
        import os
        def f(env=None):
            env = env or os.environ
            return choose(env.get("COLOR"), "blue")
        """
    )
    assert _read(module, "COLOR").via == "mapping.get"


# --------------------------------------------------------------------------- templates


def test_template_forms() -> None:
    module = _parse(
        """
        import os
        from pathlib import Path
        ROOT = Path(__file__).resolve().parent.parent
        DATA = ROOT / "data"
        LOGS = os.path.join(str(DATA), "logs", "app.log")
        URL = f"http://{os.getenv('API_HOST', 'localhost')}:{8000}/v1"
        PRICE = "cost $5"
        PLAIN = "a" + "/b"
        NUMBER = 1 + 2
        CONFIG = Path(os.getenv("CONF_DIR", "/etc/app")) / "app.conf"
        ABSOLUTE = DATA / "/tmp/x"
        UPWARD = DATA / ".." / "other"
        UNKNOWN = DATA / compute()
        """,
        path="svc/app/settings.py",
    )
    assert _const(module, "ROOT") == "@ROOT/svc"
    assert _const(module, "DATA") == "@ROOT/svc/data"
    assert _const(module, "LOGS") == "@ROOT/svc/data/logs/app.log"
    assert _const(module, "URL") == "http://${API_HOST:-localhost}:8000/v1"
    assert _const(module, "PRICE") == "cost $5"  # a literal constant stays a literal
    assert _const(module, "PLAIN") == "a/b"
    assert _const(module, "CONFIG") == "${CONF_DIR:-/etc/app}/app.conf"
    assert _const(module, "ABSOLUTE") == "/tmp/x"
    assert _const(module, "UPWARD") == "@ROOT/svc/other"
    names = {c.name for c in module.constants}
    assert "NUMBER" not in names and "UNKNOWN" not in names


def test_literal_dollar_is_escaped_in_templates() -> None:
    module = _parse(
        """
        import os
        price = os.getenv("PRICE", "$5")
        """
    )
    assert _read(module, "PRICE").default == "\\$5"


def test_locals_resolve_only_when_assigned_earlier() -> None:
    module = _parse(
        """
        import os
        def f():
            out = os.getenv("EARLY", base)
            base = "/opt/app"
            spool = base + "/spool"
            base = "/changed"
            return os.getenv("LATE", spool)
        """
    )
    assert _read(module, "EARLY").default is None
    assert _read(module, "LATE").default == "/opt/app/spool"


def test_function_sees_constants_defined_after_it() -> None:
    module = _parse(
        """
        import os
        def cache_dir():
            return os.getenv("CACHE_DIR", DEFAULT_CACHE)
        DEFAULT_CACHE = "/var/cache/app"
        """
    )
    assert _read(module, "CACHE_DIR").default == "/var/cache/app"


def test_parameter_shadows_module_constant() -> None:
    module = _parse(
        """
        import os
        TARGET = "/srv"
        def f(TARGET):
            return os.getenv("DEST", TARGET)
        """
    )
    assert _read(module, "DEST").default is None


# --------------------------------------------------------------------------- constants and anchors


def test_module_constants_literals_and_templates() -> None:
    module = _parse(
        """
        import os
        VERSION = "1.2"
        workers = int(os.getenv("WORKERS", "2"))
        timeout: int = 30
        RATIO = 0.5
        DEBUG = False
        A = B = "same"
        pair = ("x", "y")
        def f():
            LOCAL = "not module level"
        """
    )
    assert _const(module, "VERSION") == "1.2"
    assert _const(module, "workers") == "${WORKERS:-2}"
    assert _const(module, "timeout") == 30
    assert _const(module, "RATIO") == 0.5
    assert _const(module, "DEBUG") is False
    assert _const(module, "A") == "same" and _const(module, "B") == "same"
    names = {c.name for c in module.constants}
    assert "pair" not in names and "LOCAL" not in names


@pytest.mark.parametrize(
    ("path", "expr", "levels", "value"),
    [
        ("src/pkg/core/mod.py", "Path(__file__).resolve().parents[3]", 4, "@ROOT"),
        ("src/pkg/core/mod.py", "Path(__file__).resolve().parents[2]", 3, "@ROOT/src"),
        ("src/pkg/core/mod.py", "Path(__file__).parent", 1, "@ROOT/src/pkg/core"),
        ("scripts/w.py", "Path(__file__).resolve().parents[1]", 2, "@ROOT"),
        ("scripts/w.py", "Path(__file__).absolute().parent.parent", 2, "@ROOT"),
        ("tools/x/y.py", "os.path.dirname(os.path.abspath(__file__))", 1, "@ROOT/tools/x"),
        ("tools/x/y.py", "os.path.dirname(os.path.dirname(os.path.realpath(__file__)))", 2, "@ROOT/tools"),
        ("tools/x/y.py", "os.path.join(os.path.dirname(__file__), '..', '..')", 3, "@ROOT"),
        ("top.py", "Path(__file__).parents[1]", 2, "@ROOT/.."),
    ],
)
def test_root_anchors(path: str, expr: str, levels: int, value: str) -> None:
    module = parse(path, f"import os\nfrom pathlib import Path\nHERE = {expr}\n")
    assert [(a.name, a.levels, a.value) for a in module.root_anchors] == [("HERE", levels, value)]
    assert module.root_anchors[0].location.line == 3
    assert _const(module, "HERE") == value


def test_function_level_anchor() -> None:
    module = _parse(
        """
        from pathlib import Path
        def main():
            repo = Path(__file__).resolve().parents[1]
            return repo
        """,
        path="bin/tool.py",
    )
    assert [(a.name, a.value) for a in module.root_anchors] == [("repo", "@ROOT")]
    assert module.constants == ()


# --------------------------------------------------------------------------- sys.path, strings, dict keys


def test_sys_path_edits() -> None:
    module = _parse(
        """
        import sys
        from pathlib import Path
        BASE = Path(__file__).resolve().parents[1]
        SRC = BASE / "src"
        if str(SRC) not in sys.path:
            sys.path.insert(0, str(SRC))
        sys.path.append(str(BASE / "vendor"))
        sys.path.extend([str(BASE / "a"), "/opt/b"])
        sys.path.append(find_plugins())
        """,
        path="bin/run.py",
    )
    edits = [(e.op, e.value) for e in module.sys_path_edits]
    assert edits[:4] == [
        ("insert", "@ROOT/src"),
        ("append", "@ROOT/vendor"),
        ("extend", "@ROOT/a"),
        ("extend", "/opt/b"),
    ]
    assert edits[4][0] == "append" and edits[4][1].startswith("$(")  # unknown: evaluates to None


def test_string_literals() -> None:
    module = _parse(
        '''
        """Module docstring with a /path/in/it.py that is not a literal."""
        def f():
            """Docstring /also/skipped."""
            a = "deploy/app.service"
            b = "gunicorn.pid"
            c = "plain words"
            d = "MyDashBoard"
            e = "x" * 2
            return "/" + "y" * 400
        '''
    )
    values = [s.value for s in module.strings]
    assert values == ["deploy/app.service", "gunicorn.pid", "MyDashBoard", "/"]
    assert all(s.function == "f" for s in module.strings)


def test_dict_keys() -> None:
    module = _parse(
        """
        import os
        def payload(state):
            data = {"status": "ok", "nested": {"inner": 1}, **state}
            data["extra"] = True
            env = os.environ.copy()
            env["CHILD_ONLY"] = "1"
            return dict(data, summary=1)
        TOP = {"top": 1}
        """
    )
    keys = [(k.key, k.function) for k in module.dict_keys]
    assert keys == [
        ("status", "payload"),
        ("nested", "payload"),
        ("inner", "payload"),
        ("extra", "payload"),
        ("summary", "payload"),
        ("top", None),
    ]
    assert module.dict_keys[0].location.line == 3 and module.dict_keys[0].location.column == 13


# --------------------------------------------------------------------------- positions and problems


def test_line_offset_applies_to_every_fact() -> None:
    module = _parse(
        """
        import os, sys
        V = os.getenv("EMBEDDED", "/x.log")
        sys.path.insert(0, "/opt/lib")
        """,
        path="deploy/start.sh",
        line_offset=40,
    )
    assert module.line_offset == 40
    assert _read(module, "EMBEDDED").location.line == 42
    assert module.constants[0].location.line == 42
    assert module.sys_path_edits[0].location.line == 43
    assert module.strings[0].location.line == 42


def test_multibyte_columns_count_characters() -> None:
    module = parse("m.py", 'import os\nnote = "é✓"; v = os.getenv("ZÜRICH", "ö/ü.log")\n')
    read = _read(module, "ZÜRICH")
    line = 'note = "é✓"; v = os.getenv("ZÜRICH", "ö/ü.log")'
    assert read.location.column == line.index("os.getenv") + 1
    assert read.location.end_column == len(line) + 1
    literal = module.strings[0]
    assert literal.location.column == line.index('"ö') + 1


def test_syntax_error_is_a_problem_not_an_exception() -> None:
    module = parse("bad.py", "import os\nVALUE = os.getenv('X', '1'\n", line_offset=5)
    assert module.env_reads == ()
    (problem,) = module.problems
    assert problem.location.path == "bad.py"
    assert problem.location.line == 7
    assert "syntax" in problem.message.lower()


def test_null_bytes_are_a_problem() -> None:
    module = parse("nul.py", "x = 1\0\n")
    assert len(module.problems) == 1 and module.env_reads == ()


def test_deterministic_and_fast() -> None:
    text = RESOLVER_MODULE * 1
    first = parse("lib/svc/conf.py", text)
    assert all(parse("lib/svc/conf.py", text) == first for _ in range(3))
    big = "import os\n" + "".join(f"V{i} = os.getenv('N{i}', 'd/{i}.log')\n" for i in range(2000))
    start = time.perf_counter()
    module = parse("big.py", big)
    assert len(module.env_reads) == 2000
    assert time.perf_counter() - start < 2.0


# --------------------------------------------------------------------------- found by tests/fuzz


def test_lone_carriage_return_does_not_shift_lines() -> None:
    # ast breaks lines at a lone \r; positions are reported in \n lines.
    module = parse("g.py", 'import os\rX = os.getenv("A", "1")\nY = os.getenv("B")\n')
    assert [(r.name, r.location.line, r.location.column) for r in module.env_reads] == [("A", 1, 15), ("B", 2, 5)]
    broken = parse("g.py", 'x = 1\r"')
    assert [(p.location.line, p.location.column) for p in broken.problems] == [(1, 7)]
