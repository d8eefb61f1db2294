"""``--output-format sarif``: SARIF 2.1.0 for GitHub code scanning and other viewers.

Every rule appears in ``tool.driver.rules`` with its documentation; each result
carries its primary location (URI relative to ``%SRCROOT%``, the checked root,
percent-encoded), the other sites as ``relatedLocations`` and as embedded links in the
message text (``[path:line](id)``: GitHub shows related locations only so),
``partialFingerprints["meslint/v2"]`` (the baseline identity -- code, subject, file and
line text, stable across line moves -- plus ``:n``, its occurrence, so unique in a run)
and, when an inline suppression or a waiver covers it, ``suppressions`` of kind
``inSource`` or ``external``.  ``helpUri``/``informationUri`` come from the package
metadata (or ``MESLINT_DOCS_URL``) and are left out when there is none.
"""

from __future__ import annotations

from pathlib import Path

from meslint import __version__
from meslint.checks import all_rules
from meslint.edits import Fix
from meslint.facts import Location
from meslint.findings import Finding, Report, occurrence_fingerprints
from meslint.reporters.escape import json_text, uri_reference
from meslint.rule_docs import rules_url

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def render_sarif(report: Report) -> str:
    rules = all_rules()
    index = {rule.code: i for i, rule in enumerate(rules)}
    pairs: list[tuple[Finding, str | None]] = [(f, None) for f in report.findings]
    pairs += list(zip(report.suppressed, report.suppression_kinds, strict=True))
    pairs.sort(key=lambda pair: (*pair[0].sort_key(), pair[1] or ""))
    fingerprints = occurrence_fingerprints(f for f, _ in pairs)
    help_uri = rules_url()
    results = [_result(f, index, kind, fingerprint) for (f, kind), fingerprint in zip(pairs, fingerprints, strict=True)]
    root_uri = Path(report.root).as_uri().rstrip("/") + "/"
    driver: dict = {"name": "meslint", "version": __version__}
    if help_uri:
        driver["informationUri"] = help_uri.split("#", 1)[0]
    driver["rules"] = [_rule(rule, help_uri) for rule in rules]
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": root_uri}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json_text(document, indent=2) + "\n"


def _rule(rule, help_uri: str | None) -> dict:
    sections = rule.sections()
    help_text = "\n\n".join(f"## {title}\n\n{body}" for title, body in sections.items() if body)
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": sections.get("What it does", rule.summary)},
        "help": {"text": help_text or rule.summary, "markdown": help_text or rule.summary},
        "defaultConfiguration": {"level": LEVELS.get(rule.severity, "warning")},
        "properties": {"gate": rule.gate, "severity": rule.severity},
    } | ({"helpUri": help_uri} if help_uri else {})


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


def _plain(text: str) -> str:
    """Message text around embedded links: SARIF (3.11.6) reads ``[``/``]`` as link syntax."""
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def _message(finding: Finding) -> str:
    """The message, then each related site as an embedded link to its ``relatedLocations`` entry."""
    if not finding.related:
        return finding.message
    sites = "; ".join(f"[{_plain(r.location.short())}]({i}): {_plain(r.message)}"
                      for i, r in enumerate(finding.related, 1))
    return f"{_plain(finding.message)}. Sites: {sites}"


def _result(finding: Finding, index: dict[str, int], suppression: str | None, fingerprint: str) -> dict:
    out: dict = {
        "ruleId": finding.code,
        "level": LEVELS.get(finding.severity, "warning"),
        "message": {"text": _message(finding)},
        "locations": [_location(finding.location)],
        "partialFingerprints": {"meslint/v2": fingerprint},
    }
    if finding.code in index:
        out["ruleIndex"] = index[finding.code]
    if finding.related:
        out["relatedLocations"] = [_location(r.location, r.message, i + 1) for i, r in enumerate(finding.related)]
    if suppression is not None:
        out["suppressions"] = [{"kind": suppression}]
    if finding.fix is not None:
        out["fixes"] = [_fix(finding.fix)]
    return out


def _fix(fix: Fix) -> dict:
    """A SARIF ``fix`` (3.55): per file an ``artifactChange`` whose ``replacements`` delete a region
    (empty: an insertion) and insert content.  meslint's applicability goes in the properties."""
    changes: dict[str, list[dict]] = {}
    for edit in fix.edits:
        region = {"startLine": edit.line, "startColumn": edit.column, "endLine": edit.end_line,
                  "endColumn": edit.end_column}
        replacement: dict = {"deletedRegion": region}
        if edit.content:
            replacement["insertedContent"] = {"text": edit.content}
        changes.setdefault(edit.path, []).append(replacement)
    return {
        "description": {"text": fix.message},
        "artifactChanges": [{"artifactLocation": {"uri": uri_reference(path), "uriBaseId": "%SRCROOT%"},
                             "replacements": replacements} for path, replacements in changes.items()],
        "properties": {"applicability": fix.applicability},
    }
