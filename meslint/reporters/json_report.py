"""``--output-format json``: ``{"version": 1, "findings": [...], "summary": {...}}``."""

from __future__ import annotations

from meslint import __version__
from meslint.edits import fix_dict
from meslint.findings import Finding
from meslint.reporters.escape import json_text

# The json format's version (json-lines carries it on every line); the schema ships beside this
# module: report.schema.json.
JSON_VERSION = 1


def finding_dict(finding: Finding) -> dict:
    loc = finding.location
    return {
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity,
        "message": finding.message,
        "path": loc.path,
        "line": loc.line,
        "column": loc.column,
        "end_line": loc.end_line,
        "end_column": loc.end_column,
        "subject": finding.subject,
        "fingerprint": finding.fingerprint(),
        "related": [
            {"path": r.location.path, "line": r.location.line, "column": r.location.column, "message": r.message}
            for r in finding.related
        ],
        "fix": fix_dict(finding.fix) if finding.fix is not None else None,
    }


def render_json(findings: tuple[Finding, ...], contract: str | None = None) -> str:
    from meslint.reporters import summary

    document = {
        "version": JSON_VERSION,
        "tool": {"name": "meslint", "version": __version__},
        "contract": contract,
        "findings": [finding_dict(f) for f in findings],
        "summary": summary(findings),
    }
    return json_text(document, indent=2) + "\n"
