"""README or an operator doc states a contract value the code does not use.

## What it does
Reads README.md, its mirrors (`docs.mirrors`, Markdown whatever the extension)
and the pack's `docs.operator_docs` as claims about the runtime contract and
compares each claim with the effective contract (the values every consumer
resolves to, see `meslint show-contract`):

* a contract setting with a value: `KEY=value` on a fence line or in a code span,
  a `| KEY | value |` table row (the "default"/"value"/"預設" column when the
  table has one), a default stated in prose or a table cell
  (`` `KEY`（預設 `value`） ``, `KEY (default: value)`, `KEY 預設為 value`,
  `KEY 默认 value`), `--pid value` in a command fence.  `KEY=value ./cmd` is an
  override for one command, not a claim;
* the conda environment of `conda activate/run/create -n NAME`;
* the project's unit names (`x.service`, `systemctl ... x`, `journalctl -u x`);
* the start script's subcommands (`./scripts/start_server.sh NAME`), against the
  words its dispatching `case` accepts;
* provisioning steps in a fence: an env file that `cp`/`install`/`mv` fill or
  `chown`/`chmod` secure (`sudo cp .env /etc/x/y.env`) must be one the units load
  with `EnvironmentFile=`; a unit file `cp`/`install` copies
  (`cp deploy/x.service /etc/systemd/system/`) must exist in the repository;
* the port: `--bind`/`-b` (`-b` only on a gunicorn command line, not `git
  checkout -b`), `lsof -i :PORT`, `http://localhost:PORT` on a line or in a block
  that speaks of the bind setting or a port, "端口（預設 8080）"; not the port of a
  development server the same section starts (`manage.py runserver 0.0.0.0:8000`, `flask run`);
* a legacy subtree (`pack.legacy_subtrees`, e.g. `DashBoard_vite/`) shown as a
  current path in a code span or fence (an entry of a tree listing, `cd
  DashBoard/`): gate 2 runs everything from the repository root.  Not a claim:
  the root line of a tree diagram whose entries exist at the repository root and
  a "project root: `X/`" / "專案根目錄：`X/`" statement (both name the checkout,
  whatever its folder is called), a developer machine's path (`/Users/…`,
  `/home/…`, `C:\\…`: provenance), and any legacy name in a record document (its
  first heading says inventory, audit, report, 盤點, 報告: evidence of a moment;
  its current values are still compared).

A documented value agrees when it equals one of the resolved values after
normalisation: paths are compared absolute, the checkout root read as the deploy
root and a relative documented path (`./tmp/x`) taken from the repository root;
a bind compares host and port, a bare port (`8080`) any host; booleans read
`1/yes/on` as `true`.  Values with `$VAR` or `<placeholder>` are not compared, and
neither are settings some consumer resolves to an unknown value.

Documents tell history too, and history is not a claim.  Quiet in documents the
pack marks `historical`; under a heading that is history (it carries a
`docs.historical_markers` word such as "legacy", or it is, or starts with, a
`docs.history_headings` title: "Changelog", "開發歷史", "歷史", "變更紀錄" —
"Hold 歷史查詢" is a feature, not history); in a sentence, list item or table
row that says it is history (`docs.history_markers`: removed, old, formerly,
舊版, 已移除, 停用, 棄用, 原本, 遷移自, 旧版, 弃用, ...); in a fence introduced by
such a sentence ("舊版目錄結構（已移除）："), on a fence line whose own comment
says so, after a fence comment line with such a word (`# legacy layout`) until
the next comment line, and in `diff` fences.

## Why it matters
Operators copy what the README says.  A README that still says
`GUNICORN_BIND=0.0.0.0:5000` or `systemctl restart mes-dashboard-worker` after the
code moved on sends the cutover runbook to the wrong port or a unit that no longer
exists (gate 8).

## Example
```markdown
| `GUNICORN_BIND` | `0.0.0.0:5000` | single port |   <!-- the units bind 0.0.0.0:8080 -->
```
Use the resolved value instead: `| `GUNICORN_BIND` | `0.0.0.0:8080` | single port |`.

## How to fix
Correct the document to the value the code uses (the related sites list each consumer's value), or
change the code if the document is right.

## Options
`docs.readme`, `docs.mirrors`, `docs.operator_docs`, `docs.historical`,
`docs.historical_markers`, `docs.history_markers`, `docs.history_headings` and
`docs.record_titles` in the contract pack (`historical_markers` defaults to
before/after, before and after, legacy, deprecated, migration from, migrating from,
changelog, obsolete, 舊版, 已棄用; the others to the English, Traditional and
Simplified Chinese words above, see `meslint/pack.py`).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from functools import partial

from meslint.checks import CheckContext, Gate, Rule, Severity
from meslint.dochistory import DocReading, Markers, is_developer_path, names_the_root, tree_root_line
from meslint.doclines import CodeHistory
from meslint.doctext import (
    Claim,
    DocLine,
    assignment_claims,
    code_lines,
    conda_env_claims,
    default_claims,
    dev_server_ports,
    doc_path,
    flag_claims,
    operator_docs,
    port_claims,
    provisioning_claims,
    script_claims,
    script_subcommands,
    split_bind,
    table_claims,
    unit_claims,
    values_agree,
)
from meslint.facts import Location, MarkdownDoc
from meslint.findings import Finding, Related
from meslint.resolve import contract_units
from meslint.runtime_files import legacy_hits, legacy_names

RULE = Rule("MES801", "readme-contract-drift", Gate.DOCUMENTATION, Severity.ERROR)

_MAX_RELATED = 10


def check(ctx: CheckContext) -> Iterator[Finding]:
    repo, pack = ctx.repo, ctx.pack
    docs = operator_docs(repo, pack, mirrors=True)
    if not docs:
        return
    bind = next((s for s in pack.settings if s.kind == "bind"), None)
    prefix = _unit_prefix(ctx)
    legacy = legacy_names(pack)
    seen: set[tuple] = set()
    for doc in docs:
        # What the document says, read once per version of it (a view of the document alone: after an
        # edit of a unit or the env template only the judging below runs again).
        claims, candidates = ctx.shared((DOC_VIEW, doc.path, prefix), partial(_read_doc, doc, pack, prefix))
        yield from _legacy_paths(ctx, doc, candidates, legacy)
        for claim in claims:
            key = (claim.location.path, claim.location.line, claim.subject, claim.value)
            if key in seen:
                continue
            seen.add(key)
            finding = _judge(ctx, claim, bind.name if bind else None)
            if finding is not None:
                yield finding


# The derived view of one document (meslint.incremental.FILE_VIEWS): its claims, and its lines that show a
# legacy subtree as a current path.
DOC_VIEW = "readme_contract_drift.doc"


def _read_doc(doc: MarkdownDoc, pack, prefix: str) -> tuple[list[Claim], list[tuple[DocLine, str, str]]]:
    """The claims to judge (history and a development server's port left out) and the legacy-path
    candidates ``(line, token, legacy name)`` of ``doc``, from the document and the pack alone."""
    markers = Markers.of(pack)
    names = {s.name for s in pack.settings}
    bind = next((s for s in pack.settings if s.kind == "bind"), None)
    pid = next((s.name for s in pack.settings if s.pid_file), None)
    flags = {"--pid": pid} if pid else {}  # gunicorn's pid option
    script_path = pack.start_script.path if pack.start_script else None
    # README and its mirrors state the contract whatever their title; other docs may be records.
    reading = DocReading.of(doc, markers,
                            may_be_record=doc.path != pack.docs.readme and doc.path not in pack.docs.mirrors)
    claims: list[Claim] = list(table_claims(doc, names, reading=reading))
    claims.extend(default_claims(doc, names, reading))
    # The code lines without judging their history; only a line that states something is judged
    # (a claim of a line that tells history is dropped, as the claim loop below would drop it).
    lines = list(code_lines(doc))
    history = CodeHistory(doc, reading)
    block_lines: dict[int, list[str]] = {}
    for line in lines:
        if line.block >= 0:
            block_lines.setdefault(line.block, []).append("\n" + line.text)
    blocks = {block: "".join(texts) for block, texts in block_lines.items()}
    for line in lines:
        found = list(assignment_claims(line, names))
        found.extend(conda_env_claims(line))
        if prefix:
            found.extend(unit_claims(line, prefix))
        if script_path:
            found.extend(script_claims(line, script_path))
        if bind is not None:
            found.extend(port_claims(line, bind.name, blocks.get(line.block, "")))
        found.extend(flag_claims(line, flags, "gunicorn"))
        found.extend(provisioning_claims(line))
        if found and not history.of(line):
            claims.extend(found)
    if bind is not None:
        for text in doc.text:
            found = list(port_claims(DocLine(text.text, text.location, text.section, "text"), bind.name))
            if found and not reading.line_tells_history(text.location.line, "", text.section):
                claims.extend(found)
    # In an inventory or audit report, legacy names are evidence.
    candidates = [] if reading.record else _legacy_candidates(pack, lines, legacy_names(pack), reading, history)
    dev_servers = dev_server_ports(lines)
    kept = [claim for claim in claims if not claim.line.historical
            and not (claim.subject == "@port" and (claim.line.section, claim.value) in dev_servers)]
    return kept, candidates


def _legacy_candidates(pack, lines: list[DocLine], names: tuple[str, ...], reading: DocReading,
                       history: CodeHistory) -> list[tuple[DocLine, str, str]]:
    """Code that shows a legacy subtree as a current path (``cd DashBoard_vite/``, an entry of a tree).

    Not: a "project root: `X/`" statement (it names the checkout, whatever its folder was called), a
    developer machine's absolute path (provenance).  The root line of a tree diagram is left out by
    :func:`_legacy_paths`, which knows the repository."""
    found: list[tuple[DocLine, str, str]] = []
    if not names:
        return found
    for line in lines:
        hits = legacy_hits(line.text, names)
        if not hits or history.of(line):
            continue
        for hit in hits:
            if is_developer_path(hit.token, pack.deploy_root):
                continue
            if line.source == "span" and line.text.strip().strip("/") == hit.name \
                    and names_the_root(reading.sentence(line.location.line, line.text)):
                continue
            found.append((line, hit.token, hit.name))
    return found


def _legacy_paths(ctx: CheckContext, doc: MarkdownDoc, candidates: list[tuple[DocLine, str, str]],
                  names: tuple[str, ...]) -> Iterator[Finding]:
    """The candidates of :func:`_legacy_candidates` but on the root line of a tree diagram (whose entries
    exist at the repository root: it names the checkout)."""
    if not candidates:
        return
    root_lines = set()
    for code in doc.code:
        if code.kind == "block" and any(name in code.text for name in names):
            offset = tree_root_line(code.text, ctx.repo)
            if offset is not None:
                root_lines.add(code.location.line + offset)
    for line, token, name in candidates:
        if line.source == "block" and line.location.line in root_lines:
            continue
        yield RULE.finding(
            f"{line.location.path} shows `{token}` as a current path, but {name} is a legacy "
            f"subtree: the runtime contract runs from the repository root (gate 2)",
            line.location, subject=f"legacy:{name}")


def _judge(ctx: CheckContext, claim: Claim, bind_name: str | None) -> Finding | None:
    pack = ctx.pack
    if claim.subject == "@conda-env":
        if pack.conda is None:
            return None  # the units run no conda environment a doc could get wrong
        return _judge_setting(ctx, claim, pack.conda.env_name_variable, "string",
                              fallback=pack.conda.env_name, label="conda environment")
    if claim.subject == "@port":
        return _judge_port(ctx, claim, bind_name) if bind_name else None
    if claim.subject == "@unit":
        return _judge_unit(ctx, claim)
    if claim.subject == "@command":
        return _judge_command(ctx, claim)
    if claim.subject == "@env-file":
        return _judge_env_file(ctx, claim)
    if claim.subject == "@unit-file":
        return _judge_unit_file(ctx, claim)
    spec = pack.setting(claim.subject)
    if spec is None:
        return None
    return _judge_setting(ctx, claim, spec.name, spec.kind, fallback=spec.canonical, label=None)


def _known_sites(ctx: CheckContext, setting: str):
    sites = ctx.resolution.for_setting(setting)
    if any(site.value is None for site in sites):
        return None  # some consumer's value is not statically known: nothing to hold the doc to
    return sites


def _judge_setting(ctx, claim: Claim, setting: str, kind: str, *, fallback: str | None,
                   label: str | None) -> Finding | None:
    sites = _known_sites(ctx, setting)
    if sites is None:
        return None
    values = sorted({site.value for site in sites})
    related = _site_related(sites)
    if not values:
        if fallback is None:
            return None
        values = [fallback]
        related = [Related(Location(ctx.pack.source or "contract pack", 1, 1),
                           f"contract pack: canonical {setting} = {fallback}")]
    if kind == "path" and is_developer_path(claim.value, ctx.pack.deploy_root):
        return None  # where a file lay on the author's machine: provenance, not a deployment claim
    verdicts = [values_agree(kind, claim.value, value, ctx.pack.deploy_root) for value in values]
    if any(v is None for v in verdicts) or any(verdicts):
        return None
    shown = ", ".join(values)
    what = f"{label} '{claim.value}'" if label else f"{setting}={claim.value}"
    message = f"{claim.location.path} states {what}, but the contract resolves {setting} to {shown}"
    return RULE.finding(message, claim.location, related, subject=setting)


def _judge_port(ctx, claim: Claim, bind_name: str) -> Finding | None:
    sites = _known_sites(ctx, bind_name)
    if sites is None:
        return None
    values = sorted({site.value for site in sites})
    related = _site_related(sites)
    if not values:
        spec = ctx.pack.setting(bind_name)
        if spec is None or spec.canonical is None:
            return None
        values = [spec.canonical]
    ports = {parts[1] for parts in (split_bind(v) for v in values) if parts is not None}
    if not ports or claim.value in ports:
        return None
    message = (f"{claim.location.path} gives port {claim.value}, but {bind_name} resolves to "
               f"{', '.join(values)} (port {', '.join(sorted(ports))})")
    return RULE.finding(message, claim.location, related, subject=f"{bind_name}:port")


def _judge_unit(ctx, claim: Claim) -> Finding | None:
    units = ctx.repo.units
    if not units:
        return None
    stems = {_stem(unit.name) for unit in units}
    if claim.value in stems:
        return None
    project = sorted(contract_units(ctx.repo, ctx.pack), key=lambda u: u.path) or sorted(units, key=lambda u: u.path)
    names = ", ".join(sorted(unit.name for unit in project)[:8])
    message = (f"{claim.location.path} names unit {claim.value}.service, which the repository does not define "
               f"(units: {names})")
    related = [Related(Location(unit.path, 1, 1), f"unit {unit.name}") for unit in project[:_MAX_RELATED]]
    return RULE.finding(message, claim.location, related, subject=f"unit:{claim.value}")


def _judge_command(ctx, claim: Claim) -> Finding | None:
    pack = ctx.pack
    script = ctx.repo.script(pack.start_script.path)
    if script is None:
        return None
    # Asked once per documented invocation: work the script's subcommands out once per run.
    accepted = ctx.shared(("script_subcommands", script.path), lambda: script_subcommands(script))
    if not accepted or claim.value in accepted:
        return None
    base = posixpath.basename(script.path)
    arms = sorted({arm.location for arm in script.case_arms})[:_MAX_RELATED]
    message = (f"{claim.location.path} runs '{base} {claim.value}', but {script.path} accepts "
               f"{', '.join(sorted(accepted))}")
    related = [Related(loc, f"{script.path} case arm") for loc in arms]
    return RULE.finding(message, claim.location, related, subject=f"command:{claim.value}")


def _judge_env_file(ctx, claim: Claim) -> Finding | None:
    """A documented step secures or fills an env file that no unit loads."""
    loaded = sorted({(f.path.lstrip("-"), f.location) for unit in ctx.repo.units
                     for f in unit.environment_files if "%" not in f.path and "$" not in f.path})
    if not loaded:
        return None
    documented = doc_path(claim.value, ctx.pack.deploy_root)
    paths = {posixpath.normpath(path) for path, _ in loaded}
    if documented is None or documented in paths:
        return None
    shown = ", ".join(sorted(paths))
    message = (f"{claim.location.path} prepares the env file {documented}, but the units load {shown} "
               f"(EnvironmentFile=): the step does not reach what systemd reads")
    related = [Related(loc, f"EnvironmentFile={path}") for path, loc in loaded[:_MAX_RELATED]]
    return RULE.finding(message, claim.location, related, subject=f"env-file:{documented}")


def _judge_unit_file(ctx, claim: Claim) -> Finding | None:
    """A documented step installs a unit file the repository does not have."""
    if not ctx.repo.units or ctx.repo.path_exists(claim.value):
        return None
    units = sorted(ctx.repo.units, key=lambda u: u.path)
    message = (f"{claim.location.path} installs {claim.value}, which the repository does not have "
               f"(units: {', '.join(u.path for u in units[:8])})")
    related = [Related(Location(unit.path, 1, 1), f"unit {unit.name}") for unit in units[:_MAX_RELATED]]
    return RULE.finding(message, claim.location, related, subject=f"unit-file:{claim.value}")


def _site_related(sites) -> list[Related]:
    related: list[Related] = []
    seen: set[tuple] = set()
    for site in sites:
        key = (site.location, site.value)
        if key in seen:
            continue
        seen.add(key)
        related.append(Related(site.location, f"{site.consumer} [{site.runtime}]: {site.setting} = {site.value}"))
        if len(related) >= _MAX_RELATED:
            break
    return related


def _unit_prefix(ctx: CheckContext) -> str:
    pack = ctx.pack
    app = next((unit for unit in ctx.repo.units
                if (spec := pack.unit_spec(unit.path)) is not None and spec.role == "app"), None)
    if app is not None:
        return _stem(app.name)
    declared = next((spec.path for spec in pack.units if spec.role == "app" and spec.path), None)
    return _stem(posixpath.basename(declared)) if declared else pack.name


def _stem(name: str) -> str:
    return name[: -len(".service")] if name.endswith(".service") else name
