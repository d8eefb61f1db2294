"""An env template value differs from the value every code default and every doc agree on.

## What it does
For each key of the env template (the pack's `env_file.template`), collects the defaults
the code gives it when the variable is unset: Python reads (`os.getenv("KEY", "2")`,
`os.environ.get`, ...) in any module, the scripts' and units' `${KEY:-2}` expansions,
and the defaults the operator docs state (`KEY` ... 預設 `2`, `| KEY | 2 |` tables).
When they all agree on one value (at least two sources, at least one of them code) and
the template sets another, with nothing explaining it, the template line is reported.

A line counts as explained when a comment sits right above it or at its end
(`WORKERS=4   # PRD: 4`), and a value that is a placeholder (`<host>`, `changeme`,
`your-key`, an empty value, a `${...}` reference) is never an outlier.

## Why it matters
Operators copy the template.  A template value that quietly differs from what the code
and the docs say means every deployment runs with a value nobody documented, and a
reader of the docs predicts the wrong behaviour; often it is a leftover from a test.

## Example
```ini
# .env.example
GUNICORN_TIMEOUT=30
```
```python
timeout = int(os.getenv("GUNICORN_TIMEOUT", "360"))
```
README: "`GUNICORN_TIMEOUT` 預設 `360`".  The template's 30 is the outlier.

## How to fix
Set the template to the agreed value, or say why it differs in a comment on the line above
(`# lower than the code default: the test rig times out first`).

## Options
Informational.  Values are compared as text after trimming, numbers by value and booleans
by meaning (`true`/`1`/`yes`/`on`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from meslint.checks import CheckContext, Gate, Rule, Severity
from meslint.dochistory import DocReading, Markers
from meslint.doctext import default_claims, operator_docs, table_claims
from meslint.facts import EnvAssignment, Location
from meslint.findings import Finding, Related

RULE = Rule("MES615", "env-template-outlier", Gate.RUNTIME_CONTRACT, Severity.INFO)

_PLACEHOLDER = re.compile(r"^<.*>$|change[-_ ]?me|your[-_]|replace[-_ ]?me|placeholder|example|xxx|\*\*\*|\.\.\.|todo",
                          re.IGNORECASE)
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}
_STATIC_DEFAULT = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?-([^${}`\\]*)\}")


def _canon(value: str) -> str:
    value = value.strip().strip("\"'")
    lowered = value.lower()
    if lowered in _TRUE:
        return "true"
    if lowered in _FALSE:
        return "false"
    try:
        number = float(value)
    except ValueError:
        return value
    return repr(number) if number == number else value  # NaN stays text


def _static(value: str | None) -> str | None:
    if value is None or any(c in value for c in "$`\\") or value.startswith("@ROOT"):
        return None
    return value


def _code_defaults(ctx: CheckContext, names: set[str]) -> dict[str, list[tuple[str, Location]]]:
    found: dict[str, list[tuple[str, Location]]] = {}

    def add(name: str, value: str | None, location: Location) -> None:
        value = _static(value)
        if name in names and value is not None:
            found.setdefault(name, []).append((value, location))

    for module in ctx.repo.python:
        for read in module.env_reads:
            add(read.name, read.default, read.location)
    for script in ctx.repo.scripts:
        words = [(a.value, a.location) for a in script.assignments]
        words += [(w, c.location) for c in script.commands for w in c.argv]
        for text, location in words:
            if "${" not in text:
                continue  # no expansion, no default (most words of a command line)
            for match in _STATIC_DEFAULT.finditer(text):
                add(match.group(1), match.group(2), location)
    for unit in ctx.repo.units:
        for command in unit.exec_commands:
            for word in command.argv:
                for match in _STATIC_DEFAULT.finditer(word):
                    add(match.group(1), match.group(2), command.location)
    return found


# The operator docs' defaults are a view of the docs and the template's keys alone (in the key): a
# self-contained view (meslint.incremental.SELF_CONTAINED), restored after a unit or code edit.
DOC_DEFAULTS = "env_template_outlier.doc_defaults"


def _doc_defaults(ctx: CheckContext, names: set[str]) -> dict[str, list[tuple[str, Location]]]:
    key = tuple(sorted(names))
    return ctx.shared((DOC_DEFAULTS, key), lambda: _read_doc_defaults(ctx, set(key)))


def _read_doc_defaults(ctx: CheckContext, names: set[str]) -> dict[str, list[tuple[str, Location]]]:
    found: dict[str, list[tuple[str, Location]]] = {}
    markers = Markers.of(ctx.pack)
    for doc in operator_docs(ctx.repo, ctx.pack):
        reading = DocReading.of(doc, markers, may_be_record=doc.path != ctx.pack.docs.readme)
        for claim in [*table_claims(doc, names, reading=reading), *default_claims(doc, names, reading)]:
            if not claim.line.historical and _static(claim.value) is not None:
                found.setdefault(claim.subject, []).append((claim.value, claim.location))
    return found


def _explained(assignment: EnvAssignment) -> bool:
    if assignment.comment_above:
        return True
    # an inline comment: systemd keeps it in the value, bash and dotenv drop it
    return any(v is not None and "#" in v and "#" not in (assignment.bash or "") for v in (assignment.systemd,))


def _placeholder(value: str) -> bool:
    return not value.strip() or "$" in value or _PLACEHOLDER.search(value) is not None


def check(ctx: CheckContext) -> Iterator[Finding]:
    template = ctx.repo.env_file(ctx.pack.env_file.template) if ctx.pack.env_file.configured else None
    if template is None:
        return
    last: dict[str, EnvAssignment] = {}
    for assignment in template.assignments:
        last[assignment.name] = assignment  # an earlier duplicate is MES614's
    names = set(last)
    code = _code_defaults(ctx, names)
    docs = _doc_defaults(ctx, names) if code else {}
    for name, assignment in sorted(last.items(), key=lambda item: item[1].location):
        value = assignment.bash if assignment.bash is not None else assignment.dotenv
        if value is None or assignment.bash_dynamic or _placeholder(value) or _explained(assignment):
            continue
        sources = code.get(name, []) + docs.get(name, [])
        if not code.get(name) or len(sources) < 2:
            continue
        agreed = {_canon(v) for v, _ in sources}
        if len(agreed) != 1 or _canon(value) in agreed:
            continue
        shown = sources[0][0]
        related = [Related(location, f"{name} defaults to {v}") for v, location in sources[:8]]
        yield RULE.finding(
            f"{template.path} sets {name}={value}, but the code defaults and the docs agree on {shown} "
            f"({len(sources)} places) and no comment on the line says why it differs",
            assignment.location, related, subject=f"{template.path}:{name}")
