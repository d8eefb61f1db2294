from __future__ import annotations

import pytest

from meslint.template import CHECKOUT_ROOT, Binding, evaluate, normalize_path, references


def env(**values: str) -> dict[str, Binding]:
    return {k: Binding(v, "test") for k, v in values.items()}


@pytest.mark.parametrize(
    ("template", "bindings", "expected"),
    [
        ("${A:-x}", {}, "x"),
        ("${A:-x}", {"A": ""}, "x"),
        ("${A-x}", {"A": ""}, ""),
        ("${A:+y}", {"A": "1"}, "y"),
        ("${A:+y}", {}, ""),
        ("$A/b", {"A": "/r"}, "/r/b"),
        ("${A:-${B:-@ROOT/tmp}}/pid", {}, "/opt/app/tmp/pid"),
        ("${A:-${B:-@ROOT/tmp}}/pid", {"B": "/run/x"}, "/run/x/pid"),
        ("plain text", {}, "plain text"),
        ("cost \\$5", {}, "cost $5"),
    ],
)
def test_evaluate(template, bindings, expected) -> None:
    assert evaluate(template, env(**bindings), "/opt/app").value == expected


def test_command_substitution_is_unknown_and_never_run() -> None:
    assert evaluate("$(touch /tmp/pwned)", {}, "/").value is None
    assert evaluate("`id`", {}, "/").value is None


def test_used_variables_are_recorded_in_order() -> None:
    result = evaluate("${A:-${B}}", env(B="b"), "/")
    assert [name for name, _ in result.used] == ["A", "B"]


def test_references() -> None:
    assert references("${A:-$B}/x/${C}") == ["A", "B", "C"]


@pytest.mark.parametrize(
    ("value", "base", "expected"),
    [
        ("./tmp/g.pid", "/opt/app", "/opt/app/tmp/g.pid"),
        ("/run//x/../y", "/opt", "/run/y"),
        ("tmp", CHECKOUT_ROOT, f"{CHECKOUT_ROOT}/tmp"),
        (f"{CHECKOUT_ROOT}/a/../b", "/", f"{CHECKOUT_ROOT}/b"),
    ],
)
def test_normalize_path(value, base, expected) -> None:
    assert normalize_path(value, base) == expected
