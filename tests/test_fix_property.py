"""A safe MES607 fix never changes what an env file's consumers read, beyond the comment.

On generated env files (side-effect-free characters only, see tests/bash_sandbox.py), every
safe fix :mod:`meslint.autofix.env_comment` offers is applied; then real bash (sandboxed, on
these generated files only), python-dotenv and meslint's systemd ``EnvironmentFile=`` reader
read the file again.  bash and python-dotenv must read exactly what they read before, and
systemd too, except that a value may lose its inline comment.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import dotenv
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from meslint import fixer
from meslint.autofix.env_comment import fix_for
from meslint.findings import Finding
from meslint.parsers.envfile import parse
from tests.bash_sandbox import BASH, run_bash
from tests.parsers.test_envfile import NAMES, effective, env_line, value_st

COMMENT = st.text(alphabet="abxy01 #=:-_/.", max_size=8)


@st.composite
def commented_line(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(NAMES))
    lead = draw(st.sampled_from(["", "  ", "export "]))
    gap = draw(st.sampled_from([" ", "   ", "\t", " \t "]))
    return f"{lead}{name}={draw(value_st)}{gap}#{draw(COMMENT)}"


env_text = st.lists(st.one_of(commented_line(), commented_line(), env_line()), min_size=1, max_size=6).map(
    lambda lines: "\n".join(lines) + "\n")


def _fixed(text: str) -> tuple[str, int]:
    """``text`` with every safe MES607 fix applied (looping as --fix does), and how many were."""
    files = {"t.env": fixer.FileText("t.env", text.encode(), False, text, text)}
    count = 0
    for _ in range(10):
        findings = []
        for assignment in parse("t.env", files["t.env"].text).assignments:
            fix = fix_for(assignment)
            if fix is not None and fix.applicability == "safe":
                findings.append(Finding("MES607", "m", assignment.location, fix=fix))
        done = fixer.apply_fixes(Path("/nonexistent"), files, findings, 1 << 20)
        if not done:
            break
        count += len(done)
    return files["t.env"].text, count


def _dotenv(text: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, ".env")
        path.write_text(text, encoding="utf-8")
        return dotenv.dotenv_values(path)


def _systemd(text: str) -> dict[str, str]:
    return effective(parse("t.env", text), "systemd")


@pytest.mark.skipif(not os.path.exists(BASH), reason="bash not installed")
@settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(text=env_text)
def test_safe_env_fix_keeps_every_reading(text: str) -> None:
    after, count = _fixed(text)
    assume(count > 0)
    ok, before_bash = run_bash(text, NAMES)
    ok_after, after_bash = run_bash(after, NAMES)
    assert ok == ok_after, f"bash syntax verdict changed: {text!r} -> {after!r}"
    assert before_bash == after_bash, f"bash reads differently: {text!r} -> {after!r}"
    assert _dotenv(text) == _dotenv(after), f"python-dotenv reads differently: {text!r} -> {after!r}"
    old, new = _systemd(text), _systemd(after)
    assert old.keys() == new.keys()
    for name, value in old.items():
        if new[name] != value:
            assert value.startswith(new[name]) and value[len(new[name]):].lstrip().startswith("#"), \
                f"systemd's {name} changed beyond its comment: {value!r} -> {new[name]!r}"
    assert _fixed(after) == (after, 0), "a second pass changes more"


def test_the_property_sees_fixes() -> None:
    """The generator reaches the fix (else the property above proves nothing)."""
    after, count = _fixed("AA=1   # note\nBB=x y # other\nCC='a # b'\n")
    # bash runs BB's "y" as a command (BB stays unset) before and after; the others read "x y".
    assert count == 2 and after == "# note\nAA=1\n# other\nBB=x y\nCC='a # b'\n"
