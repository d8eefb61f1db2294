"""An env template line means different things to systemd, bash and python-dotenv.

## What it does
Reads every line of the env template (the pack's `env_file.template`) the way each
of its consumers reads it and reports a line whose value differs between them:

* **systemd**, when a contract unit has `EnvironmentFile=` on the deployed env file
  (made from the template): no inline comments (`KEY=2   # note` keeps `2   # note`),
  its own quoting and escapes;
* **bash**, when the start script sources the env file (`set -a; source .env`):
  comments, word splitting, `export`, `$VAR` and `$(...)` expansion;
* **python-dotenv**, when the repository depends on `python-dotenv`/`dotenv`
  (`pyproject.toml` or `environment.yml`): inline comments stripped, `${VAR}`
  interpolation.

The message gives the value each consumer gets (or that it ignores the line).  When a
Python consumer converts the variable with `int()`/`float()` and a consumer's value is
not a number, the message says so: that consumer's process fails at start-up.

## Why it matters
The same template feeds the systemd units and the start script.  A line that two
consumers read differently makes the deployment modes diverge silently, or crashes
one of them (`int("2   # PRD: 4")`).

## Example
```ini
# .env.example
GUNICORN_WORKERS=2   # PRD: 4
```
`meslint check fixtures/MES607/bad` reports (one line, wrapped here):
```text
.env.example:4:1: MES607 error: GUNICORN_WORKERS is read differently by the env file's
consumers: systemd EnvironmentFile= gets '2   # PRD: 4'; bash source gets '2'
```
When the repository's Python code loads the file with python-dotenv, its reading is listed
too, and a consumer that converts the value with `int()`/`float()` is named ("escalated"):
that conversion fails on the value systemd passes.

## How to fix
Move the inline comment onto its own line above the assignment, and quote values with spaces, so
that systemd, bash and python-dotenv read the same value.

`meslint check --fix` moves an inline comment onto its own line above the assignment (a safe fix:
bash and python-dotenv read the same value as before and systemd now reads it too; each fix is
proven by re-reading the line with the three readers).  `--unsafe-fixes` also quotes a value with
spaces that bash would run as a command (`KEY=900 1 300 10` becomes `KEY="900 1 300 10"`): bash
then assigns the value the others read, which changes what bash sees.

## Options
Consumers are taken from the pack (`env_file`, `units`, `start_script`) and the
repository's own use of python-dotenv.  python-dotenv does not override variables
already set (`override=False`), so under systemd or the start script its reading
matters only for names the others did not set; the line is still a breach because its
meaning depends on who reads it.
"""

from __future__ import annotations

from collections.abc import Iterator

from meslint.autofix.env_comment import fix_for
from meslint.checks import CheckContext, FixApplicability, Gate, Rule, Severity
from meslint.facts import EnvAssignment, Location, Repository, UnitFile
from meslint.findings import Finding, Related
from meslint.pack import ContractPack
from meslint.provisioning import template_fills
from meslint.resolve import contract_units
from meslint.script_flow import env_source_command

RULE = Rule("MES607", "env-file-divergence", Gate.RUNTIME_CONTRACT, Severity.ERROR, FixApplicability.SAFE)

_LABELS = {"systemd": "systemd EnvironmentFile=", "bash": "bash source", "dotenv": "python-dotenv"}


def consumers(repo: Repository, pack: ContractPack) -> dict[str, Location]:
    """Who reads the env template, with the site that makes each one a consumer."""
    found: dict[str, Location] = {}
    roles = ("app", "watchdog", "worker", "other")

    def by_role(unit: UnitFile) -> tuple[int, str]:
        spec = pack.unit_spec(unit.path)  # never None for a contract unit
        return (roles.index(spec.role) if spec else len(roles), unit.path)

    units = sorted(contract_units(repo, pack), key=by_role)
    # The deployed file, or a path the documented provisioning steps fill from the template.
    deployed = {pack.env_file.deployed} | {fill.path for fill in template_fills(repo, pack)}
    for unit in units:
        for env_file in unit.environment_files:
            if env_file.path in deployed and "systemd" not in found:
                found["systemd"] = env_file.location
    script = repo.script(pack.start_script.path) if pack.start_script else None
    source = env_source_command(script, pack.env_file.script_relative) if script is not None else None
    if source is not None:
        found["bash"] = source.location
    dotenv = _dotenv_dependency(repo)
    if dotenv is not None:
        found["dotenv"] = dotenv
    return found


def _dotenv_dependency(repo: Repository) -> Location | None:
    for doc in repo.data:
        for key, text in _strings(doc.data, ""):
            name = text.strip().lower()
            if name.startswith(("python-dotenv", "dotenv")) and not name.split("dotenv", 1)[1][:1].isalnum():
                return Location(doc.path, _line_of(doc, key))
    return None


def _line_of(doc, key: str) -> int:
    while key:
        for known, line in doc.key_lines:
            if known == key:
                return line
        key = key.rpartition(".")[0]
    return 1


def _strings(data, key: str) -> Iterator[tuple[str, str]]:
    """(dotted key, string) of every string in a document; dict keys count (poetry style)."""
    if isinstance(data, str):
        yield key, data
    elif isinstance(data, dict):
        for name, value in data.items():
            dotted = f"{key}.{name}" if key else str(name)
            if isinstance(name, str):
                yield dotted, name
            yield from _strings(value, dotted)
    elif isinstance(data, (list, tuple)):
        for item in data:
            yield from _strings(item, key)


def _show(value: str | None, dynamic: bool = False) -> str:
    if value is None:
        return "unset (the line is ignored)"
    shown = repr(value)
    return shown + (" (expanded at source time: not static)" if dynamic else "")


def _numeric(value: str | None, conversion: str) -> bool:
    if value is None:
        return True  # the variable is unset: the code default applies
    try:
        (int if conversion == "int" else float)(value.strip())
    except ValueError:
        return False
    return True


def _conversions(repo: Repository, name: str) -> list[tuple[str, Location]]:
    found = []
    for module in repo.python:
        for read in module.env_reads:
            conversion = getattr(read, "conversion", None)
            if read.name == name and conversion in ("int", "float"):
                found.append((conversion, read.location))
    return found


def check(ctx: CheckContext) -> Iterator[Finding]:
    template = ctx.repo.env_file(ctx.pack.env_file.template)
    if template is None:
        return
    readers = consumers(ctx.repo, ctx.pack)
    if len(readers) < 2:
        return
    for assignment in template.assignments:
        values = {who: getattr(assignment, who) for who in readers}
        if len(set(values.values())) < 2:
            continue
        yield _finding(ctx.repo, assignment, values, readers)


def _finding(repo: Repository, assignment: EnvAssignment, values: dict[str, str | None],
             readers: dict[str, Location]) -> Finding:
    parts = [f"{_LABELS[who]} gets {_show(value, who == 'bash' and assignment.bash_dynamic)}"
             if value is not None else f"{_LABELS[who]} does not set it (ignores or rejects the line)"
             for who, value in values.items()]
    message = f"{assignment.name} is read differently by the env file's consumers: {'; '.join(parts)}"
    how = {"systemd": "EnvironmentFile= loads the env file made from", "bash": "sources the env file made from",
           "dotenv": "python-dotenv is a dependency: load_dotenv() reads the env file made from"}
    related = [Related(location, f"{how[who]} {assignment.location.path}: {assignment.name}={_show(values[who])}")
               for who, location in readers.items()]
    crashes = []
    for conversion, location in _conversions(repo, assignment.name):
        bad = [_LABELS[who] for who, value in values.items() if not _numeric(value, conversion)]
        if bad:
            crashes.append(f"{location.path}:{location.line} converts it with {conversion}(), which fails on "
                           f"the value {' and '.join(bad)} passes")
            related.append(Related(location, f"{conversion}() of {assignment.name}: fails on a non-numeric value"))
    if crashes:
        message += "; escalated: " + "; ".join(crashes)
    return RULE.finding(message, assignment.location, related, subject=assignment.name, fix=fix_for(assignment))
