"""Rule documentation comes from docstrings; every rule has its sections, fixtures and README entry."""

from __future__ import annotations

import re

import pytest

from meslint.checks import DOC_SECTIONS, all_rules
from meslint.rule_docs import readme_with_rules, rule_doc
from tests.conftest import FIXTURES, REPO

RULES = all_rules()


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_has_every_doc_section(rule) -> None:
    sections = rule.sections()
    for title in DOC_SECTIONS:
        assert sections.get(title), f"{rule.code} lacks a non-empty '## {title}' section"
    assert re.fullmatch(r"MES\d{3}", rule.code)
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.name)
    assert rule.severity in {"error", "warning", "info"}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_has_bad_and_good_fixtures(rule) -> None:
    base = FIXTURES / rule.code
    assert any(p.is_dir() for p in base.glob("bad*")), f"fixtures/{rule.code}/bad* missing"
    assert any(p.is_dir() for p in base.glob("good*")), f"fixtures/{rule.code}/good* missing"


def test_codes_and_names_are_unique() -> None:
    assert len({r.code for r in RULES}) == len(RULES)
    assert len({r.name for r in RULES}) == len(RULES)


def test_readme_rule_table_is_current() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert readme == readme_with_rules(readme), "run: python -m meslint.rule_docs README.md"


def test_rule_command_prints_sections() -> None:
    text = rule_doc(RULES[0].code)
    assert text is not None and all(f"## {t}" in text for t in DOC_SECTIONS)
    assert rule_doc("MES999") is None


def test_a_heading_inside_an_example_fence_is_example_text() -> None:
    from meslint.checks import parse_sections

    doc = "Summary.\n\n## Example\n```markdown\n## systemd\nrun it\n```\nAfter.\n\n## Options\nNone.\n"
    sections = parse_sections(doc)
    assert sections["Example"] == "```markdown\n## systemd\nrun it\n```\nAfter."
    assert sections["Options"] == "None."


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_example_fences_are_closed(rule) -> None:
    """An example renders whole: every fence it opens, it closes, with content between."""
    lines = rule.sections()["Example"].splitlines()
    fences = [index for index, line in enumerate(lines) if re.match(r"^\s*(```|~~~)", line)]
    assert len(fences) % 2 == 0, f"{rule.code}: an unclosed fence in ## Example"
    for opener, closer in zip(fences[::2], fences[1::2], strict=True):
        assert closer > opener + 1, f"{rule.code}: an empty fence at line {opener + 1} of ## Example"


def test_rules_are_declared_typed() -> None:
    from meslint.checks import FixApplicability, Gate, Rule, Severity

    for registered in RULES:
        assert isinstance(registered.rule, Rule)
        assert isinstance(registered.rule.gate, Gate) and isinstance(registered.rule.severity, Severity)
        assert isinstance(registered.rule.fix, FixApplicability)


_SHOWN_RUN = re.compile(r"`meslint check (fixtures/\S+)` reports[^\n]*:\n```text\n(.*?)\n```", re.S)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_example_output_is_what_the_rule_reports(rule, capsys) -> None:
    """An example that shows meslint's output shows what the rule reports on that fixture today."""
    from meslint.cli import main

    for fixture, shown in _SHOWN_RUN.findall(rule.sections()["Example"]):
        code = main(["check", str(REPO / fixture), "--select", rule.code, "--output-format", "concise",
                     "--no-cache"])
        out = capsys.readouterr().out
        assert code == 1, f"{rule.code}: {fixture} reports nothing"
        # The docstring wraps long lines: compare with whitespace runs collapsed.
        wanted = " ".join(shown.split())
        assert any(" ".join(line.split()) == wanted for line in out.splitlines()), (rule.code, out)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_a_fixable_rule_says_how_it_fixes(rule) -> None:
    """``meslint rule CODE`` states whether and how the rule fixes: a rule declaring a fix says in
    ## How to fix what ``--fix`` (safe), ``--unsafe-fixes`` (unsafe) or the suggestion does."""
    how = rule.sections()["How to fix"]
    if rule.fix == "safe":
        assert "meslint check --fix" in how, f"{rule.code}: ## How to fix does not say what --fix does"
    elif rule.fix == "unsafe":
        assert "--unsafe-fixes" in how, f"{rule.code}: ## How to fix does not say what --unsafe-fixes does"
    elif rule.fix == "display-only":
        assert "suggest" in how.lower(), f"{rule.code}: ## How to fix does not describe its suggestion"
    else:
        assert "--fix" not in how and "--unsafe-fixes" not in how, f"{rule.code}: documents a fix it does not declare"
