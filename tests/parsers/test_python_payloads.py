"""Payload facts (gate 4) and loop item reads (gate 3) of Python modules, and key paths through them."""

from __future__ import annotations

import textwrap

from meslint.facts import Repository
from meslint.parsers.python_src import parse
from meslint.payload_paths import PayloadIndex


def _module(path: str, source: str):
    return parse(path, textwrap.dedent(source))


def _index(*modules) -> PayloadIndex:
    return PayloadIndex(Repository(root="/r", python=tuple(modules)), ("**/*.py",))


def _present(index: PayloadIndex, route: str, dotted: str):
    module, function = next(index.routes(route))
    return index.lookup(module, function, tuple(dotted.split("."))).present


ROUTES = """
    from flask import jsonify
    from .helpers import telemetry as tele

    def _respond(payload, code):
        resp = jsonify(payload)
        return resp

    @bp.route("/a")
    def a(param):
        if param:
            return jsonify({"error": "x"}), 401
        body = {"pool": {"runtime": 1}, **tele(), "given": param}
        body["late"] = {"k": 1}
        return _respond(body, 200)
"""
HELPERS = """
    def telemetry():
        out = {"index": {}}
        return out
"""


def test_keys_through_names_stores_spreads_helpers_and_imports() -> None:
    index = _index(_module("src/pkg/routes.py", ROUTES), _module("src/pkg/helpers.py", HELPERS))
    assert _present(index, "/a", "pool.runtime") is True
    assert _present(index, "/a", "late.k") is True
    assert _present(index, "/a", "index") is True  # {**tele()} through a relative import
    assert _present(index, "/a", "pool.state") is False
    assert _present(index, "/a", "missing") is False
    assert _present(index, "/a", "given.anything") is None  # a parameter: unknown, not absent


def test_an_unreadable_helper_makes_its_keys_unknown() -> None:
    index = _index(_module("src/pkg/routes.py", ROUTES))  # helpers.py is not a payload module
    assert _present(index, "/a", "index") is None
    assert _present(index, "/a", "pool.state") is False


def test_recursion_and_self_reference_end() -> None:
    source = """
        def loop():
            return loop()

        @app.get("/r")
        def r():
            x = {"a": 1}
            x = merge(x)
            return {**loop(), "x": x}
    """
    index = _index(_module("m.py", source))
    assert _present(index, "/r", "x.a") is True
    assert _present(index, "/r", "zzz") is None  # the spread of loop() may hold it


def test_shared_subtrees_are_bounded() -> None:
    # Each level names the previous one twice: 2**40 nodes if expanded, cut by the budget.
    lines = ["def f():", "    v0 = {'k': 1}"]
    lines += [f"    v{i} = {{'a': v{i - 1}, 'b': v{i - 1}}}" for i in range(1, 41)]
    lines.append("    return v40")
    module = parse("m.py", "\n".join(lines) + "\n")

    def size(values) -> int:
        return sum(1 + sum(size(k.values) for k in v.keys) for v in values)

    assert size(module.payload_functions[0].returns) < 200_000


def test_item_reads_are_loop_variables_only() -> None:
    source = """
        def headers(entries, config):
            first = config.get("ignored")
            return [e.get("export_header") for e in entries if e["api_key"]] + [first]
    """
    module = _module("loader.py", source)
    assert [r.key for r in module.item_reads] == ["export_header", "api_key"]  # in source order


def test_payload_facts_only_for_payload_modules() -> None:
    module = parse("m.py", "def f():\n    return {'a': 1}\n", dict_keys=False)
    assert module.payload_functions == ()


def test_parameters_bind_to_the_arguments_of_the_call_followed() -> None:
    source = """
        def wrap(data, meta=None):
            body = {"success": True, "data": data, "meta": meta}
            return jsonify(body), 200

        @bp.route("/s")
        def s():
            return wrap({"inner": {"k": 1}}, meta={"m": 1})
    """
    index = _index(_module("m.py", source))
    assert _present(index, "/s", "data.inner.k") is True
    assert _present(index, "/s", "meta.m") is True
    assert _present(index, "/s", "data.other") is False


def test_lookups_in_a_call_explosion_end_unknown() -> None:
    lines = []
    for level in range(10):
        lines.append(f"def f{level}(x):")
        lines += [f"    if x == {i}:\n        return f{level + 1}(x)" for i in range(30)]
        lines.append("    return {'a': 1}")
    lines += ["@app.get('/e')", "def e():", "    return f0(1)"]
    index = _index(parse("m.py", "\n".join(lines) + "\n"))
    assert _present(index, "/e", "a") is True
    assert _present(index, "/e", "zzz") in (False, None)


def test_nested_subscript_stores_add_nested_keys() -> None:
    source = """
        @bp.route("/n")
        def n():
            out = {"a": {}}
            out["a"]["b"] = {"c": 1}
            return out
    """
    index = _index(_module("m.py", source))
    assert _present(index, "/n", "a.b.c") is True
    assert _present(index, "/n", "a.b.d") is False


def test_flask_static_folder_and_url_path() -> None:
    source = """
        import flask
        a = flask.Flask(__name__)
        b = Flask(__name__, static_folder="../web", static_url_path="/ui")
        c = Flask(__name__, static_folder=None)
        d = Flask(__name__, static_folder=FOLDER, **options)
    """
    apps = [(app.static_folder, app.static_url_path) for app in _module("pkg/app.py", source).flask_apps]
    assert apps == [("static", ""), ("../web", "/ui"), (None, ""), (None, None)]
