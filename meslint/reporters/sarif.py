"""``--output-format sarif``: SARIF 2.1.0 for GitHub code scanning and other viewers.

Every rule appears in ``tool.driver.rules`` with its documentation; each result
carries its primary location (URI relative to ``%SRCROOT%``, the checked root),
the other sites as ``relatedLocations``, ``partialFingerprints["meslint/v1"]`` (code
+ subject + files: stable across line moves) and, when an inline suppression or a
waiver covers it, ``suppressions`` of kind ``inSource`` or ``external``.
"""

from __future__ import annotations

from pathlib import Path

from meslint import __version__
from meslint.checks import all_rules
from meslint.docs import RULES_URL
from meslint.facts import Location
from meslint.findings import Finding, Report
from meslint.reporters.escape import json_text, uri_reference

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def render_sarif(report: Report) -> str:
    rules = all_rules()
    index = {rule.code: i for i, rule in enumerate(rules)}
    results = [_result(f, index, None) for f in report.findings]
    results += [_result(f, index, kind) for f, kind in zip(report.suppressed, report.suppression_kinds, strict=True)]
    results.sort(key=lambda r: (r["_key"]))
    for item in results:
        del item["_key"]
    root_uri = Path(report.root).as_uri().rstrip("/") + "/"
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "meslint",
                "version": __version__,
                "informationUri": RULES_URL.split("#", 1)[0],
                "rules": [_rule(rule) for rule in rules],
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": root_uri}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json_text(document, indent=2) + "\n"


def _rule(rule) -> dict:
    sections = rule.sections()
    help_text = "\n\n".join(f"## {title}\n\n{body}" for title, body in sections.items() if body)
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": sections.get("What it does", rule.summary)},
        "help": {"text": help_text or rule.summary, "markdown": help_text or rule.summary},
        "helpUri": RULES_URL,
        "defaultConfiguration": {"level": LEVELS.get(rule.severity, "warning")},
        "properties": {"gate": rule.gate, "severity": rule.severity},
    }


def _location(location: Location, message: str | None = None, ident: int | None = None) -> dict:
    region = {"startLine": location.line, "startColumn": location.column}
    if (location.end_line, location.end_column) != (location.line, location.column):
        region.update(endLine=location.end_line, endColumn=location.end_column)
    out: dict = {"physicalLocation": {
        "artifactLocation": {"uri": uri_reference(location.path), "uriBaseId": "%SRCROOT%"},
        "region": region,
    }}
    if ident is not None:
        out["id"] = ident
    if message is not None:
        out["message"] = {"text": message}
    return out


def _result(finding: Finding, index: dict[str, int], suppression: str | None) -> dict:
    out: dict = {
        "ruleId": finding.code,
        "level": LEVELS.get(finding.severity, "warning"),
        "message": {"text": finding.message},
        "locations": [_location(finding.location)],
        "partialFingerprints": {"meslint/v1": finding.fingerprint()},
        "_key": (*finding.sort_key(), suppression or ""),
    }
    if finding.code in index:
        out["ruleIndex"] = index[finding.code]
    if finding.related:
        out["relatedLocations"] = [_location(r.location, r.message, i + 1) for i, r in enumerate(finding.related)]
    if suppression is not None:
        out["suppressions"] = [{"kind": suppression}]
    return out
