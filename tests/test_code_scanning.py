"""Issue 17 (6): SARIF fingerprints unique, related sites linked from the message, helpUri from
metadata or absent, percent-encoded URIs; JUnit names stable and unique; JSON(-lines) schema."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

from meslint.findings import Finding, Related, Report
from meslint.location import Location
from meslint.reporters import render
from meslint.reporters.ci import render_junit
from tests.conftest import REPO


def doc_finding(line: int, related: tuple[Related, ...] = (), path: str = "README.md") -> Finding:
    return Finding(code="MES801", name="legacy-subtree-reference", message="names the legacy root [old]/",
                   location=Location(path, line, 1), related=related, subject="old/", anchor="cd old/ && run")


def report(*findings: Finding) -> Report:
    return Report("/tmp/x", "mes-dashboard", findings)


def sarif(*findings: Finding) -> dict:
    return json.loads(render("sarif", report(*findings)))


def test_sarif_fingerprints_are_unique_even_for_identical_lines() -> None:
    results = sarif(doc_finding(5), doc_finding(101))["runs"][0]["results"]
    prints = [r["partialFingerprints"]["meslint/v2"] for r in results]
    assert len(set(prints)) == 2 and prints[0].split(":")[0] == prints[1].split(":")[0]
    assert [p.split(":")[1] for p in prints] == ["1", "2"]


def test_related_sites_are_linked_from_the_message_text() -> None:
    site = Related(Location("docs/a b.md", 7, 3), "value [x] here")
    result, = sarif(doc_finding(5, (site,)))["runs"][0]["results"]
    text = result["message"]["text"]
    assert text.startswith("names the legacy root \\[old\\]/")
    assert "[docs/a b.md:7:3](1): value \\[x\\] here" in text
    assert result["relatedLocations"][0]["id"] == 1
    # URIs are percent-encoded.
    assert result["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "docs/a%20b.md"


def test_help_uri_comes_from_the_environment_or_is_absent(monkeypatch) -> None:
    monkeypatch.delenv("MESLINT_DOCS_URL", raising=False)
    driver = sarif(doc_finding(5))["runs"][0]["tool"]["driver"]
    if "informationUri" not in driver:  # meslint is not installed with a Project-URL here
        assert all("helpUri" not in rule for rule in driver["rules"])
    monkeypatch.setenv("MESLINT_DOCS_URL", "https://example.org/meslint")
    driver = sarif(doc_finding(5))["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == "https://example.org/meslint"
    assert {rule["helpUri"] for rule in driver["rules"]} == {"https://example.org/meslint#rules"}


def test_junit_names_carry_no_line_numbers_and_do_not_collide() -> None:
    xml = ElementTree.fromstring(render_junit((doc_finding(5), doc_finding(101))))
    names = [case.get("name") for case in xml.iter("testcase")]
    assert len(set(names)) == 2 and not any(":5" in n or "101" in n for n in names)
    moved = ElementTree.fromstring(render_junit((doc_finding(9), doc_finding(140))))
    assert [case.get("name") for case in moved.iter("testcase")] == names


@pytest.fixture(scope="module")
def schema() -> dict:
    return json.loads((REPO / "meslint" / "reporters" / "report.schema.json").read_text(encoding="utf-8"))


def test_json_and_json_lines_validate_against_the_shipped_schema(schema) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    findings = (doc_finding(5, (Related(Location("a.md", 1, 1), "x"),)), doc_finding(9))
    jsonschema.validate(json.loads(render("json", report(*findings))), schema)
    jsonschema.validate(json.loads(render("json", report())), schema)
    line_schema = {**schema["$defs"]["line"], "$defs": schema["$defs"]}
    lines = render("json-lines", report(*findings)).splitlines()
    assert len(lines) == 2
    for line in lines:
        row = json.loads(line)
        jsonschema.validate(row, line_schema)
        assert row["version"] == 1
    # The schema rejects what it should: an unknown severity.
    broken = json.loads(render("json", report(*findings)))
    broken["findings"][0]["severity"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_schema_ships_in_the_package() -> None:
    text = (REPO / "pyproject.toml").read_text()
    assert '"meslint.reporters" = ["*.json"]' in text
    assert Path(REPO / "meslint" / "reporters" / "report.schema.json").is_file()
