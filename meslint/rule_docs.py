"""Rule documentation, made from the rule modules' docstrings."""

from __future__ import annotations

import json
import os

from meslint.checks import DOC_SECTIONS, all_rules, rule_by_code

# Project-URL labels of the installed package's metadata that can host the README's rule table.
_URL_LABELS = ("documentation", "docs", "repository", "source", "homepage", "home")


def home_url() -> str | None:
    """Where meslint is published: MESLINT_DOCS_URL, else the installed package's metadata
    (Project-URL Documentation/Repository/Homepage, or Home-page); ``None`` when neither says --
    SARIF then names no URL rather than a made-up one."""
    configured = os.environ.get("MESLINT_DOCS_URL", "").strip()
    if configured:
        return configured
    from importlib import metadata

    try:
        meta = metadata.metadata("meslint")
    except metadata.PackageNotFoundError:
        return None
    urls = {}
    for entry in meta.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        urls[label.strip().lower()] = url.strip()
    for label in _URL_LABELS:
        if urls.get(label, "").startswith("https://"):
            return urls[label]
    home = ((meta.get_all("Home-page") or [""])[0]).strip()
    return home if home.startswith("https://") else None


def rules_url() -> str | None:
    """helpUri of every rule in SARIF output: the rule table of the README (made from the docstrings)."""
    home = home_url()
    return f"{home.split('#', 1)[0]}#rules" if home else None


def rule_doc(code: str, output_format: str = "text") -> str | None:
    rule = rule_by_code(code)
    if rule is None:
        return None
    if output_format == "json":
        return json.dumps({
            "code": rule.code, "name": rule.name, "gate": rule.gate, "severity": rule.severity,
            "fix": rule.fix, "summary": rule.summary, "sections": rule.sections(),
        }, indent=2, ensure_ascii=False)
    sections = rule.sections()
    autofix = "none (fix by hand, as below)" if rule.fix == "none" else rule.fix
    parts = [f"# {rule.name} ({rule.code})", "",
             f"Gate: {rule.gate}. Default severity: {rule.severity}. Autofix: {autofix}.", "", rule.summary, ""]
    for title in DOC_SECTIONS:
        parts += [f"## {title}", "", sections.get(title, ""), ""]
    return "\n".join(parts).rstrip() + "\n"


def rules_table(markdown: bool = False, output_format: str = "text") -> str:
    rows = [(r.code, r.name, r.gate, r.severity, r.summary) for r in all_rules()]
    if output_format == "json":
        return json.dumps([{"code": c, "name": n, "gate": g, "severity": s, "summary": m}
                           for c, n, g, s, m in rows], indent=2, ensure_ascii=False)
    if markdown:
        lines = ["| code | name | gate | severity | what it finds |", "|---|---|---|---|---|"]
        lines += [f"| {c} | `{n}` | {g} | {s} | {m} |" for c, n, g, s, m in rows]
        return "\n".join(lines)
    width = max((len(n) for _, n, _, _, _ in rows), default=4)
    return "\n".join(f"{c}  {n.ljust(width)}  gate {g}  {s.ljust(7)}  {m}" for c, n, g, s, m in rows)


README_START = "<!-- rules-table:start -->"
README_END = "<!-- rules-table:end -->"


def readme_with_rules(readme: str) -> str:
    """README text with the generated rule table between its markers."""
    start = readme.index(README_START) + len(README_START)
    end = readme.index(README_END)
    return readme[:start] + "\n" + rules_table(markdown=True) + "\n" + readme[end:]


if __name__ == "__main__":  # python -m meslint.rule_docs README.md : regenerate the table
    import sys
    from pathlib import Path

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    target.write_text(readme_with_rules(target.read_text(encoding="utf-8")), encoding="utf-8")
