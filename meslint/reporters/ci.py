"""CI-oriented formats: ``json-lines``, ``github`` workflow commands, ``junit`` XML, ``--statistics``."""

from __future__ import annotations

import json
from collections import Counter
from xml.etree import ElementTree

from meslint.findings import Finding
from meslint.reporters.escape import json_text, visible
from meslint.reporters.json_report import JSON_VERSION, finding_dict

_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def render_json_lines(findings: tuple[Finding, ...]) -> str:
    """One finding per line, each with the format's ``version`` (that of the json output; see
    meslint/reporters/report.schema.json, ``$defs.line``)."""
    return "".join(json_text({"version": JSON_VERSION, **finding_dict(f)}) + "\n" for f in findings)


def escape_data(text: str) -> str:
    """GitHub workflow command message escaping."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """GitHub workflow command property escaping (also ``:`` and ``,``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(findings: tuple[Finding, ...]) -> str:
    lines = []
    for finding in findings:
        loc = finding.location
        props = [f"file={escape_property(visible(loc.path))}", f"line={loc.line}", f"col={loc.column}",
                 f"endLine={loc.end_line}", f"endColumn={loc.end_column}",
                 f"title={escape_property(f'{finding.code} {finding.name}'.strip())}"]
        # One message line per site, each escaped: only these newlines become %0A.
        message = "\n".join([visible(finding.message),
                              *(visible(f"{r.location.short()}: {r.message}") for r in finding.related)])
        level = _GITHUB_LEVEL.get(finding.severity, "warning")
        lines.append(f"::{level} {','.join(props)}::{escape_data(message)}")
    return "".join(line + "\n" for line in lines)


def render_junit(findings: tuple[Finding, ...]) -> str:
    """One testsuite; one failing testcase per finding, or a single passing one when clean."""
    tests, failures = str(max(len(findings), 1)), str(len(findings))
    suite = ElementTree.Element("testsuite", name="meslint", tests=tests, failures=failures, errors="0", skipped="0")
    seen: Counter = Counter()
    for finding in findings:
        loc = finding.location
        # CI history keys test cases by class and name: no line number (lines move), and a count
        # for the same code and subject twice in one file.  visible(): XML 1.0 cannot hold C0
        # controls or lone surrogates at all, not even as &#...;.
        path = visible(loc.path)
        name = visible(f"{finding.code} {finding.subject or finding.name}".strip())
        seen[(loc.path, name)] += 1
        if seen[(loc.path, name)] > 1:
            name += f" #{seen[(loc.path, name)]}"
        case = ElementTree.SubElement(suite, "testcase", classname=path, name=name, file=path,
                                      line=str(loc.line))
        failure = ElementTree.SubElement(case, "failure", message=visible(finding.message), type=finding.code)
        body = [f"{visible(loc.short())}: {finding.code} [{finding.name}] {visible(finding.message)}"]
        body += [f"    {visible(r.location.short())}: {visible(r.message)}" for r in finding.related]
        failure.text = "\n".join(body)
    if not findings:
        ElementTree.SubElement(suite, "testcase", classname="meslint", name="all checks passed")
    suites = ElementTree.Element("testsuites", name="meslint", tests=tests, failures=failures)
    suites.append(suite)
    ElementTree.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(suites, encoding="unicode") + "\n"


def render_statistics(findings: tuple[Finding, ...], output_format: str) -> str:
    """Counts per code, most frequent first (like ``ruff --statistics``)."""
    counts = Counter(f.code for f in findings)
    names = {f.code: f.name for f in findings}
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if output_format == "json-lines":
        return "".join(json.dumps({"code": c, "name": names[c], "count": n}) + "\n" for c, n in rows)
    if output_format == "json":
        return json.dumps([{"code": c, "name": names[c], "count": n} for c, n in rows], indent=2) + "\n"
    if not rows:
        return ""
    width = max(len(str(n)) for _, n in rows)
    return "".join(f"{str(n).rjust(width)}\t{c}\t{names[c]}\n" for c, n in rows)
