"""Resource bounds of the env-file readers and the template module on hostile input
(issue 12): memory within a small constant of the input, time linear in it, and one
absurdly nested line reported without losing the rest of the file."""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable
from functools import partial

import pytest

from meslint.parsers.envfile import bash, parse, python_dotenv, systemd
from meslint.template import Binding, decode_ansi_c, evaluate, literal, matching_brace, unescape

MIB = 1 << 20
READERS: dict[str, Callable[[str], object]] = {
    "systemd": systemd.read,
    "bash": bash.read,
    "dotenv": python_dotenv.read,
    "all three, merged": lambda text: parse("big.env", text),
}


def _value_file(shape: str, size: int) -> str:
    """An env file with one value of about ``size`` characters."""
    if shape == "plain":
        return "BIG=" + "a" * size + "\n"
    if shape == "single-quoted":
        return "BIG='" + "a b " * (size // 4) + "'\n"
    if shape == "double-quoted with escapes":
        return 'BIG="' + ("word " * 12 + "\\$x ") * (size // 64) + '"\n'
    if shape == "default of an expansion":
        return "BIG=${UNSET:-" + "a" * size + "}\n"
    raise AssertionError(shape)


SHAPES = ("plain", "single-quoted", "double-quoted with escapes", "default of an expansion")


def _peak(fn: Callable[[str], object], text: str) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        fn(text)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("reader", READERS)
def test_memory_is_a_small_multiple_of_a_1mib_value(reader: str, shape: str) -> None:
    # The bash reader used to hold a part object per character: ~110 bytes a byte.
    text = _value_file(shape, MIB)
    peak = _peak(READERS[reader], text)
    assert peak <= 10 * len(text), f"{reader}/{shape}: peak {peak / len(text):.1f} bytes per input byte"


def _best_time(fn: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


FLOOR = 0.05  # seconds: shorter runs are timer and cache noise


def assert_linear(make: Callable[[int], object], run: Callable[[object], object], n: int, cap: int = 1 << 22) -> None:
    """Doubling the input costs at most 2.5x the time.

    ``n`` grows until one run takes :data:`FLOOR` (or reaches ``cap``: a run that
    fast on megabytes cannot hide a quadratic term, and then the doubled input must
    stay under 2.5x the floor).  Inputs are built outside the timing; best of three
    per size and two retries, because the machine may be busy.
    """
    data = make(n)
    while n < cap and _best_time(partial(run, data), repeat=1) < FLOOR:
        n *= 2
        data = make(n)
    double = make(2 * n)
    for _attempt in range(3):
        small = max(_best_time(partial(run, data)), FLOOR)
        large = _best_time(partial(run, double))
        if large <= 2.5 * small:
            return
    raise AssertionError(f"2x input took {large / small:.2f}x the time ({small:.3f}s -> {large:.3f}s, n={n})")


def _mixed_lines(count: int) -> str:
    """``count`` lines of the forms every reader handles (one per line kind)."""
    kinds = (
        "PLAIN_{i}=value{i}\n",
        "export QUOTED_{i}=\"a $PLAIN_{i} \\$b\"\n",
        "SINGLE_{i}='x y'  # note\n",
        "DEFAULT_{i}=${{MISSING:-${{PLAIN_{i}}}/sub}}\n",
        "# comment {i}\n",
    )
    return "".join(kinds[i % len(kinds)].format(i=i) for i in range(count))


@pytest.mark.parametrize("reader", READERS)
def test_time_is_linear_in_the_number_of_lines(reader: str) -> None:
    assert_linear(_mixed_lines, READERS[reader], 500)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("reader", ["systemd", "bash", "dotenv"])  # merging is covered by the line test
def test_time_is_linear_in_the_length_of_a_value(reader: str, shape: str) -> None:
    assert_linear(lambda n: _value_file(shape, n), READERS[reader], 64 * 1024)


TEMPLATE_INPUTS: dict[str, Callable[[int], str]] = {
    "evaluate": lambda n: "${A:-x}/" * n + literal("a}b$c") * n,
    "evaluate nested defaults": lambda n: "${B:-" * 20 + "x\\}" * n + "}" * 20,
    "matching_brace": lambda n: "${A:-" + "a\\}${B}" * n + "}",
    "unescape": lambda n: "a\\ b\\$" * n,
    "decode_ansi_c": lambda n: "a\\x41\\n\\u00e9b" * n,
}
TEMPLATE_OPERATIONS: dict[str, Callable[[str], object]] = {
    "evaluate": lambda text: evaluate(text, {"A": Binding("v", "t")}, "/r"),
    "evaluate nested defaults": lambda text: evaluate(text, {}, "/r"),
    "matching_brace": lambda text: matching_brace(text, 1),
    "unescape": lambda text: unescape(text, None),
    "decode_ansi_c": decode_ansi_c,
}


@pytest.mark.parametrize("operation", TEMPLATE_OPERATIONS)
def test_template_module_is_linear(operation: str) -> None:
    assert_linear(TEMPLATE_INPUTS[operation], TEMPLATE_OPERATIONS[operation], 1000)


def test_one_absurdly_nested_line_is_a_problem_and_the_rest_is_read() -> None:
    deep = "${X:-" * 5000 + "x" + "}" * 5000
    text = f"A=1\nexport DEEP={deep}\nB=2\nC=\"$A$B\"\n"
    env = parse("deep.env", text)
    assert {a.name: a.bash for a in env.assignments if a.name != "DEEP"} == {"A": "1", "B": "2", "C": "12"}
    bash_problems = [p for p in env.problems if p.message.startswith("bash:")]
    assert [(p.location.line, p.location.column) for p in bash_problems] == [(2, 1)]
    assert "nested more than" in bash_problems[0].message
    assert not [p for p in env.problems if "internal error" in p.message]
