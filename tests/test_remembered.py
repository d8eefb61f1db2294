"""Remembered evaluations (template.Remembered) give exactly what a fresh evaluation gives.

Resolution shares evaluations between the configured and the what-if runtimes: a remembered
result stands for every environment whose lookups find the same values.  These tests evaluate the
same templates in changing environments and compare with :func:`template.evaluate` each time.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from meslint.argv import analyze
from meslint.facts import ROOT_TOKEN
from meslint.resolve_script import command_info
from meslint.template import Binding, Remembered, evaluate, evaluate_remembered

_NAMES = ("A", "B", "C")
_VALUES = (None, "", "x", "/srv/y", "$B")


def _template() -> st.SearchStrategy[str]:
    leaf = st.sampled_from(["plain", "/p", ROOT_TOKEN, "$A", "${B}", "`cmd`", "\\$A", "$(x)"])

    def braced(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.tuples(st.sampled_from(_NAMES), st.sampled_from([":-", "-", ":+", "+", ":=", ""]),
                         inner).map(lambda t: "${" + t[0] + (t[1] + t[2] if t[1] else "") + "}")

    return st.lists(st.recursive(leaf, braced, max_leaves=6), min_size=1, max_size=4).map("".join)


def _env(values: tuple[str | None, ...], origin: str) -> dict[str, Binding]:
    return {name: Binding(value, origin) for name, value in zip(_NAMES, values, strict=True) if value is not None}


_ENVS = st.lists(st.tuples(*[st.sampled_from(_VALUES)] * 3), min_size=1, max_size=6)


@settings(max_examples=300, deadline=None)
@given(_template(), _ENVS)
def test_remembered_evaluation_equals_a_fresh_one(template: str, envs: list) -> None:
    for index, values in enumerate(envs):
        env = _env(values, f"env {index}")  # the same values from another origin: used names this env's
        for root in ("/opt/app", "<checkout>"):
            fresh = evaluate(template, env, root)
            remembered = evaluate_remembered(template, env, root)
            assert remembered.value == fresh.value
            assert [(name, binding) for name, binding in remembered.used] == fresh.used
            assert all(b is env.get(n) for n, b in remembered.used)


@settings(max_examples=200, deadline=None)
@given(st.lists(_template(), min_size=1, max_size=4), _ENVS)
def test_remembered_command_equals_a_fresh_analysis(words: list[str], envs: list) -> None:
    argv = ("gunicorn", *words)
    for values in envs:
        env = _env(values, "e")
        expected = analyze(tuple(v if (v := evaluate(w, env, "<checkout>").value) is not None else w for w in argv))
        assert command_info(argv, env) == expected


def test_a_remembered_result_is_found_only_where_every_lookup_agrees() -> None:
    memo = Remembered()
    used = [("A", Binding("1", "a")), ("B", None)]
    memo.keep("k", used, "result")
    assert memo.find("k", {"A": Binding("1", "elsewhere")}) == ("result", [("A", Binding("1", "elsewhere")),
                                                                          ("B", None)])
    assert memo.find("k", {"A": Binding("2", "a")}) is None  # another value
    assert memo.find("k", {"A": Binding("1", "a"), "B": Binding("", "b")}) is None  # set, though empty
    assert memo.find("k", {}) is None  # A unset
    memo.keep("plain", [], "constant")
    assert memo.find("plain", {"A": Binding("9", "z")}) == ("constant", [])
