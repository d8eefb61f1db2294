"""Reporters only format findings; they never look at files."""

from __future__ import annotations

from collections import Counter

from meslint.findings import Finding, Report


def render(output_format: str, report: Report, *, color: bool = False, summary: bool = True) -> str:
    """``summary``: text output ends with "Found N findings." / "All checks passed." (off: --quiet)."""
    if output_format == "sarif":
        from meslint.reporters.sarif import render_sarif

        return render_sarif(report)
    if output_format in ("json-lines", "github", "junit"):
        from meslint.reporters import ci

        renderer = {"json-lines": ci.render_json_lines, "github": ci.render_github, "junit": ci.render_junit}
        return renderer[output_format](report.findings)
    if output_format == "json":
        from meslint.reporters.json_report import render_json

        return render_json(report.findings, report.contract)
    if output_format == "concise":
        from meslint.reporters.text import render_concise

        return render_concise(report.findings)
    from meslint.reporters.text import render_text

    return render_text(report.findings, color=color, summary=summary)


def summary(findings: tuple[Finding, ...]) -> dict:
    by_code = Counter(f.code for f in findings)
    by_severity = Counter(f.severity for f in findings)
    return {
        "total": len(findings),
        "by_code": dict(sorted(by_code.items())),
        "by_severity": dict(sorted(by_severity.items())),
    }
